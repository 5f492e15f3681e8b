"""The discrete planning problem: demand, resources with per-step capacity, candidate routes.

Time runs in steps of `step_s` seconds from the window's start. A vehicle departing in step t
on a route enters its i-th resource (edge or checkpoint) in step t + offset[i], where offset[i]
is the floor of the free-flow time (inspection means included) to that resource, and counts as
out in step t + 1 + ceil(total time / step_s). Capacities are in passenger-car units (PCU) per
step; vehicles are treated as a fluid in planning and rounded only when reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from safepassage.errors import PlanningError
from safepassage.model.instants import after, elapsed_s
from safepassage.model.prepare import PreparedScenario
from safepassage.model.scenario import parse_hours
from safepassage.network.areas import edges_in_areas
from safepassage.network.graph import RoadGraph
from safepassage.plan.routes import Candidate, candidate_routes
from safepassage.plan.steps import ceil_steps, floor_steps, floor_steps_array

#: Passenger-car units of a bus (HCM uses 1.5-2.5 for buses; 2 on level roads).
BUS_PCU = 2.0
#: Without a corridor window, plans run over this many hours.
DEFAULT_WINDOW_H = 12.0


@dataclass(frozen=True)
class OriginDemand:
    id: str
    node: int
    people: int
    car_people: float  # people who leave by car
    car_pcu: float  # cars needed for them (fluid)
    occupancy: float  # people per car
    bus_people: int  # people who need a seat on a bus
    allowed: list[int]  # destination indices
    priority: float = 1.0  # objective weight of one person (scenario `priority`)


@dataclass(frozen=True)
class DestinationInfo:
    id: str
    node: int
    capacity_people: float  # inf when unlimited


@dataclass(frozen=True)
class CheckpointInfo:
    id: str
    node: int
    pcu_per_step: float
    service_s: float
    hours: tuple[time, time] | None  # None: always open


@dataclass(frozen=True)
class TimedRoute:
    """A candidate route with its resources and the step offsets at which it uses them."""

    index: int
    candidate: Candidate
    resources: NDArray[np.int64]  # edge ids, then checkpoints as n_edges + checkpoint index
    offsets: NDArray[np.int64]
    total_s: float  # free-flow time plus inspection means
    total_steps: int  # departure step to "out" step

    @property
    def origin(self) -> int:
        return self.candidate.origin

    @property
    def destination(self) -> int:
        return self.candidate.destination


@dataclass
class PlanningProblem:
    """Everything the planners need, built once from a prepared scenario."""

    graph: RoadGraph
    step_s: float
    window_steps: int
    start: datetime
    origins: list[OriginDemand]
    destinations: list[DestinationInfo]
    checkpoints: list[CheckpointInfo]
    edge_pcu_per_step: NDArray[np.float64]
    timed_closures: list[tuple[NDArray[np.bool_], int, int]]
    routes: list[TimedRoute]
    via_nodes: list[int]
    closed_edges: NDArray[np.bool_]
    slot_s: float = 600.0
    #: Fairness: no origin's mean departure more than this many steps after another's.
    fairness_steps: int | None = None
    #: Opening hours are read at the start of steps of this many seconds (a whole multiple of
    #: `step_s`; None: `step_s`). The bound at 5 s steps reads them as the plan's 60 s steps
    #: do, so that it bounds the plan's own model (a 60 s step that starts open is open).
    hours_step_s: float | None = None

    @cached_property
    def open_time_matrix(self) -> csr_matrix:
        """Free-flow times with permanently closed roads removed (built once)."""
        return self.graph.matrix(np.where(self.closed_edges, np.inf, self.graph.travel_time_s))

    @property
    def n_resources(self) -> int:
        return self.graph.n_edges + len(self.checkpoints)

    def step_time(self, step: int | float) -> datetime:
        """The instant step `step` starts, in the scenario's zone."""
        return after(self.start, float(step) * self.step_s)

    def base_capacity(self, resources: NDArray[np.int64]) -> NDArray[np.float64]:
        """PCU per step of each resource when open."""
        m = self.graph.n_edges
        cp = np.array([c.pcu_per_step for c in self.checkpoints] + [0.0])
        is_edge = resources < m
        out = np.empty(resources.shape[0])
        out[is_edge] = self.edge_pcu_per_step[resources[is_edge]]
        out[~is_edge] = cp[resources[~is_edge] - m]
        return out

    def capacity_block(self, resources: NDArray[np.int64], t0: int, t1: int) -> NDArray[np.float64]:
        """Capacity of each resource in steps t0..t1-1: zero while closed (hazards, hours)."""
        block = np.repeat(self.base_capacity(resources)[:, None], t1 - t0, axis=1)
        m = self.graph.n_edges
        for mask, start, end in self.timed_closures:
            rows = np.flatnonzero((resources < m) & mask[np.minimum(resources, m - 1)])
            lo, hi = max(start, t0), min(end, t1)
            if rows.size and lo < hi:
                block[rows, lo - t0 : hi - t0] = 0.0
        for row in np.flatnonzero(resources >= m):
            checkpoint = self.checkpoints[int(resources[row]) - m]
            if checkpoint.hours is not None:
                block[row] *= self._open_mask(checkpoint.hours, t0, t1)
        return block

    def local_minutes(self, t0: int, t1: int, step_s: float | None = None) -> NDArray[np.int64]:
        """Minute of the local day (window's zone) at which each step t0..t1-1 starts, on
        instants: the zone's offset is read once an hour, and minute by minute only in an hour
        where it changes (a clock change), instead of a datetime per step (the bound at 5 s
        steps asks for hundreds of thousands of steps)."""
        if t1 <= t0:
            return np.zeros(0, dtype=np.int64)
        tz = self.start.tzinfo
        step = self.step_s if step_s is None else step_s
        epoch = np.floor(self.start.timestamp() + np.arange(t0, t1) * step + 1e-6)
        minute = (epoch // 60).astype(np.int64)
        first, last = int(minute[0]) // 60, int(minute[-1]) // 60 + 1
        hourly = [_offset_s(h * 3600, tz) for h in range(first, last + 1)]
        offset_of_minute: dict[int, int] = {}
        for i, h in enumerate(range(first, last)):
            if hourly[i] != hourly[i + 1]:  # a change within this hour: read each minute
                for m in range(h * 60, h * 60 + 60):
                    offset_of_minute[m] = _offset_s(m * 60, tz)
        hours = minute // 60
        offset = np.asarray(hourly, dtype=np.int64)[hours - first]
        if offset_of_minute:
            changing = np.isin(minute, np.fromiter(offset_of_minute, dtype=np.int64))
            offset[changing] = [offset_of_minute[int(m)] for m in minute[changing]]
        return np.asarray(((epoch.astype(np.int64) + offset) // 60) % 1440, dtype=np.int64)

    def _open_mask(self, hours: tuple[time, time], t0: int, t1: int) -> NDArray[np.float64]:
        """1 for steps that start inside the opening hours (local time of the window's zone)."""
        opens, closes = hours
        g = 1 if self.hours_step_s is None else round(self.hours_step_s / self.step_s)
        if g <= 1:
            minutes = self.local_minutes(t0, t1)
        else:  # each step as the longer step it lies in
            c0, c1 = t0 // g, (t1 - 1) // g + 1
            coarse = self.local_minutes(c0, c1, step_s=self.hours_step_s)
            minutes = np.repeat(coarse, g)[t0 - c0 * g : t1 - c0 * g]
        a, b = opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute
        inside = (minutes >= a) & (minutes < b) if a < b else (minutes >= a) | (minutes < b)
        return inside.astype(np.float64)


def _offset_s(epoch_s: int, tz: tzinfo | None) -> int:
    """The zone's offset from UTC, in seconds, at an instant."""
    if tz is None:
        return 0
    offset = datetime.fromtimestamp(epoch_s, UTC).astimezone(tz).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def _demand(prepared: PreparedScenario) -> list[OriginDemand]:
    s = prepared.scenario
    dest_index = {d.id: j for j, d in enumerate(s.destinations)}
    out = []
    for o in s.origins:
        occupancy = o.car_occupancy or s.occupancy.car
        car_people = float(min(o.people - o.need_bus, o.cars * occupancy))
        allowed = [dest_index[d] for d in o.to] if o.to else list(range(len(s.destinations)))
        out.append(
            OriginDemand(
                id=o.id,
                node=prepared.node_of[o.id],
                people=o.people,
                car_people=car_people,
                car_pcu=car_people / occupancy,
                occupancy=occupancy,
                bus_people=o.people - math.ceil(car_people - 1e-9),
                allowed=allowed,
                priority=o.priority,
            )
        )
    return out


def _timing(
    route_index: int,
    cand: Candidate,
    graph: RoadGraph,
    cp_index: NDArray[np.int64],
    service_s: NDArray[np.float64],
    step_s: float,
) -> TimedRoute:
    """Resources in order of use and the step offset of each, by cumulative free-flow time.

    A checkpoint at a node of the route (not the origin) is passed on arrival there, before
    the next road; its mean inspection time adds to the clock."""
    edges, nodes = cand.edges, cand.nodes
    n = edges.shape[0]
    # Checkpoint (or -1) at each node where one can be passed: nodes 1..n.
    cps = cp_index[nodes[1:]] if n else np.zeros(0, dtype=np.int64)
    wait = np.where(cps >= 0, service_s[np.maximum(cps, 0)], 0.0)
    travel = graph.travel_time_s[edges]
    # Clock on entering edge i: travel of edges < i plus inspections at nodes 1..i.
    enter_edge = np.concatenate(([0.0], np.cumsum(travel + wait)))[:-1]
    # Node i (1..n) is reached at the clock of entering edge i minus its inspection.
    reach = (
        np.concatenate((enter_edge[1:] - wait[:-1], [travel.sum() + wait[:-1].sum()]))
        if n
        else np.zeros(0)
    )
    has = np.flatnonzero(cps >= 0)
    key = np.concatenate((np.arange(n) * 2.0, has * 2.0 + 1.0))  # node i+1 comes after edge i
    order = np.argsort(key, kind="stable")
    res = np.concatenate((edges, graph.n_edges + cps[has]))[order].astype(np.int64)
    clock = np.concatenate((enter_edge, reach[has]))[order]
    total = float(travel.sum() + wait.sum())
    return TimedRoute(
        index=route_index,
        candidate=cand,
        resources=res,
        offsets=floor_steps_array(clock, step_s),
        total_s=total,
        total_steps=1 + ceil_steps(total, step_s),
    )


def build_problem(
    prepared: PreparedScenario,
    *,
    step_s: float = 60.0,
    slot_s: float = 600.0,
    routes_per_origin: int = 4,
    hours_step_s: float | None = None,
) -> PlanningProblem:
    """Turn a prepared scenario into a discrete planning problem (`hours_step_s`: see
    `PlanningProblem.hours_step_s`)."""
    if step_s <= 0 or slot_s < step_s:
        raise PlanningError("the time step must be positive and the slot at least one step long")
    s, graph = prepared.scenario, prepared.graph
    window = s.window()
    if window is not None:
        start, window_s = window.start, elapsed_s(window.start, window.end)
    else:
        start = datetime(2000, 1, 1, tzinfo=s.tz)
        window_s = DEFAULT_WINDOW_H * 3600
    window_steps = max(1, floor_steps(window_s, step_s))
    areas = prepared.hazard_areas()
    end = after(start, window_s)
    permanent = [a for a in areas if (a.start is None or a.start <= start) and (a.end is None)]
    closed = edges_in_areas(graph, permanent)
    weight = np.where(closed, np.inf, graph.travel_time_s)
    timed = []
    for area in areas:
        if area in permanent or not area.active_during(start, end + timedelta(days=2)):
            continue
        lo = 0 if area.start is None else floor_steps(elapsed_s(start, area.start), step_s)
        hi = 10**9 if area.end is None else ceil_steps(elapsed_s(start, area.end), step_s)
        timed.append((edges_in_areas(graph, [area]), max(lo, 0), hi))
    checkpoints = [
        CheckpointInfo(
            id=c.id,
            node=prepared.node_of[c.id],
            pcu_per_step=c.throughput_vph * step_s / 3600.0,
            service_s=c.inspection_s.mean,
            hours=parse_hours(c.open),
        )
        for c in s.checkpoints
    ]
    origins = _demand(prepared)
    destinations = [
        DestinationInfo(
            d.id,
            prepared.node_of[d.id],
            float(d.capacity_people) if d.capacity_people is not None else math.inf,
        )
        for d in s.destinations
    ]
    via = [prepared.node_of[v] for v in (s.corridor.via if s.corridor else [])]
    cands = candidate_routes(
        graph,
        weight,
        [o.node for o in origins],
        [d.node for d in destinations],
        [o.allowed for o in origins],
        via,
        k=routes_per_origin,
    )
    cp_index = np.full(graph.n_nodes, -1, dtype=np.int64)
    for i, c in enumerate(checkpoints):
        cp_index[c.node] = i
    service = np.array([c.service_s for c in checkpoints] + [0.0])
    routes = [_timing(i, c, graph, cp_index, service, step_s) for i, c in enumerate(cands)]
    fair = s.fairness.max_wait_gap_h if s.fairness else None
    return PlanningProblem(
        graph=graph,
        step_s=step_s,
        window_steps=window_steps,
        start=start,
        origins=origins,
        destinations=destinations,
        checkpoints=checkpoints,
        edge_pcu_per_step=graph.capacity_vph * step_s / 3600.0,
        timed_closures=timed,
        routes=routes,
        via_nodes=via,
        closed_edges=closed,
        slot_s=slot_s,
        fairness_steps=None if fair is None else int(fair * 3600 // step_s),
        hours_step_s=hours_step_s,
    )


def time_route(problem: PlanningProblem, index: int, cand: Candidate) -> TimedRoute:
    """A new route (from path generation) timed exactly like the candidate routes."""
    cp_index = np.full(problem.graph.n_nodes, -1, dtype=np.int64)
    for i, c in enumerate(problem.checkpoints):
        cp_index[c.node] = i
    service = np.array([c.service_s for c in problem.checkpoints] + [0.0])
    return _timing(index, cand, problem.graph, cp_index, service, problem.step_s)
