"""Plain CCRP run to completion on Castlemaine (slow: tens of minutes), for a like-for-like
quality comparison with our planner. Writes benchmarks/results/plain_ccrp.json.

    python benchmarks/bench_plain_ccrp.py [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import dump, machine, shared
from safepassage.model import prepare_scenario
from safepassage.model.ees import scenario_from_ees
from safepassage.plan import make_plan
from safepassage.plan.baselines import plain_ccrp
from safepassage.plan.problem import build_problem


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=3600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "castlemaine.yaml"
        scenario_from_ees(
            shared("matsim/mount-alexander/network.xml.gz").parent, path, crs="EPSG:28355"
        )
        prepared = prepare_scenario(path)
        started = time.perf_counter()
        plan = make_plan(prepared)
        ours_s = time.perf_counter() - started
        problem = build_problem(prepared)
        result = plain_ccrp(problem, budget_s=args.budget)
    events = result.out_steps(problem)
    window = problem.window_steps
    plain = {
        "seconds": result.seconds,
        "iterations": result.iterations,
        "finished": result.finished,
        "people_planned": sum(p for _, p in events),
        "out": sum(p for s, p in events if s <= window),
        "egress_s": max(s for s, _ in events) * problem.step_s,
    }
    ours = {"seconds": ours_s, "out": plan.people_out_by_window_end, "egress_s": plan.egress_time_s}
    print(f"machine: {machine()}")
    print(f"ours:  {ours}")
    print(f"plain: {plain}")
    dump("plain_ccrp", {"machine": machine(), "ours": ours, "plain_ccrp": plain})


if __name__ == "__main__":
    main()
