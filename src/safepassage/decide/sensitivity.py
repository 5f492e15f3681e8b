"""What would change the plan, by re-planning the changed scenario (never by guess).

Every re-plan goes through `replan`, the one call of the planner, so that a better planner
(`--quality best`) serves the table as it serves the plan. Work is shared: the prepared
scenario (network, snapped places) is built once and reaches the worker processes by fork;
a lever on a checkpoint that never fills in the base plan cannot change it (its capacity never
decided a booking) and is not re-planned; the window searches start from the base plan's own
curve of people out, so most need two or three re-plans."""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from safepassage.decide.levers import INSPECTION_CUT_S, Lever, apply, window_length_s
from safepassage.model.prepare import PreparedScenario
from safepassage.plan import Plan, make_plan
from safepassage.plan.buses import bus_need
from safepassage.plan.ledger import EPS

#: How buses are planned: the planner's greedy, or re-allocated by `decide.bus_plan`.
BUS_MODES = ("planner", "optimised")
#: Extra buses tried by the bus lever unless told otherwise.
MORE_BUSES = 10
#: Lanes tried at most at the limiting checkpoint.
MAX_LANES = 64
#: How buses are planned: the planner's greedy, or re-allocated by `decide.bus_plan`.
BUS_MODES = ("planner", "optimised")
#: Extra buses tried at most for everyone who needs a seat.
MAX_EXTRA_BUSES = 200


@dataclass(frozen=True)
class PlanSettings:
    """How the planner is called (the plan's own settings)."""

    step_s: float = 60.0
    slot_s: float = 600.0
    routes_per_origin: int = 4
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. quality="best" where supported
    buses: str = "planner"  # or "optimised": the fleet re-allocated by `decide.bus_plan`


@dataclass(frozen=True)
class Outcome:
    people_out_by_window_end: int
    egress_time_s: float
    people_served: int
    bus_people_out_by_window_end: int


def replan(prepared: PreparedScenario, settings: PlanSettings, *, with_bound: bool = True) -> Plan:
    """The planner, as the plan command calls it (with its bus allocation when asked);
    `with_bound=False` skips the bound (the re-plans read only the bookings)."""
    plan = make_plan(
        prepared,
        step_s=settings.step_s,
        slot_s=settings.slot_s,
        routes_per_origin=settings.routes_per_origin,
        with_bound=with_bound,
        **settings.extra,
    )
    if settings.buses == "optimised":
        from safepassage.decide.bus_plan import allocate, with_buses

        allocation = allocate(plan, prepared)
        if allocation is not None:
            plan = with_buses(plan, allocation, prepared)
            plan.quality["bus_plan"] = allocation.report
    return plan


def outcome(plan: Plan) -> Outcome:
    accounts = plan.accounts()
    return Outcome(
        people_out_by_window_end=sum(a.out_by_window_end for a in accounts),
        egress_time_s=plan.egress_time_s,
        people_served=sum(a.out_by_window_end + a.late for a in accounts),
        bus_people_out_by_window_end=sum(
            t.people for t in plan.bus_trips if t.out_step <= plan.problem.window_steps
        ),
    )


def outcome_of(prepared: PreparedScenario, settings: PlanSettings, levers: list[Lever]) -> Outcome:
    """Re-plan `prepared` with `levers` applied in order."""
    scenario = prepared.scenario
    for lever in levers:
        scenario = apply(scenario, lever)
    return outcome(replan(replace(prepared, scenario=scenario), settings, with_bound=False))


# -- worker processes -------------------------------------------------------------------
_SHARED: dict[str, Any] = {}


def _init(prepared: PreparedScenario, settings: PlanSettings, base: Outcome | None = None) -> None:
    _SHARED["prepared"], _SHARED["settings"], _SHARED["base"] = prepared, settings, base


def _base() -> Outcome:
    """The unchanged plan's outcome (the parent's, else re-planned here)."""
    base: Outcome | None = _SHARED.get("base")
    if base is None:
        base = outcome_of(_SHARED["prepared"], _SHARED["settings"], [])
        _SHARED["base"] = base
    return base


def _lever_task(lever: Lever) -> Outcome:
    return outcome_of(_SHARED["prepared"], _SHARED["settings"], [lever])


def _search_task(job: tuple[str, Any, int, int]) -> float | None:
    """A smallest-value search: ("window", _, target, estimate) or ("lanes", checkpoint, target,
    lanes now)."""
    kind, target_id, target, start = job
    prepared, settings = _SHARED["prepared"], _SHARED["settings"]
    if kind == "window":
        slot = settings.slot_s

        def window_ok(k: int) -> bool:
            lever = Lever("window_length", amount=k * slot)
            return outcome_of(prepared, settings, [lever]).people_out_by_window_end >= target

        limit = math.ceil((14 * 86400 + (window_length_s(prepared.scenario) or 0)) / slot)
        found = smallest(window_ok, start, 1, limit)
        return None if found is None else found * slot

    if kind == "buses":

        def buses_ok(k: int) -> bool:
            lever = Lever("buses", amount=float(k))
            return outcome_of(prepared, settings, [lever]).bus_people_out_by_window_end >= target

        if _base().bus_people_out_by_window_end >= target:
            return 0.0
        if not buses_ok(MAX_EXTRA_BUSES):  # one re-plan settles the hopeless case
            return None
        extra = smallest(buses_ok, max(start, 1), 1, MAX_EXTRA_BUSES)
        return None if extra is None else float(extra)

    def lanes_ok(k: int) -> bool:
        lever = Lever("lane", target_id, k - start)
        return outcome_of(prepared, settings, [lever]).people_out_by_window_end >= target

    if _base().people_out_by_window_end >= target:
        return float(start)
    if not lanes_ok(MAX_LANES):  # one re-plan settles the hopeless case
        return None
    found = smallest(lanes_ok, start + 1, start + 1, MAX_LANES)
    return None if found is None else float(found)


def smallest(ok: Callable[[int], bool], guess: int, lo: int, hi: int) -> int | None:
    """The least k in lo..hi with ok(k), for ok monotone (false then true), starting from a
    guess: doubling up from it when it fails, checking just below it when it holds."""
    cache: dict[int, bool] = {}

    def test(k: int) -> bool:
        if k not in cache:
            cache[k] = ok(k)
        return cache[k]

    k = min(max(guess, lo), hi)
    if not test(k):
        step = 1
        while True:
            low = k
            k = min(k + step, hi)
            if test(k):
                break
            if k == hi:
                return None
            step *= 2
        lo = low + 1
    if k == lo or not test(k - 1):
        return k
    hi = k - 1  # ok(hi) holds; find the least
    while lo < hi:
        mid = (lo + hi) // 2
        if test(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


# -- the table --------------------------------------------------------------------------
def limiting_checkpoints(plan: Plan, settings: PlanSettings | None = None) -> list[str]:
    """Checkpoints whose capacity could have decided a booking; more lanes elsewhere cannot
    change the plan. For the greedy (`quality` fast, the planner's buses) that is exact
    bookkeeping: a car booking takes the least room of its route's cells, so a checkpoint
    that decided one is left full (no room) in that step, and a checkpoint that turned a bus
    away had buses booked before it in that step leaving less than one bus needs (buses are
    booked before any car). Otherwise (path generation's LP, the optimised buses): every
    checkpoint with less room than one bus at some open step."""
    p, ledger = plan.problem, plan.ledger
    m = p.graph.n_edges
    greedy = plan.quality.get("mode") == "fast" and (
        settings is None or settings.buses == "planner"
    )
    bus = np.zeros_like(ledger.residual)
    for t in plan.bus_trips:
        rows = ledger.rows[t.route]
        np.add.at(
            bus, (rows, ledger.offsets[t.route] + t.depart_step), bus_need(ledger, p, t.route)
        )
    base = p.capacity_block(ledger.resources, 0, ledger.horizon)
    out = []
    for row, resource in enumerate(ledger.resources.tolist()):
        if resource < m:
            continue
        open_ = base[row] > EPS
        room = ledger.residual[row][open_]
        need = min(1.0, 0.99 * float(base[row].max(initial=0.0)))
        if not room.size:
            continue
        if greedy:
            turned_away = bus[row][open_] > base[row][open_] - need + EPS
            decided = bool((room <= EPS).any() or turned_away.any())
        else:
            decided = float(room.min()) < need - EPS
        if decided:
            out.append(p.checkpoints[resource - m].id)
    return out


def levers_for(plan: Plan, prepared: PreparedScenario, more_buses: int) -> list[Lever]:
    """The levers worth a re-plan, in a fixed order."""
    ids = [c.id for c in prepared.scenario.checkpoints]
    levers = [Lever("lane", c) for c in ids]
    if ids:
        levers.append(Lever("inspection", amount=INSPECTION_CUT_S))
    if prepared.scenario.corridor is not None:
        levers.append(Lever("window", amount=3600.0))
    corridor = prepared.scenario.corridor
    for alternative in corridor.alternatives if corridor is not None else []:
        levers.append(Lever("route", ",".join(alternative)))
    if more_buses > 0 and any(o.bus_people for o in plan.problem.origins):
        levers.append(Lever("buses", amount=float(more_buses)))
    # Removing a checkpoint that never fills only saves its inspection minutes on each trip;
    # it is asked for the ones that fill (the limits a negotiator would raise).
    full = {b["resource"].removeprefix("checkpoint ") for b in plan.bottlenecks(top=len(ids) + 5)}
    levers += [Lever("remove", c) for c in ids if c in full]
    return levers


def estimate_window_slots(plan: Plan, target: int) -> int:
    """Slots of window the base plan's own bookings would need to get `target` people out."""
    events = sorted(plan.out_events())
    steps = np.array([s for s, _ in events] or [0])
    cum = np.cumsum([p for _, p in events] or [0.0])
    k = int(np.searchsorted(cum, target - 0.5))
    step = int(steps[min(k, steps.size - 1)])
    return max(1, math.ceil(step * plan.problem.step_s / plan.problem.slot_s))


def sensitivity(
    plan: Plan,
    prepared: PreparedScenario,
    settings: PlanSettings,
    *,
    more_buses: int = MORE_BUSES,
    workers: int | None = None,
    levers: list[Lever] | None = None,
    shares: dict[str, float] | None = None,
    lanes: bool = True,
    buses: bool = True,
    alongside: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """The ranked lever table, the windows needed for 50/90/100% (`shares`) and the lanes
    needed at the limiting checkpoint, every figure from a re-plan. `alongside` runs in this
    process once the workers have their jobs (the brief's forecast), instead of after."""
    base = outcome(plan)
    limiting = set(limiting_checkpoints(plan, settings))
    if levers is None:
        levers = levers_for(plan, prepared, more_buses)
    to_run = [lv for lv in levers if not (lv.kind == "lane" and lv.target not in limiting)]
    total = plan.people_total
    if shares is None:
        shares = {"p50": 0.5, "p90": 0.9, "p100": 1.0}
    targets = {k: math.ceil(v * total) for k, v in shares.items()}
    searches: list[tuple[str, Any, int, int]] = []
    has_window = prepared.scenario.corridor is not None and bool(targets)
    if has_window:
        searches = [("window", k, t, estimate_window_slots(plan, t)) for k, t in targets.items()]
    necks = [b for b in plan.bottlenecks() if b["kind"] == "checkpoint"]
    first = necks[0]["resource"].removeprefix("checkpoint ") if necks else None
    lanes_now = next((c.lanes for c in prepared.scenario.checkpoints if c.id == first), 0)
    if first is not None and lanes:
        searches.append(("lanes", first, total, lanes_now))
    need = sum(o.bus_people for o in plan.problem.origins)
    fleet = len(prepared.scenario.fleet.buses)
    if buses and need:
        searches.append(("buses", "", need, fleet))
    with _pool(prepared, settings, workers, base) as pool:
        # Searches first: each is a chain of re-plans, so the levers fill the cores after.
        search_futures = [pool.submit(_search_task, job) for job in searches]
        lever_futures = [pool.submit(_lever_task, lv) for lv in to_run]
        if alongside is not None:
            alongside()
        results = {lv: f.result() for lv, f in zip(to_run, lever_futures, strict=True)}
        done = {
            job[0] + str(job[1]): f.result()
            for job, f in zip(searches, search_futures, strict=True)
        }
    rows = [_row(lv, results.get(lv), base) for lv in levers]
    rows.sort(key=lambda r: (-r["people_gained"], -r["egress_saved_s"], r["lever"]))
    windows = {k: done[f"window{k}"] for k in targets} if has_window else {}
    extra = done.get("buses")
    return {
        "base": {
            "people_out_by_window_end": base.people_out_by_window_end,
            "egress_time_s": base.egress_time_s,
        },
        "sensitivity": rows,
        "window_needed_s": windows or {k: None for k in targets},
        "lanes_needed": {
            "checkpoint": first,
            "lanes_now": lanes_now,
            "lanes_for_everyone_in_window": done.get(f"lanes{first}"),
            "up_to": MAX_LANES,
        },
        "buses_needed": {
            "people_needing_a_seat": need,
            "buses_now": fleet,
            "buses_for_all_seats_out_by_window_end": None if extra is None else fleet + int(extra),
            "up_to": fleet + MAX_EXTRA_BUSES,
            "searched": bool(buses and need),
        },
        "re_plans": len(to_run),
    }


def _row(lever: Lever, result: Outcome | None, base: Outcome) -> dict[str, Any]:
    if result is None:  # a checkpoint that never fills: its capacity decided nothing
        result, how = base, "not re-planned: this checkpoint never fills in the plan"
    else:
        how = "re-planned"
    return {
        "lever": lever.label,
        "kind": lever.kind,
        "target": lever.target or None,
        "people_gained": result.people_out_by_window_end - base.people_out_by_window_end,
        "egress_saved_s": base.egress_time_s - result.egress_time_s,
        "people_out_by_window_end": result.people_out_by_window_end,
        "egress_time_s": result.egress_time_s,
        "how": how,
    }


def _pool(
    prepared: PreparedScenario,
    settings: PlanSettings,
    workers: int | None,
    base: Outcome | None = None,
) -> ProcessPoolExecutor:
    """Worker processes on every core; fork shares the prepared scenario without copying."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=ctx,
        initializer=_init,
        initargs=(prepared, settings, base),
    )
