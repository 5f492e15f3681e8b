"""The planner ladder: every planner on every instance, each with its gap to the bound and
its time.

    python benchmarks/bench_ladder.py [--cases a,b,...] [--plain-budget SECONDS]

Rungs: shortest-path assignment, plain CCRP (stopped after the budget), the greedy (`--quality
fast`), path generation (`--quality best`), and the exact solver where it runs (time-expanded
network within its size limit). Instances: Castlemaine (`scenario from-ees`), Porto 100k
(`porto_scenario.py`), the instances of benchmarks/scenarios/ (built by
`build_ladder_scenarios.py`, and the two failure cases of issue 12). Each rung runs in a fresh
process, so its peak memory is its own. Results: benchmarks/results/ladder.json.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import ROOT, dump, machine, run_child, shared

BUILT = [
    "shared-bottleneck",
    "two-entry-roads",
    "kotka-night",
    "columbus-two-shelters",
    "porto-douro",
    "monaco-autumn",
]
ALL = [*BUILT, "castlemaine", "porto"]

PLAN = """
import time
from safepassage.model import prepare_scenario
from safepassage.plan import make_plan
prepared = prepare_scenario({path!r}, cut_off="warning")
t = time.perf_counter()
plan = make_plan(prepared, quality={quality!r})
seconds = time.perf_counter() - t
d = plan.as_dict()
result = dict(seconds=seconds, out=plan.people_out_by_window_end, egress_s=plan.egress_time_s,
              served=plan.people_served, people=plan.people_total,
              bound_out=plan.bound.people_out_by_window_end_max,
              bound_egress_s=plan.bound.egress_time_s_min, gap=d["gap"], quality=d["quality"],
              relaxed=plan.bound.relaxed)
"""

# The same bound at 5 s steps: it rounds each road's travel time down to whole steps, so at
# 60 s steps it overstates what is possible on networks of short roads; finer steps shrink
# that relaxation (and it stays a bound for the plan at 60 s steps).
FINE_BOUND = """
from safepassage.model import prepare_scenario
from safepassage.plan import finer_bound, make_plan
prepared = prepare_scenario({path!r}, cut_off="warning")
plan = make_plan(prepared, quality="fast")
fine = finer_bound(prepared, plan.problem, plan, slot_s=600.0, routes_per_origin=4)
assert fine is not None
result = dict(step_s={step}, bound_out=fine[0].people_out_by_window_end_max,
              bound_egress_s=fine[0].egress_time_s_min)
"""

BASELINES = """
import time
from safepassage.model import prepare_scenario
from safepassage.plan.problem import build_problem
from safepassage.plan.baselines import plain_ccrp, shortest_path_assignment, booking_out_steps
prepared = prepare_scenario({path!r}, cut_off="warning")
problem = build_problem(prepared)
W = problem.window_steps
t = time.perf_counter()
single, schedule = shortest_path_assignment(problem)
sp_s = time.perf_counter() - t
ev = booking_out_steps(single, schedule.bookings)
sp = dict(seconds=sp_s, out=sum(p for s, p in ev if s <= W),
          egress_s=max((s for s, _ in ev), default=0) * problem.step_s)
r = plain_ccrp(problem, budget_s={budget})
ev = r.out_steps(problem)
plain = dict(seconds=r.seconds, finished=r.finished, out=sum(p for s, p in ev if s <= W),
             egress_s=max((s for s, _ in ev), default=0) * problem.step_s,
             planned_people=sum(p for _, p in ev))
result = dict(shortest_path=sp, plain_ccrp=plain)
"""

EXACT = """
import time
from safepassage.errors import PlanningError
from safepassage.model import prepare_scenario
from safepassage.plan.problem import build_problem
from safepassage.plan.exact import solve_exact
prepared = prepare_scenario({path!r}, cut_off="warning")
problem = build_problem(prepared)
t = time.perf_counter()
try:
    if problem.graph.n_nodes * problem.window_steps > {limit}:
        raise PlanningError("over the ladder's size limit for the exact solver")
    e = solve_exact(problem)
    result = dict(seconds=time.perf_counter() - t, out=e.people_out_by_window_end,
                  egress_s=e.egress_time_s, ran=True)
except PlanningError as exc:
    result = dict(ran=False, why=str(exc))
"""


def paths(cases: list[str], tmp: Path) -> dict[str, Path]:
    out = {c: ROOT / "benchmarks" / "scenarios" / f"{c}.yaml" for c in cases if c in BUILT}
    if "castlemaine" in cases:
        from safepassage.model.ees import scenario_from_ees

        path = tmp / "castlemaine.yaml"
        scenario_from_ees(
            shared("matsim/mount-alexander/network.xml.gz").parent, path, crs="EPSG:28355"
        )
        out["castlemaine"] = path
    if "porto" in cases:
        from porto_scenario import write_porto_scenario

        out["porto"] = write_porto_scenario(shared("osm/porto.osm.pbf"), tmp / "porto.yaml")
    return out


def gap(value: float | None, best: float | None, *, lower_is_better: bool = False) -> str:
    if value is None or not best:
        return "n/a"
    g = (value - best) / best if lower_is_better else (best - value) / best
    return f"{max(g, 0.0):.1%}"


def row(name: str, rung: str, r: dict[str, object], bound: dict[str, object]) -> str:
    out, egress = r.get("out"), r.get("egress_s")
    return (
        f"| {name} | {rung} | {r.get('seconds', 0):.2f} s | {out:,.0f} | "  # type: ignore[str-format]
        f"{gap(out, bound['out'])} | {(egress or 0) / 3600:.2f} h | "  # type: ignore[arg-type,operator]
        f"{gap(egress, bound['egress'], lower_is_better=True)} |"  # type: ignore[arg-type]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=",".join(ALL))
    parser.add_argument("--plain-budget", type=float, default=120.0)
    parser.add_argument("--no-exact", action="store_true")
    parser.add_argument(
        "--exact-limit",
        type=int,
        default=100_000,
        help="run the exact solver only below this many places x window steps (its egress"
        " search took over 8 minutes on kotka-night, 279 places x 840 steps)",
    )
    args = parser.parse_args()
    results: dict[str, object] = {}
    lines = [
        "| instance | rung | time | people out by window end | gap | egress | gap |",
        "|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in paths(args.cases.split(","), Path(tmp)).items():
            fast = run_child(PLAN.format(path=str(path), quality="fast"))
            best = run_child(PLAN.format(path=str(path), quality="best"))
            base = run_child(BASELINES.format(path=str(path), budget=args.plain_budget))
            exact = (
                {"ran": False}
                if args.no_exact
                else run_child(EXACT.format(path=str(path), limit=args.exact_limit))
            )
            fine = run_child(FINE_BOUND.format(path=str(path), step=5.0))
            results[name] = {"fast": fast, "best": best, **base, "exact": exact, "fine": fine}
            # The bound every rung is compared with: what `best` states (the tighter of the
            # bounds at the plan's step and at 5 s steps), else the plan-step bound.
            egress = [e for e in (fast["bound_egress_s"], best["bound_egress_s"]) if e is not None]
            bound = {
                "out": min(fast["bound_out"], best["bound_out"]),  # type: ignore[type-var]
                "egress": max(egress) if egress else None,  # type: ignore[type-var]
            }
            plain = base["plain_ccrp"]
            plain_rung = "plain CCRP" + ("" if plain["finished"] else " (stopped)")  # type: ignore[index]
            lines += [
                row(name, "shortest-path assignment", base["shortest_path"], bound),  # type: ignore[arg-type]
                row(name, plain_rung, plain, bound),  # type: ignore[arg-type]
                row(name, "greedy (fast)", fast, bound),
                row(name, "path generation (best)", best, bound),
            ]
            if exact.get("ran"):
                lines.append(row(name, "exact", exact, bound))
            lines.append(
                f"| {name} | bound at the plan's steps | | {fast['bound_out']:,.0f} | | "
                f"{(fast['bound_egress_s'] or 0) / 3600:.2f} h | |"  # type: ignore[operator]
            )
            lines.append(
                f"| {name} | bound as `best` states it | | {bound['out']:,.0f} | | "
                f"{(bound['egress'] or 0) / 3600:.2f} h | |"  # type: ignore[operator]
            )
            lines.append(
                f"| {name} | bound at 5 s steps | | {fine['bound_out']:,.0f} | | "
                f"{(fine['bound_egress_s'] or 0) / 3600:.2f} h | |"  # type: ignore[operator]
            )
            print("\n".join(lines), flush=True)
    dump("ladder", {"machine": machine(), "results": results})
    print("\n".join(lines))


if __name__ == "__main__":
    main()
