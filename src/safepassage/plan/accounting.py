"""Whole people and cars that add up: every origin's people split into departure slots, bus
trips and the reasons the rest are not out by the window's end.

The planner moves fluid vehicles; coordinators marshal whole ones. Each origin's car people
(and its cars) are apportioned over its slots and what is left unbooked by largest remainders
(Hamilton's method), so the parts are whole numbers that sum exactly to the origin's total and
no slot is dropped. People per origin: out by the window's end + out after it + not booked +
waiting for a bus seat = people, exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safepassage.plan.result import Plan

#: What "out" means in every figure of a plan.
OUT_MEANS = (
    "arrived at a destination; a vehicle is counted out in the step after the step it arrives"
)
#: What "left the city" means.
LEFT_MEANS = (
    "passed the first checkpoint of its route (on the road beyond it); on a route without a"
    " checkpoint, out"
)


def largest_remainder(values: Sequence[float], total: int) -> list[int]:
    """Whole numbers proportional to `values` that sum to `total` exactly (Hamilton's method:
    floors first, then one more to the largest remainders, ties to the earlier)."""
    mass = float(sum(values))
    if total <= 0 or mass <= 0:
        return [0] * len(values)
    quotas = [v * total / mass for v in values]
    whole = [math.floor(q) for q in quotas]  # at most `total`: short is never negative
    short = total - sum(whole)
    order = sorted(range(len(values)), key=lambda k: (-(quotas[k] - whole[k]), k))
    for k in order[:short]:
        whole[k] += 1
    return whole


def _two_level(pcu: list[float], out: list[bool], total: int) -> list[int]:
    """Apportion `total` over the slots (`pcu[:-1]`, out by the window's end or not) and the
    unbooked rest (`pcu[-1]`): first between out, late and unbooked, then within each."""
    late_pcu = sum(v for v, o in zip(pcu, out, strict=False) if not o)
    out_pcu = sum(v for v, o in zip(pcu, out, strict=False) if o)
    parts = largest_remainder([out_pcu, late_pcu, pcu[-1]], total)
    result = [0] * len(pcu)
    for flag, whole in ((True, parts[0]), (False, parts[1])):
        idx = [k for k, o in enumerate(out) if o == flag]
        for k, n in zip(idx, largest_remainder([pcu[k] for k in idx], whole), strict=True):
            result[k] = n
    result[-1] = parts[2]
    return result


@dataclass
class OriginAccount:
    """One origin's whole-number split."""

    slots: list[dict[str, Any]] = field(default_factory=list)
    out_by_window_end: int = 0
    left_city_by_window_end: int = 0
    late: int = 0  # out, but after the window's end
    not_booked: int = 0  # car people no capacity was found for
    waiting_for_bus: int = 0
    no_route: bool = False


def account_origin(plan: Plan, i: int) -> OriginAccount:
    """Slots (whole cars and people), and the people out, late, not booked and waiting."""
    p = plan.problem
    o = p.origins[i]
    acc = OriginAccount(waiting_for_bus=int(plan.waiting_for_bus[i]))
    slot_steps = plan.slot_steps
    fluid: dict[tuple[int, int, bool], float] = defaultdict(float)
    left: dict[tuple[int, int, bool], float] = defaultdict(float)
    for b in plan.bookings:
        route = p.routes[b.route]
        if route.origin != i:
            continue
        out = b.step + route.total_steps <= p.window_steps
        key = (b.step // slot_steps, b.route, out)
        fluid[key] += b.pcu
        left[key] += b.pcu if plan.left_city_step(route, b.step) <= p.window_steps else 0.0
    keys = sorted(fluid)
    unbooked = max(plan.remaining_pcu[i], 0.0)
    pcu = [fluid[k] for k in keys] + [unbooked]
    car_total = o.people - o.bus_people  # whole people who leave by car
    # Two levels, so that the whole people out stay within one of the fluid figure: first
    # out / late / not booked, then the slots inside each.
    people = _two_level(pcu, [k[2] for k in keys], car_total)
    cars = _two_level(pcu, [k[2] for k in keys], round(o.car_pcu))
    for k, key in enumerate(keys):
        slot, route_index, out = key
        start = slot * slot_steps
        share = left[key] / fluid[key] if fluid[key] > 0 else 0.0
        acc.slots.append(
            {
                "start": p.step_time(start).isoformat(),
                "end": p.step_time(start + slot_steps).isoformat(),
                "route": route_index,
                "cars": cars[k],
                "people": people[k],
                "in_window": start < p.window_steps,
                "out_by_window_end": out,
            }
        )
        if out:
            acc.out_by_window_end += people[k]
        else:
            acc.late += people[k]
        acc.left_city_by_window_end += round(people[k] * share)
    acc.not_booked = people[-1]
    for t in plan.bus_trips:
        if t.origin != i:
            continue
        if t.out_step <= p.window_steps:
            acc.out_by_window_end += t.people
        else:
            acc.late += t.people
        if plan.left_city_step(p.routes[t.route], t.depart_step) <= p.window_steps:
            acc.left_city_by_window_end += t.people
    acc.no_route = not any(r.origin == i for r in p.routes)
    return acc


def unserved_rows(plan: Plan, accounts: list[OriginAccount]) -> list[dict[str, Any]]:
    """Everyone not out by the window's end, by origin and reason (whole people)."""
    p = plan.problem
    full = any(d.capacity_people < math.inf for d in p.destinations)
    rows: list[dict[str, Any]] = []
    for o, acc in zip(p.origins, accounts, strict=True):
        if acc.no_route:
            reason = "no route to a destination (network, corridor or hazards)"
            rows.append({"origin": o.id, "people": o.people, "reason": reason})
            continue
        for people, reason in (
            (acc.late, "window too short: out only after it closes"),
            (
                acc.not_booked,
                "reception full" if full else "no capacity within 14 days of the window",
            ),
            (acc.waiting_for_bus, "needs a bus seat: no bus (or no bus trip) available"),
        ):
            if people > 0:
                rows.append({"origin": o.id, "people": people, "reason": reason})
    return rows
