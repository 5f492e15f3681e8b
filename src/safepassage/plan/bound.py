"""Upper bounds on what any plan can achieve, from flows over time.

The argument (docs/planning.md): in the planner's discrete time model every plan is a flow over
time in a network whose arcs take floor(travel time / step) steps and carry the per-step
capacity of the road or checkpoint (waiting allowed). Ford and Fulkerson: the most flow that
a set A of sources with unlimited supply can send to the sinks by step W is a temporally
repeated static flow, found as one min-cost flow: o(A, W) = max over static flows x of
(W + 1)|x| - sum of arc steps x_a (sink arcs take one step). With finite supplies, Hoppe and
Tardos: the most people out by W is the minimum over source subsets A of
people(not A) + min(people(A), o(A, W) x occupancy). Every subset gives a valid upper bound;
all subsets give the exact value. We enumerate all subsets up to `EXACT_ORIGINS` origins and a
documented family beyond (all origins, nested sets by distance and by occupancy, the largest
origins alone). People per vehicle differ between origins: the PCU a subset gets out are
filled with its fullest vehicles first. Fixed destinations: a subset's flow ends only at its
origins' destinations, and each group of origins with the same destinations has its own
minimum, summed over the groups. Time-varying capacities are relaxed in the curves and counted
through cuts over time (`plan/cuts.py`: roads and checkpoints every vehicle of a set of
origins must pass, each only while open); where small enough, the time-expanded network
(`plan/expanded.py`) caps people by the window's end exactly.
Reception capacities are summed per group. Every relaxation keeps the bound valid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from safepassage.network.graph import least_weight_matrix
from safepassage.plan.buses import BusCapacity
from safepassage.plan.cuts import CutNetwork, TimedCut, gate_cuts, timed_cuts, varying_resources
from safepassage.plan.problem import PlanningProblem
from safepassage.plan.ssp import FlowCurve, successive_shortest_paths
from safepassage.plan.steps import floor_steps_array

EXACT_ORIGINS = 10
#: Beyond this many groups of fixed destinations, a group enters the family only whole.
MANY_GROUPS = 10
#: Network capacities are stored as integers (rounded up, which keeps the bound valid).
SCALE = 1000


@dataclass(frozen=True)
class Bound:
    people_out_by_window_end_max: float
    egress_time_s_min: float | None
    exact_subsets: bool
    subsets_evaluated: int
    relaxed: list[str] = field(default_factory=list)
    knows: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "people_out_by_window_end_max": round(self.people_out_by_window_end_max, 1),
            "egress_time_s_min": self.egress_time_s_min,
            "method": "flows over time (temporally repeated min-cost flows, Hoppe-Tardos source subsets)",
            "subsets": "all"
            if self.exact_subsets
            else f"{self.subsets_evaluated} (documented family)",
            "knows": self.knows,
            "relaxed": self.relaxed,
        }


@dataclass
class _Network:
    """The static network of the bound: arcs with integer capacity (scaled) and steps."""

    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    capacity: NDArray[np.int64]
    steps: NDArray[np.int64]
    n_nodes: int
    origin_node: NDArray[np.int64]  # per origin, where its flow enters
    sink_nodes: NDArray[np.int64]  # every destination's sink node (unique)
    sink_of: NDArray[np.int64]  # per destination, its sink node
    resource: NDArray[np.int64]  # per arc: edge id or n_edges + checkpoint; -1 between legs

    def sinks_for(self, destinations: Iterable[int]) -> NDArray[np.int64]:
        """The sink nodes of these destination indices."""
        return np.unique(self.sink_of[sorted(destinations)])


def _network(problem: PlanningProblem) -> _Network:
    """The static network: one layer per corridor leg (origins enter the first, sinks leave
    the last, via point k leads from layer k to k + 1). Each layer holds every open edge and
    checkpoint with its full capacity: a relaxation (a route could use an edge in two layers),
    so the bound stays valid; without a corridor there is one layer and nothing is relaxed."""
    g, step = problem.graph, problem.step_s
    n, c = g.n_nodes, len(problem.checkpoints)
    size = n + c  # nodes of one layer: graph nodes, then one exit node per checkpoint
    out_of = np.arange(n)
    cp_tail = np.array([cp.node for cp in problem.checkpoints], dtype=np.int64)
    cp_head = n + np.arange(c, dtype=np.int64)
    out_of[cp_tail] = cp_head
    e = np.flatnonzero(~problem.closed_edges)
    tail1 = np.concatenate((cp_tail, out_of[g.edge_source[e]]))
    head1 = np.concatenate((cp_head, g.edge_target[e]))
    cap1 = np.concatenate(
        (
            np.ceil(np.array([cp.pcu_per_step for cp in problem.checkpoints]) * SCALE).astype(
                np.int64
            ),
            np.ceil(problem.edge_pcu_per_step[e] * SCALE).astype(np.int64),
        )
    )
    steps1 = np.concatenate(
        (
            floor_steps_array([cp.service_s for cp in problem.checkpoints], step),
            floor_steps_array(g.travel_time_s[e], step),
        )
    )
    resource1 = np.concatenate((g.n_edges + np.arange(c, dtype=np.int64), e))
    layers = len(problem.via_nodes) + 1
    offsets = np.arange(layers, dtype=np.int64) * size
    tail = (tail1[None, :] + offsets[:, None]).ravel()
    head = (head1[None, :] + offsets[:, None]).ravel()
    capacity = np.tile(cap1, layers)
    arc_steps = np.tile(steps1, layers)
    resource = np.tile(resource1, layers)
    if problem.via_nodes:
        via = np.array(problem.via_nodes, dtype=np.int64)
        big = int(cap1.sum()) + 1
        tail = np.concatenate((tail, via + offsets[:-1]))
        head = np.concatenate((head, via + offsets[1:]))
        capacity = np.concatenate((capacity, np.full(via.size, big)))
        arc_steps = np.concatenate((arc_steps, np.zeros(via.size, dtype=np.int64)))
        resource = np.concatenate((resource, np.full(via.size, -1, dtype=np.int64)))
    return _Network(
        tail=tail,
        head=head,
        capacity=capacity,
        steps=arc_steps,
        n_nodes=size * layers,
        origin_node=out_of[[o.node for o in problem.origins]].astype(np.int64),
        sink_nodes=np.unique(out_of[[d.node for d in problem.destinations]]).astype(np.int64)
        + offsets[-1],
        sink_of=out_of[[d.node for d in problem.destinations]].astype(np.int64) + offsets[-1],
        resource=resource,
    )


def flow_curve(
    net: _Network,
    sources: NDArray[np.int64],
    rate_cap: NDArray[np.float64],
    sinks: NDArray[np.int64] | None = None,
) -> FlowCurve:
    """o(A, H) for every horizon H: PCU that `sources` can get out by step H at `sinks` (all
    destinations by default), each sending at most `rate_cap` PCU per step (its whole supply:
    no plan sends more in one step, so the cap keeps the bound valid and the flow finite)."""
    if sources.size == 0:
        return FlowCurve(np.zeros(0), np.zeros(0))
    sinks = net.sink_nodes if sinks is None else sinks
    s, t = net.n_nodes, net.n_nodes + 1
    tail = np.concatenate((net.tail, np.full(sources.size, s), sinks))
    head = np.concatenate((net.head, sources, np.full(sinks.size, t)))
    capacity = np.concatenate((net.capacity / SCALE, rate_cap, np.full(sinks.size, np.inf)))
    capacity = np.minimum(capacity, float(rate_cap.sum()))
    cost = np.concatenate((net.steps, np.zeros(sources.size), np.ones(sinks.size))).astype(
        np.float64
    )
    return successive_shortest_paths(net.n_nodes + 2, tail, head, capacity, cost, s, t)


class BoundCalculator:
    """The people-out bound for any horizon, over a fixed family of origin subsets; each
    subset's whole curve comes from one successive-shortest-paths run.

    Destinations fixed per origin are honoured: a subset's flow may only end at the
    destinations its origins may use, and where origins differ in those, each group of origins
    with the same destinations gets its own Hoppe-Tardos minimum (and its own reception
    capacity), summed over the groups. Where the instance is small enough, the bound on people
    out by the window's end is also capped by the time-expanded network (`plan/expanded.py`), which
    counts opening hours, timed hazards and fixed destinations exactly."""

    def __init__(
        self,
        problem: PlanningProblem,
        *,
        buses: BusCapacity | None = None,
        time_expanded: bool = True,
        entry_grid: int = 1,
        curves: bool = True,
    ) -> None:
        self.problem = problem
        self.curves = curves  # False: the cuts over time alone (no flow-over-time curves)
        self.entry_grid = entry_grid  # this many steps make one of the plan's (cuts.py)
        self.net = _network(problem)
        origins = problem.origins
        # Cars here; bus passengers are bounded apart (`buses`) and added: a valid sum, since
        # buses only take capacity the cars could otherwise use (at gates, counted once).
        self.people = np.array([o.car_people for o in origins], dtype=np.float64)
        self.occupancy = np.array([o.occupancy for o in origins])
        self.buses = buses
        # Supply in PCU at the fullest vehicles: the most an origin can send in one step.
        self.supply_pcu = self.people / self.occupancy
        self.exact = len(origins) <= EXACT_ORIGINS
        self.allowed = [frozenset(o.allowed) for o in origins]
        self.groups = _groups(self.allowed)
        self._varies = capacity_varies(problem)
        member_sets = self._member_sets()
        self.subsets = self._family(extra=member_sets)
        # Per group (the whole set first), the family's subsets inside it, computed once.
        self._inside = [self._subsets_within(np.arange(len(origins)))] + [
            self._subsets_within(group) for group in self.groups
        ]
        self.reception = sum(d.capacity_people for d in problem.destinations)
        self._curves: dict[int, FlowCurve] = {}
        self._fills: dict[
            int, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
        ] = {}
        self.cuts = self._timed_cuts(member_sets)
        everyone = frozenset(range(len(origins)))
        # Bus trips cross the cuts of all origins (taking `_bus_charge` each), not the others.
        self._for_all = np.array([cut.members == everyone for cut in self.cuts], dtype=bool)
        self._covering = [
            np.array(
                [k for k, cut in enumerate(self.cuts) if cut.members.issuperset(subset.tolist())],
                dtype=np.int64,
            )
            for subset in self.subsets
        ]
        # What one bus trip takes of each cut of all origins (the least it takes of any of
        # its resources, at the plan's steps); zero for the other cuts.
        self._bus_charge = np.array(
            [
                float(buses.units(cut.resources).min())
                if buses is not None and for_all and cut.resources.size
                else 0.0
                for cut, for_all in zip(self.cuts, self._for_all, strict=True)
            ],
            dtype=np.float64,
        )
        self._cut_cache: dict[int, NDArray[np.float64]] = {}
        self.window_cars: float | None = None  # cars-only optimum by the window's end
        if time_expanded:
            from safepassage.plan.expanded import car_people_by_window_end

            self.window_cars = car_people_by_window_end(problem)

    def _member_sets(self) -> list[NDArray[np.int64]]:
        """Origin sets that get their own cuts over time: all origins, each group of fixed
        destinations and, in each, the origins that cannot avoid a capacity that changes with
        time (the others would make every cut of their set pass only steady roads)."""
        if not self._varies and not self.problem.via_nodes:
            return []
        everyone = np.arange(len(self.problem.origins))
        sets = [everyone] + (self.groups if len(self.groups) > 1 else [])
        if self._varies:
            net, steady = self.net, self._steady_arcs()
            for members in list(sets):
                sinks = self.net.sinks_for(self._may_use(members))
                stuck = members[~_reaches(net, steady, net.origin_node[members], sinks)]
                if 0 < stuck.size < members.size:
                    sets.append(stuck)
        unique = {m.tobytes(): m for m in sets}
        return list(unique.values())

    def _may_use(self, members: NDArray[np.int64]) -> frozenset[int]:
        return frozenset().union(*(self.allowed[k] for k in members.tolist()))

    def _steady_arcs(self) -> NDArray[np.bool_]:
        """Arcs of the bound's network whose capacity never changes with time."""
        resource = self.net.resource
        out = np.ones(resource.shape[0], dtype=bool)
        real = resource >= 0
        out[real] = ~varying_resources(self.problem, resource[real])
        return out

    def _timed_cuts(self, member_sets: list[NDArray[np.int64]]) -> list[TimedCut]:
        """Minimum cuts over time of every member set, and each gate checkpoint on its own."""
        net = self.net
        arcs = CutNetwork(net.tail, net.head, net.steps, net.resource, net.n_nodes)
        cuts: list[TimedCut] = []
        for members in member_sets:
            sources = net.origin_node[members]
            sinks = net.sinks_for(self._may_use(members))
            members_set = frozenset(members.tolist())
            cuts.extend(
                timed_cuts(self.problem, arcs, sources, sinks, members_set, self.entry_grid)
            )
        if member_sets:
            everyone = member_sets[0]
            m = self.problem.graph.n_edges
            cuts += gate_cuts(
                arcs,
                [m + gate for gate in gate_checkpoints(self.problem)],
                net.origin_node[everyone],
                net.sinks_for(self._may_use(everyone)),
                frozenset(everyone.tolist()),
                self.entry_grid,
            )
        return cuts

    def _family(self, extra: list[NDArray[np.int64]]) -> list[NDArray[np.int64]]:
        """Origin subsets for Hoppe-Tardos: all of them when few, else a documented family
        (with the `extra` sets that have cuts of their own)."""
        n = len(self.problem.origins)
        if self.exact:
            return [
                np.array(c, dtype=np.int64)
                for k in range(1, n + 1)
                for c in itertools.combinations(range(n), k)
            ]
        dist = self._free_flow_steps()
        family = [np.arange(n)]
        # Three sizes per ordering: more gave the same bound on Castlemaine and Porto, slower.
        cuts = np.unique(np.geomspace(1, n - 1, 3).astype(int))
        for order in (np.argsort(dist), np.argsort(-dist), np.argsort(self.occupancy)):
            family.extend(np.sort(order[:cut]) for cut in cuts)
        family.extend(np.array([i]) for i in np.argsort(-self.people)[:3])
        if len(self.groups) > 1:  # each group whole (and, if few, its three largest alone)
            for group in self.groups:
                family.append(group)
                if len(self.groups) <= MANY_GROUPS:
                    top = group[np.argsort(-self.people[group])[:3]]
                    family.extend(np.array([i]) for i in top)
        family.extend(np.sort(members) for members in extra)
        unique = {subset.tobytes(): subset for subset in family}
        return list(unique.values())

    def _free_flow_steps(self) -> NDArray[np.float64]:
        net = self.net
        m = least_weight_matrix(net.tail, net.head, net.steps + np.float64(1e-6), net.n_nodes)
        dist = dijkstra(m.T.tocsr(), directed=True, indices=net.sink_nodes)
        return np.asarray(np.atleast_2d(dist).min(axis=0)[net.origin_node])

    def _curve(self, i: int) -> FlowCurve:
        if i not in self._curves:
            subset = self.subsets[i]
            may_use = frozenset().union(*(self.allowed[k] for k in subset.tolist()))
            self._curves[i] = flow_curve(
                self.net,
                self.net.origin_node[subset],
                self.supply_pcu[subset],
                self.net.sinks_for(may_use),
            )
        return self._curves[i]

    def people_by(self, horizon: int) -> float:
        """The bound on people out by step `horizon`."""
        values = self._cut_values(horizon)
        charged = self._bus_charge > 0
        # Bus trips through the cuts of all origins: at most what each lets through.
        gate = (
            float((values[charged] / self._bus_charge[charged]).min()) if charged.any() else np.inf
        )
        # Out by an earlier step is at most out by the window's end: the cap holds up to it.
        cap = self.window_cars if horizon <= self.problem.window_steps else None
        if self.buses is None:
            return min(self._car_people_by(horizon, values, cap), self.reception)
        b = self.buses
        most = int(min(b.trips_by(horizon), math.ceil(b.need / b.seats), gate))

        def total(trips: int) -> float:
            # Buses and cars share the cuts of all origins: `trips` crossings leave the rest.
            cars = self._car_people_by(horizon, values - trips * self._bus_charge, cap)
            return cars + float(min(b.need, trips * b.seats))

        # `total` is concave in trips (cars fill fullest first): binary search for its top.
        lo, hi = 0, most
        while lo < hi:
            mid = (lo + hi) // 2
            if total(mid + 1) >= total(mid):
                lo = mid + 1
            else:
                hi = mid
        return min(total(lo), self.reception)

    def _cut_values(self, horizon: int) -> NDArray[np.float64]:
        """PCU each cut over time lets through by `horizon` (cached per horizon)."""
        if horizon not in self._cut_cache:
            self._cut_cache[horizon] = np.array(
                [cut.pcu_by(self.problem, horizon) for cut in self.cuts], dtype=np.float64
            )
        return self._cut_cache[horizon]

    def _subsets_within(self, members: NDArray[np.int64]) -> list[int]:
        inside = np.zeros(len(self.people), dtype=bool)
        inside[members] = True
        return [i for i, subset in enumerate(self.subsets) if inside[subset].all()]

    def _car_people_by(
        self, horizon: int, cut_pcu: NDArray[np.float64], cap: float | None = None
    ) -> float:
        """Car people out by `horizon`: the least of the all-origins minimum, the sum of the
        groups' minima (when destinations are fixed) and `cap`; `cut_pcu`: what each cut over
        time lets cars through."""
        best = self._min_over(np.arange(len(self.people)), self._inside[0], horizon, cut_pcu)
        if len(self.groups) > 1:
            by_group = 0.0
            for group, within in zip(self.groups, self._inside[1:], strict=True):
                reception = sum(
                    self.problem.destinations[j].capacity_people
                    for j in self.allowed[int(group[0])]
                )
                by_group += min(self._min_over(group, within, horizon, cut_pcu), reception)
            best = min(best, by_group)
        return best if cap is None else min(best, cap)

    def _min_over(
        self,
        members: NDArray[np.int64],
        within: list[int],
        horizon: int,
        cut_pcu: NDArray[np.float64],
    ) -> float:
        """Hoppe-Tardos over the family's subsets (`within`) of `members`: people of
        `members` outside the subset plus what the subset gets out (at most what its flow
        curve and every cut over time of a set containing it let through)."""
        total = float(self.people[members].sum())
        best = total
        for i in within:
            subset = self.subsets[i]
            rest = total - float(self.people[subset].sum())
            if rest >= best:
                continue
            pcu = self._curve(i).out_by(horizon) if self.curves else np.inf
            covering = self._covering[i]
            if covering.size:
                pcu = min(pcu, max(0.0, float(cut_pcu[covering].min())))
            best = min(best, rest + self._fill(i, pcu))
        return best

    def _fill(self, i: int, pcu: float) -> float:
        """Most people `pcu` vehicles from subset `i` can carry: fullest origins first, each up
        to its own supply (valid whoever really goes)."""
        if i not in self._fills:
            subset = self.subsets[i]
            order = subset[np.argsort(-self.occupancy[subset], kind="stable")]
            self._fills[i] = (
                np.cumsum(self.supply_pcu[order]),
                np.cumsum(self.people[order]),
                self.occupancy[order],
            )
        supply, people, occupancy = self._fills[i]
        k = int(np.searchsorted(supply, pcu))
        if k >= supply.shape[0]:
            return float(people[-1])
        before_pcu = float(supply[k - 1]) if k else 0.0
        before_people = float(people[k - 1]) if k else 0.0
        return before_people + (pcu - before_pcu) * float(occupancy[k])

    @property
    def subsets_evaluated(self) -> int:
        return len(self._curves)

    def least_steps_for(self, people: float, hi: int) -> int | None:
        """The least horizon by which the bound lets `people` out (a lower bound on egress)."""
        if people <= 1e-9:
            return 0
        if self.people_by(hi) < people - 1e-6:
            return None
        lo = 0
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.people_by(mid) >= people - 1e-6:
                hi = mid
            else:
                lo = mid
        return hi


def gate_checkpoints(problem: PlanningProblem) -> list[int]:
    """Checkpoints every evacuee must pass: those at corridor via points, and those without
    which no origin reaches any destination (cut vertices of the open network)."""
    g = problem.graph
    via = set(problem.via_nodes)
    open_ = ~problem.closed_edges
    origins = [o.node for o in problem.origins]
    targets = np.array([d.node for d in problem.destinations])
    gates = []
    for i, cp in enumerate(problem.checkpoints):
        if cp.node in via:
            gates.append(i)
            continue
        if cp.node in origins or cp.node in targets:
            continue
        keep = open_ & (g.edge_source != cp.node) & (g.edge_target != cp.node)
        matrix = csr_matrix(
            (np.ones(int(keep.sum())), (g.edge_source[keep], g.edge_target[keep])),
            shape=(g.n_nodes, g.n_nodes),
        )
        reach = np.isfinite(
            np.atleast_2d(dijkstra(matrix, directed=True, indices=origins, unweighted=True))
        )
        if not reach[:, targets].any():
            gates.append(i)
    return gates


def capacity_varies(problem: PlanningProblem) -> bool:
    """Whether any checkpoint has opening hours or any hazard lasts part of the time."""
    return bool(problem.timed_closures) or any(c.hours is not None for c in problem.checkpoints)


def _reaches(
    net: _Network,
    usable: NDArray[np.bool_],
    sources: NDArray[np.int64],
    sinks: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Per source: whether it reaches any sink over the `usable` arcs."""
    keep = np.flatnonzero(usable)
    matrix = csr_matrix(
        (np.ones(keep.size), (net.tail[keep], net.head[keep])), shape=(net.n_nodes, net.n_nodes)
    )
    dist = np.atleast_2d(dijkstra(matrix, directed=True, indices=sources, unweighted=True))
    return np.asarray(np.isfinite(dist[:, sinks]).any(axis=1))


def _groups(allowed: list[frozenset[int]]) -> list[NDArray[np.int64]]:
    """Origins grouped by the set of destinations they may use (first appearance order)."""
    members: dict[frozenset[int], list[int]] = {}
    for i, destinations in enumerate(allowed):
        members.setdefault(destinations, []).append(i)
    return [np.array(m, dtype=np.int64) for m in members.values()]


def relaxations(problem: PlanningProblem, *, time_expanded: bool = False) -> list[str]:
    """What the bound relaxes for this problem (each keeps it valid). `time_expanded`: the
    bound on people by the window's end was also capped by the time-expanded network."""
    relaxed = []
    hours = any(c.hours is not None for c in problem.checkpoints)
    where = "egress bound only; " if time_expanded else ""
    if hours:
        relaxed.append(
            f"checkpoint opening hours ({where}counted through cuts over time: each checkpoint's"
            " hours, not how the hours of checkpoints in a row combine)"
        )
    if problem.timed_closures:
        relaxed.append(
            f"hazards that last part of the time ({where}counted through cuts over time only)"
        )
    if problem.via_nodes:
        relaxed.append("corridor legs share no capacity (one network layer per leg)")
    if any(math.isfinite(d.capacity_people) for d in problem.destinations):
        relaxed.append("reception capacity (summed over the destinations each group may use)")
    if problem.checkpoints and hours:
        relaxed.append("bus cycles on the shortest legs, waiting only for the first gate's hours")
    if len({frozenset(o.allowed) for o in problem.origins}) > 1:
        relaxed.append(
            "fixed destinations: respected per group of origins with the same destinations;"
            " a subset mixing groups may swap destinations"
            + ("" if not time_expanded else " (egress bound only)")
        )
    relaxed.append("travel times rounded down to whole steps per road")
    return relaxed


def knowledge(problem: PlanningProblem, *, time_expanded: bool = False) -> list[str]:
    """What the bound counts exactly, beside road and checkpoint capacities."""
    knows = []
    if len({frozenset(o.allowed) for o in problem.origins}) > 1:
        knows.append(
            "fixed destinations: a cut per group of origins with the same destinations,"
            " summed over the groups, each within its destinations' reception capacity"
        )
    elif any(len(o.allowed) < len(problem.destinations) for o in problem.origins):
        knows.append("fixed destinations: only the destinations every origin may use count")
    if capacity_varies(problem):
        knows.append(
            "opening hours and part-time hazards: cuts over time (the roads and checkpoints"
            " every vehicle of a set of origins must pass, each only in the steps it is open,"
            " can be reached and still leads out in time)"
        )
    if time_expanded:
        knows.append(
            "people by the window's end: also capped by the time-expanded network (cars only;"
            " opening hours, timed hazards and fixed destinations exact there)"
        )
    return knows
