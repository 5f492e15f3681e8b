"""The limits of a plan in words: the checkpoints, road sections and destination entries that
are full, how much of the window each is full, and the queue behind it.

"Full" is read from the plan's capacity ledger (a saturated resource, the planner's view of
the cut). The queue is the plan's own: vehicles booked through the resource that pass it only
after the window's end (they wait at their assembly points because it is full), and the hours
after the window's end until the last of them passes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from safepassage.decide.names import Namer
from safepassage.plan.ledger import EPS
from safepassage.plan.result import Plan


def _kind(plan: Plan, resource: int) -> str:
    p, g = plan.problem, plan.problem.graph
    if resource >= g.n_edges:
        return "checkpoint"
    destinations = {d.node for d in p.destinations}
    return "destination entry" if int(g.edge_target[resource]) in destinations else "road"


def _passes_after(plan: Plan, resources: set[int]) -> dict[int, tuple[float, int]]:
    """Per resource: vehicles passing it after the window's end, and the last step one does."""
    p = plan.problem
    W = p.window_steps
    late: dict[int, float] = defaultdict(float)
    last: dict[int, int] = defaultdict(int)
    trips = [(b.route, b.step, b.pcu) for b in plan.bookings]
    trips += [(t.route, t.depart_step, 1.0) for t in plan.bus_trips]
    for route_index, step, amount in trips:
        route = p.routes[route_index]
        for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
            if res in resources and step + off >= W:
                late[res] += amount
                last[res] = max(last[res], step + off)
    return {r: (late[r], last[r]) for r in resources}


def named_bottlenecks(plan: Plan, top: int = 5) -> list[dict[str, Any]]:
    """The resources full for the most steps inside the window, in words."""
    p, ledger = plan.problem, plan.ledger
    W = p.window_steps
    window = ledger.residual[:, :W]
    base = p.capacity_block(ledger.resources, 0, window.shape[1])
    full = ((window <= EPS) & (base > EPS)).sum(axis=1)
    open_steps = (base > EPS).sum(axis=1)
    order = [int(r) for r in np.argsort(-full, kind="stable")[:top] if full[r] > 0]
    chosen = {int(ledger.resources[r]) for r in order}
    queue = _passes_after(plan, chosen)
    namer = Namer(p)
    out = []
    for row in order:
        resource = int(ledger.resources[row])
        vehicles, last = queue[resource]
        out.append(
            {
                "resource": namer.resource(resource),
                "kind": _kind(plan, resource),
                "full_minutes": round(float(full[row]) * p.step_s / 60),
                "share_of_window_full": round(float(full[row]) / max(int(open_steps[row]), 1), 3),
                "queue_vehicles_at_window_end": round(vehicles, 1),
                "queue_hours_after_window_end": round(max(last - W + 1, 0) * p.step_s / 3600, 1)
                if vehicles > EPS
                else 0.0,
            }
        )
    return out


def describe(neck: dict[str, Any]) -> str:
    """One sentence for a bottleneck."""
    text = (
        f"{neck.get('name', neck['resource'])}: full {neck['share_of_window_full']:.0%} of the time it is open"
        f" in the window ({neck['full_minutes']} min)"
    )
    if neck["queue_vehicles_at_window_end"] > 0:
        text += (
            f"; {neck['queue_vehicles_at_window_end']:,.0f} vehicles still to pass it at the"
            f" window's end, the last {neck['queue_hours_after_window_end']:,.1f} h later"
        )
    return text
