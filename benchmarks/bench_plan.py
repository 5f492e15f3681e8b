"""Planner speed and quality: Castlemaine and Porto, against two baselines in the same run.

    python benchmarks/bench_plan.py [--plain-budget SECONDS] [--cases castlemaine,porto]

For each case: our plan (time, people out by the window's end, egress time, gap to the bound),
the shortest-path assignment pushed through the capacities, and plain CCRP (stopped after
the budget if it has not finished; then its figures are for the part it planned).
Each planner runs in a fresh process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import dump, machine, run_child, shared, table

OURS = """
import time
from safepassage.model import prepare_scenario
from safepassage.plan import make_plan
prepared = prepare_scenario({path!r})
t = time.perf_counter()
plan = make_plan(prepared)
seconds = time.perf_counter() - t
t = time.perf_counter()
from safepassage.plan.ccrp import plan_cars
from safepassage.plan.problem import build_problem
problem = build_problem(prepared)
build_s = time.perf_counter() - t
orders = {{}}
for order in ("fullest-first", "longest-first", "index"):
    t = time.perf_counter()
    s = plan_cars(problem, order=order)
    W = problem.window_steps
    out = sum(b.pcu * problem.origins[problem.routes[b.route].origin].occupancy for b in s.bookings if b.step + problem.routes[b.route].total_steps <= W)
    last = max(b.step + problem.routes[b.route].total_steps for b in s.bookings)
    orders[order] = dict(seconds=time.perf_counter() - t, out=out, egress_s=last * problem.step_s)
d = plan.as_dict()
result = dict(seconds=seconds, build_s=build_s, routes=len(plan.problem.routes), out=plan.people_out_by_window_end,
              egress_s=plan.egress_time_s, bound_out=plan.bound.people_out_by_window_end_max,
              bound_egress_s=plan.bound.egress_time_s_min, gap=d["gap"], orders=orders, people=plan.people_total)
"""

BASELINES = """
import time
from safepassage.model import prepare_scenario
from safepassage.plan.problem import build_problem
from safepassage.plan.baselines import plain_ccrp, shortest_path_assignment, booking_out_steps
prepared = prepare_scenario({path!r})
problem = build_problem(prepared)
W = problem.window_steps
t = time.perf_counter()
single, schedule = shortest_path_assignment(problem)
sp_s = time.perf_counter() - t
ev = booking_out_steps(single, schedule.bookings)
sp = dict(seconds=sp_s, out=sum(p for s, p in ev if s <= W), egress_s=max(s for s, _ in ev) * problem.step_s)
r = plain_ccrp(problem, budget_s={budget})
ev = r.out_steps(problem)
plain = dict(seconds=r.seconds, iterations=r.iterations, finished=r.finished,
             out=sum(p for s, p in ev if s <= W), egress_s=max((s for s, _ in ev), default=0) * problem.step_s,
             planned_people=sum(p for _, p in ev))
result = dict(shortest_path=sp, plain_ccrp=plain)
"""


def scenario_paths(cases: list[str], tmp: Path) -> dict[str, Path]:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    paths = {}
    if "castlemaine" in cases:
        from safepassage.model.ees import scenario_from_ees

        out = tmp / "castlemaine.yaml"
        scenario_from_ees(
            shared("matsim/mount-alexander/network.xml.gz").parent, out, crs="EPSG:28355"
        )
        paths["castlemaine"] = out
    if "porto" in cases:
        from porto_scenario import write_porto_scenario

        paths["porto"] = write_porto_scenario(shared("osm/porto.osm.pbf"), tmp / "porto.yaml")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plain-budget", type=float, default=600.0)
    parser.add_argument("--cases", default="castlemaine,porto")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in scenario_paths(args.cases.split(","), Path(tmp)).items():
            ours = run_child(OURS.format(path=str(path)))
            base = run_child(BASELINES.format(path=str(path), budget=args.plain_budget))
            results[name] = {"ours": ours, **base}
            sp, plain = base["shortest_path"], base["plain_ccrp"]
            h = 3600.0
            rows += [
                (
                    f"{name}: plan time",
                    f"{ours['seconds']:.2f} s",
                    f"plain CCRP {plain['seconds']:.1f} s{'' if plain['finished'] else ' (stopped)'}",
                    f"{plain['seconds'] / ours['seconds']:.0f}x faster",
                ),
                (
                    f"{name}: people out by window end",
                    f"{ours['out']:,.0f}",
                    f"SP {sp['out']:,.0f} / plain {plain['out']:,.0f}",
                    f"bound {ours['bound_out']:,.0f}, gap {ours['gap']['people_out_by_window_end']:.1%}",
                ),
                (
                    f"{name}: egress time",
                    f"{ours['egress_s'] / h:.2f} h",
                    f"SP {sp['egress_s'] / h:.2f} h / plain {plain['egress_s'] / h:.2f} h",
                    f"bound {(ours['bound_egress_s'] or 0) / h:.2f} h, gap {ours['gap']['egress_time_s'] or 0:.1%}",
                ),
                (f"{name}: peak memory", f"{ours['peak_rss_mib']:.0f} MiB", "", ""),
            ]
            for order, o in ours["orders"].items():
                rows.append(
                    (
                        f"{name}: order {order}",
                        f"{o['seconds']:.2f} s",
                        f"out {o['out']:,.0f}",
                        f"egress {o['egress_s'] / h:.2f} h",
                    )
                )
    print(f"machine: {machine()}")
    print(table(rows))
    dump("plan", {"machine": machine(), "results": results})
    print(json.dumps(results, indent=1, default=str)[:3000])


if __name__ == "__main__":
    main()
