"""The system a forecast simulates: stations along the corridor and the vehicles that use it.

A plan gives the vehicles (its cars, in whole cars per departure step, and its bus trips) and
the corridor: the stations (checkpoints, waypoints, the destination) along the route that
carries the most vehicles, with free-flow times between them. Vehicles on other routes that
pass the same stations from the first one on join at that first station after their own way
there; vehicles on routes that leave the corridor are not simulated and are reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

import numpy as np
from numpy.typing import NDArray

from safepassage.errors import PlanningError
from safepassage.forecast.kernel import MAX_LANES
from safepassage.model.prepare import PreparedScenario
from safepassage.model.scenario import ForecastSpec, Spread, parse_hours
from safepassage.plan.result import Plan


@dataclass(frozen=True)
class Station:
    """A point where vehicles are counted: a checkpoint (queue), a waypoint or the destination."""

    id: str
    kind: str  # "checkpoint", "waypoint" or "destination"
    leg_s: float  # free-flow seconds from the previous station (0 for the first)
    leg_km: float
    lanes: int = 0
    inspection: Spread | None = None
    hours: tuple[time, time] | None = None
    overnight_stop: bool = False
    controlled_by: str | None = None


@dataclass(frozen=True)
class CorridorSystem:
    """Everything the engine needs; times are seconds from `start` (the window's start)."""

    name: str
    start: datetime
    window_end_s: float
    stations: list[Station]
    depart_s: NDArray[np.float64]  # planned departure of each vehicle from its origin
    access_s: NDArray[np.float64]  # free-flow seconds from its origin to the first station
    people: NDArray[np.float64]
    spec: ForecastSpec = field(default_factory=ForecastSpec)
    out_at: int = -1  # station counted as "out"; the last by default
    left_out: list[str] = field(default_factory=list)
    plan_egress_s: float | None = None
    kind: NDArray[np.int8] | None = None  # 0 car, 1 bus (all cars when absent)
    horizon_s: float | None = None  # how far the forecast looks (demand mode); see horizon_s()

    def __post_init__(self) -> None:
        if not self.stations:
            raise PlanningError("a forecast needs at least one station on the corridor")
        for s in self.stations:
            if s.kind == "checkpoint" and not 1 <= s.lanes <= MAX_LANES:
                raise PlanningError(
                    f"checkpoint {s.id}: the forecast handles 1 to {MAX_LANES} lanes, not {s.lanes}"
                )
        if self.depart_s.shape[0] == 0:
            raise PlanningError("no vehicles to forecast: the plan moves nobody on the corridor")

    @property
    def out_index(self) -> int:
        return self.out_at if self.out_at >= 0 else len(self.stations) - 1

    @property
    def n_vehicles(self) -> int:
        return int(self.depart_s.shape[0])

    def kind_array(self) -> NDArray[np.int8]:
        if self.kind is None:
            return np.zeros(self.n_vehicles, dtype=np.int8)
        return np.asarray(self.kind, dtype=np.int8)


def _whole_cars(pcus: list[float]) -> list[int]:
    """Cumulative rounding: whole cars per booking that add up to the rounded total."""
    out, carried = [], 0.0
    for p in pcus:
        out.append(round(carried + p) - round(carried))
        carried += p
    return out


def _stations_by_node(prepared: PreparedScenario) -> dict[int, Station]:
    """Every checkpoint, waypoint and destination at its network node (leg fields unset).
    Where two share a node the checkpoint wins: its queue matters more than a count."""
    s, node_of = prepared.scenario, prepared.node_of
    out: dict[int, Station] = {}
    for d in s.destinations:
        out[node_of[d.id]] = Station(d.id, "destination", 0.0, 0.0)
    for w in s.waypoints:
        out[node_of[w.id]] = Station(w.id, "waypoint", 0.0, 0.0, overnight_stop=w.overnight_stop)
    for c in s.checkpoints:
        out[node_of[c.id]] = Station(
            c.id,
            "checkpoint",
            0.0,
            0.0,
            c.lanes,
            c.inspection_s,
            parse_hours(c.open),
            controlled_by=c.controlled_by,
        )
    return out


@dataclass(frozen=True)
class Corridor:
    """The stations of a plan's main route and how each route of the plan reaches them."""

    stations: list[Station]
    access_by_route: dict[int, float]  # free-flow seconds to the first station, per route
    out_at: int
    load: dict[int, float]  # vehicles per route


def corridor_of_plan(plan: Plan, prepared: PreparedScenario) -> Corridor:
    """The corridor: stations along the route that carries the most vehicles; the routes that
    pass the same stations from its first one on, with their way to it."""
    problem = plan.problem
    graph = problem.graph
    spec = prepared.scenario.forecast
    node_station = _stations_by_node(prepared)
    load: dict[int, float] = defaultdict(float)
    for b in plan.bookings:
        load[b.route] += b.pcu
    for trip in plan.bus_trips:
        load[trip.route] += 1.0
    if not load:
        raise PlanningError("the plan moves no vehicles: nothing to forecast")

    def stations_of(route: int) -> list[tuple[int, Station, float, float]]:
        cand = problem.routes[route].candidate
        t = np.concatenate(([0.0], np.cumsum(graph.travel_time_s[cand.edges])))
        km = np.concatenate(([0.0], np.cumsum(graph.length_m[cand.edges]))) / 1000.0
        return [
            (i, node_station[int(node)], float(t[i]), float(km[i]))
            for i, node in enumerate(cand.nodes)
            if i > 0 and int(node) in node_station
        ]

    trunk = stations_of(max(load, key=lambda r: load[r]))
    if not trunk:
        raise PlanningError("the plan's main route passes no checkpoint, waypoint or destination")
    trunk_ids = [s.id for _, s, _, _ in trunk]
    stations = []
    for j, (_, s, t, km) in enumerate(trunk):
        prev_t, prev_km = (trunk[j - 1][2], trunk[j - 1][3]) if j else (t, km)
        stations.append(
            Station(
                id=s.id,
                kind=s.kind,
                leg_s=t - prev_t,
                leg_km=km - prev_km,
                lanes=s.lanes,
                inspection=s.inspection,
                hours=s.hours,
                overnight_stop=s.overnight_stop,
                controlled_by=s.controlled_by,
            )
        )
    access: dict[int, float] = {}
    for route in load:
        own = stations_of(route)
        ids = [s.id for _, s, _, _ in own]
        if trunk_ids[0] in ids and ids[ids.index(trunk_ids[0]) :] == trunk_ids:
            access[route] = own[ids.index(trunk_ids[0])][2]
    out_at = -1
    if spec.out_at is not None:
        if spec.out_at not in trunk_ids:
            raise PlanningError(
                f"forecast.out_at {spec.out_at!r} is not on the plan's corridor ({', '.join(trunk_ids)})"
            )
        out_at = trunk_ids.index(spec.out_at)
    return Corridor(stations, access, out_at, dict(load))


def system_from_plan(plan: Plan, prepared: PreparedScenario) -> CorridorSystem:
    """The corridor system of a plan of `prepared`, with the scenario's forecast settings: the
    plan's cars (whole cars per departure step) and bus trips."""
    problem = plan.problem
    corridor = corridor_of_plan(plan, prepared)
    access = corridor.access_by_route
    left_out: dict[str, float] = defaultdict(float)
    step = problem.step_s
    depart: list[float] = []
    acc: list[float] = []
    people: list[float] = []
    kind: list[int] = []
    by_route: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for b in plan.bookings:
        by_route[b.route].append((b.step, b.pcu))
    for route, rows in by_route.items():
        occupancy = problem.origins[problem.routes[route].origin].occupancy
        cars = _whole_cars([p for _, p in rows])
        if route not in access:
            left_out[problem.origins[problem.routes[route].origin].id] += sum(cars)
            continue
        for (booked_step, _), count in zip(rows, cars, strict=True):
            for i in range(count):
                depart.append((booked_step + (i + 0.5) / count) * step)
                acc.append(access[route])
                people.append(occupancy)
                kind.append(0)
    for trip in plan.bus_trips:
        if trip.route not in access:
            left_out[problem.origins[trip.origin].id] += 1
            continue
        depart.append(trip.depart_step * step)
        acc.append(access[trip.route])
        people.append(float(trip.people))
        kind.append(1)
    order = np.argsort(np.asarray(depart) + np.asarray(acc), kind="stable")
    return CorridorSystem(
        name=plan.scenario_name,
        start=problem.start,
        window_end_s=problem.window_steps * step,
        stations=corridor.stations,
        depart_s=np.asarray(depart, dtype=np.float64)[order],
        access_s=np.asarray(acc, dtype=np.float64)[order],
        people=np.asarray(people, dtype=np.float64)[order],
        spec=prepared.scenario.forecast,
        out_at=corridor.out_at,
        left_out=[
            f"{n:.0f} vehicles from {o} on routes off the corridor" for o, n in left_out.items()
        ],
        plan_egress_s=plan.egress_time_s,
        kind=np.asarray(kind, dtype=np.int8)[order],
    )
