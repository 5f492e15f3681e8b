"""Path pricing for column generation: the cheapest route with a departure step, by duals.

A backward dynamic programme over the time-expanded network (states: place x step, no
waiting on the way, as in the planner's routes): the cost of entering a road or checkpoint in
step s is the dual price of that cell; reaching a destination in step s earns the column's
objective for an out step s + 1 less the destination's dual. One run serves every origin of
a group (same objective weight, people per car and allowed destinations) and every
departure step. Steps per road here are travel times rounded to the nearest step; the route
found is then timed exactly like every other route (`problem.time_route`) and priced again
exactly, so a rounding difference can only cost a missed column, never a wrong one. With
travel times that are whole steps the two agree and the pricing is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safepassage.plan.problem import PlanningProblem
from safepassage.plan.routes import Candidate

#: Largest time-expanded state space (places x steps) priced exactly; beyond, routes come
#: from the candidate pool only.
MAX_STATES = 500_000
TOL = 1e-7
#: Departure steps tried per origin and round (their paths may differ).
TRIES = 4


@dataclass
class PricingNetwork:
    """Arcs of one layer: roads (resource = edge id) and checkpoints (n_edges + index)."""

    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    steps: NDArray[np.int64]
    resource: NDArray[np.int64]
    n_nodes: int
    origin_node: NDArray[np.int64]
    dest_node: NDArray[np.int64]


def pricing_network(problem: PlanningProblem) -> PricingNetwork | None:
    """The network the pricing searches; None where it cannot (corridor via points) or would
    be too large (`MAX_STATES`)."""
    if problem.via_nodes:
        return None
    g = problem.graph
    n, c, m = g.n_nodes, len(problem.checkpoints), g.n_edges
    out_of = np.arange(n)
    cp_node = np.array([cp.node for cp in problem.checkpoints], dtype=np.int64)
    out_of[cp_node] = n + np.arange(c)
    e = np.flatnonzero(~problem.closed_edges)
    step = problem.step_s
    service = np.array([cp.service_s for cp in problem.checkpoints])
    return PricingNetwork(
        tail=np.concatenate((cp_node, out_of[g.edge_source[e]])).astype(np.int64),
        head=np.concatenate((n + np.arange(c), g.edge_target[e])).astype(np.int64),
        steps=np.rint(np.concatenate((service, g.travel_time_s[e])) / step).astype(np.int64),
        resource=np.concatenate((m + np.arange(c), e)).astype(np.int64),
        n_nodes=n + c,
        origin_node=out_of[[o.node for o in problem.origins]].astype(np.int64),
        dest_node=out_of[[d.node for d in problem.destinations]].astype(np.int64),
    )


def fits(net: PricingNetwork, horizon: int) -> bool:
    return net.n_nodes * (horizon + 2) <= MAX_STATES


@dataclass(frozen=True)
class PricedPath:
    origin: int
    destination: int
    depart: int
    edges: list[int]
    reduced_cost: float


def cheapest_paths(
    net: PricingNetwork,
    problem: PlanningProblem,
    arc_cost: NDArray[np.float64],
    reward: NDArray[np.float64],
    group: list[int],
    origin_price: NDArray[np.float64],
) -> list[PricedPath]:
    """The best columns of each origin in `group` with a positive reduced cost: the paths
    from its `TRIES` best departure steps.

    `arc_cost[a, s]`: dual cost of arc a entered in step s (inf where closed), for the
    group's per-PCU scale; `reward[d, s]`: what reaching destination d in step s earns per
    PCU; `origin_price[i, t]`: the origin's own dual terms for a departure in step t."""
    horizon = arc_cost.shape[1]
    ctg = _cost_to_go(net, arc_cost, reward, horizon)
    found = []
    for i in group:
        values = -ctg[net.origin_node[i], :horizon] - origin_price[i, :horizon]
        for t in np.argsort(-values, kind="stable")[:TRIES].tolist():
            if not np.isfinite(values[t]) or values[t] <= TOL:
                break
            path = _walk(net, ctg, arc_cost, reward, int(net.origin_node[i]), t)
            if path is not None:
                found.append(PricedPath(i, path[1], t, path[0], float(values[t])))
    return found


def _cost_to_go(
    net: PricingNetwork,
    arc_cost: NDArray[np.float64],
    reward: NDArray[np.float64],
    horizon: int,
) -> NDArray[np.float64]:
    """ctg[v, s]: least cost from place v in step s to an arrival (negative: a gain)."""
    ctg = np.full((net.n_nodes, horizon + 1), np.inf)
    zero = net.steps == 0
    later = ~zero
    for s in range(horizon - 1, -1, -1):
        col = np.full(net.n_nodes, np.inf)
        np.minimum.at(col, net.dest_node, -reward[:, s])
        ahead = s + net.steps[later]
        ok = ahead < horizon
        idx = np.flatnonzero(later)[ok]
        cand = arc_cost[idx, s] + ctg[net.head[idx], ahead[ok]]
        np.minimum.at(col, net.tail[idx], cand)
        zidx = np.flatnonzero(zero & np.isfinite(arc_cost[:, s]))
        for _ in range(net.n_nodes):  # zero-step arcs: relax until nothing improves
            cand = arc_cost[zidx, s] + col[net.head[zidx]]
            better = cand < col[net.tail[zidx]] - 1e-12
            if not better.any():
                break
            np.minimum.at(col, net.tail[zidx[better]], cand[better])
        ctg[:, s] = col
    return ctg


def _walk(
    net: PricingNetwork,
    ctg: NDArray[np.float64],
    arc_cost: NDArray[np.float64],
    reward: NDArray[np.float64],
    start: int,
    t: int,
) -> tuple[list[int], int] | None:
    """Follow the programme's choices from (start, t) to the destination it reaches."""
    horizon = arc_cost.shape[1]
    v, s = start, t
    arcs: list[int] = []
    order = np.argsort(net.tail, kind="stable")
    bounds = np.searchsorted(net.tail[order], np.arange(net.n_nodes + 1))
    for _ in range(net.n_nodes * 2 + 2):
        here = ctg[v, s]
        for d in np.flatnonzero(net.dest_node == v).tolist():
            if abs(-reward[d, s] - here) <= 1e-9 * max(1.0, abs(here)):
                return [int(net.resource[a]) for a in arcs], d
        nxt = None
        for a in order[bounds[v] : bounds[v + 1]].tolist():
            s2 = s + int(net.steps[a])
            if s2 >= horizon or not np.isfinite(arc_cost[a, s]):
                continue
            value = arc_cost[a, s] + ctg[net.head[a], s2]
            if abs(value - here) <= 1e-9 * max(1.0, abs(here)):
                nxt = (a, int(net.head[a]), s2)
                break
        if nxt is None:
            return None
        arcs.append(nxt[0])
        v, s = nxt[1], nxt[2]
    return None


def to_candidate(problem: PlanningProblem, path: PricedPath) -> tuple[Candidate | None, bool]:
    """The found path as a candidate route (checkpoints dropped: they are at its nodes), with
    any loop cut out (a loop is a way of waiting on the road, which no route does; cut out,
    the route must prove itself in the exact pricing). Also says whether a loop was cut."""
    g = problem.graph
    road = [r for r in path.edges if r < g.n_edges]
    if not road:
        return None, False
    nodes: list[int] = [int(g.edge_source[road[0]])]
    kept: list[int] = []
    for e in road:
        head = int(g.edge_target[e])
        if head in nodes:  # back at a place: drop the loop
            cut = nodes.index(head)
            nodes, kept = nodes[: cut + 1], kept[:cut]
        else:
            nodes.append(head)
            kept.append(e)
    looped = len(kept) < len(road)
    if not kept:
        return None, looped
    edges = np.array(kept, dtype=np.int64)
    return Candidate(
        origin=path.origin,
        destination=path.destination,
        nodes=np.array(nodes, dtype=np.int64),
        edges=edges,
        travel_time_s=float(g.travel_time_s[edges].sum()),
        length_m=float(g.length_m[edges].sum()),
    ), looped
