"""The demand mode: people who want to leave, not the plan's slots, decide who queues.

Each replication draws a pool of cars waiting at the assembly points when the forecast starts
and a daily arrival rate of cars (from the scenario's `forecast.demand` or a calibration); cars
then arrive as a Poisson process over the horizon and go to the corridor's first checkpoint,
whose capacity (lanes, inspection, hours, suspensions, closures) decides the flow. Buses
carry the people who need one: each bus of the fleet makes one trip a day, leaving when the
window opens, until everyone is carried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from safepassage.errors import PlanningError
from safepassage.forecast.clock import local_midnight, wall_time
from safepassage.forecast.engine import VehicleRows
from safepassage.forecast.kernel import DAY
from safepassage.forecast.system import CorridorSystem, corridor_of_plan
from safepassage.model.instants import elapsed_s
from safepassage.model.prepare import PreparedScenario
from safepassage.model.scenario import Amount, Lateness, Window
from safepassage.plan.result import Plan


@dataclass
class DemandDraws:
    """Per replication: cars waiting at the start, cars arriving per day, people per car."""

    pool_cars: NDArray[np.float64]
    cars_per_day: NDArray[np.float64]
    occupancy: NDArray[np.float64]


def draw_amount(rng: np.random.Generator, amount: Amount, size: int) -> NDArray[np.float64]:
    """Gamma draws with the amount's mean and sd (exact when sd is 0)."""
    if amount.sd <= 0 or amount.mean <= 0:
        return np.full(size, amount.mean)
    shape = (amount.mean / amount.sd) ** 2
    return np.asarray(rng.gamma(shape, amount.mean / shape, size))


@dataclass
class DemandVehicles:
    """The vehicles of each replication, drawn from its own generator (seed, index): the same
    whatever the chunking."""

    seed: int
    horizon_s: float
    draws: DemandDraws
    origin_access_s: NDArray[np.float64]  # per origin on the corridor
    origin_share: NDArray[np.float64]  # share of cars from each
    bus_depart_s: NDArray[np.float64]
    bus_access_s: NDArray[np.float64]
    bus_people: NDArray[np.float64]

    def __post_init__(self) -> None:
        self.counts = np.array(
            [self._arrivals(self._rng(r), r) for r in range(self.draws.pool_cars.shape[0])]
        ) + np.round(self.draws.pool_cars).astype(np.int64)
        self.counts += self.bus_depart_s.shape[0]

    def _rng(self, r: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 0xDE3A, r])

    def _arrivals(self, rng: np.random.Generator, r: int) -> int:
        return int(rng.poisson(self.draws.cars_per_day[r] * self.horizon_s / DAY))

    @property
    def width(self) -> int:
        return int(self.counts.max())

    def rows(self, lo: int, hi: int) -> VehicleRows:
        width = self.width
        out = VehicleRows(
            n=self.counts[lo:hi].astype(np.int64),
            depart=np.zeros((hi - lo, width)),
            access=np.zeros((hi - lo, width)),
            people=np.zeros((hi - lo, width)),
            kind=np.zeros((hi - lo, width), dtype=np.int8),
        )
        cum = np.cumsum(self.origin_share)
        cum[-1] = 1.0
        buses = self.bus_depart_s.shape[0]
        for i, r in enumerate(range(lo, hi)):
            rng = self._rng(r)
            arriving = self._arrivals(rng, r)
            pool = round(float(self.draws.pool_cars[r]))
            cars = pool + arriving
            # Unordered: the kernel sorts the departures (plus the way there) itself.
            out.depart[i, pool:cars] = rng.uniform(0.0, self.horizon_s, arriving)
            origin = np.searchsorted(cum, rng.random(cars), side="right")
            out.access[i, :cars] = self.origin_access_s[origin]
            out.people[i, :cars] = self.draws.occupancy[r]
            out.depart[i, cars : cars + buses] = self.bus_depart_s
            out.access[i, cars : cars + buses] = self.bus_access_s
            out.people[i, cars : cars + buses] = self.bus_people
            out.kind[i, cars : cars + buses] = 1
        return out


@dataclass
class DemandCorridor:
    """The corridor and where its demand comes from."""

    system: CorridorSystem
    origin_ids: list[str]
    origin_access_s: NDArray[np.float64]
    origin_cars: NDArray[np.float64]
    bus_depart_s: NDArray[np.float64]
    bus_access_s: NDArray[np.float64]
    bus_people: NDArray[np.float64]
    occupancy: float


def _bus_day(start: datetime, window: Window | None, day: int) -> float:
    """Seconds from `start` to the buses of day `day`: each day at the window's local opening
    time (the first at or after `start`), or at `start` itself without a window."""
    opens = (window.start.astimezone(start.tzinfo) if window else start).time()
    first = 0 if wall_time(start, start.date(), opens) >= start else 1
    return elapsed_s(start, wall_time(start, start.date() + timedelta(days=first + day), opens))


def demand_corridor(
    plan: Plan, prepared: PreparedScenario, start: datetime, days: int
) -> DemandCorridor:
    """The plan's corridor fed by the scenario's origins from `start` for `days` days."""
    s = prepared.scenario
    problem = plan.problem
    corridor = corridor_of_plan(plan, prepared)
    access: dict[int, float] = {}
    for route, t in corridor.access_by_route.items():
        o = problem.routes[route].origin
        access[o] = min(access.get(o, math.inf), t)
    by_id = {o.id: o for o in s.origins}
    ids = [problem.origins[o].id for o in sorted(access)]
    left = [o.id for o in s.origins if o.id not in ids]
    if not ids:
        raise PlanningError("no origin reaches the corridor's first station: nothing to forecast")
    # The horizon ends at local midnight after `days` calendar days (the first one partial).
    # On instants: a clock change makes one of those days 23 or 25 hours.
    horizon = elapsed_s(start, local_midnight(start, days))
    window = s.window()
    bus_depart, bus_access, bus_people = [], [], []
    need = {i: float(by_id[i].need_bus) for i in ids}
    seats = [b.seats for b in s.fleet.buses]
    day = 0
    while (
        seats
        and any(v > 0 for v in need.values())
        and (at := _bus_day(start, window, day)) < horizon
    ):
        for cap in seats:
            origin = next((i for i in ids if need[i] > 0), None)
            if origin is None:
                break
            take = min(cap, need[origin])
            need[origin] -= take
            bus_depart.append(at)
            bus_access.append(access[_origin_index(problem, origin)])
            bus_people.append(take)
        day += 1
    template_cars = sum(by_id[i].cars for i in ids)
    spec = s.forecast.model_copy(update={"departure_lateness": Lateness(mean_min=0, sd_min=0)})
    window_end = elapsed_s(start, window.end) if window else horizon
    system = CorridorSystem(
        name=s.name,
        start=start,
        window_end_s=max(window_end, 0.0),
        stations=corridor.stations,
        depart_s=np.zeros(max(template_cars, 1)),
        access_s=np.full(max(template_cars, 1), min(access.values())),
        people=np.full(max(template_cars, 1), s.occupancy.car),
        spec=spec,
        out_at=corridor.out_at,
        left_out=[f"origin {o}: no route onto the corridor" for o in left]
        + [
            f"{v:.0f} people needing a bus at {o} not carried within {days} days"
            for o, v in need.items()
            if v > 0
        ],
        horizon_s=horizon,
    )
    return DemandCorridor(
        system=system,
        origin_ids=ids,
        origin_access_s=np.array([access[_origin_index(problem, i)] for i in ids]),
        origin_cars=np.array([float(by_id[i].cars) for i in ids]),
        bus_depart_s=np.array(bus_depart, dtype=np.float64),
        bus_access_s=np.array(bus_access, dtype=np.float64),
        bus_people=np.array(bus_people, dtype=np.float64),
        occupancy=s.occupancy.car,
    )


def _origin_index(problem: object, origin_id: str) -> int:
    origins = problem.origins  # type: ignore[attr-defined]
    return next(k for k, o in enumerate(origins) if o.id == origin_id)


def scenario_demand(
    dc: DemandCorridor, prepared: PreparedScenario, runs: int, rng: np.random.Generator
) -> DemandDraws:
    """Demand per replication from the scenario's `forecast.demand` (pool default: the cars of
    the origins on the corridor)."""
    d = prepared.scenario.forecast.demand
    pool = d.pool_cars or Amount(mean=float(dc.origin_cars.sum()))
    occ = draw_amount(rng, Amount(mean=dc.occupancy, sd=d.occupancy_sd), runs)
    return DemandDraws(
        pool_cars=draw_amount(rng, pool, runs),
        cars_per_day=draw_amount(rng, d.arrivals_cars_per_day, runs),
        occupancy=np.maximum(occ, 1.0),
    )


def demand_vehicles(dc: DemandCorridor, draws: DemandDraws, seed: int) -> DemandVehicles:
    total = dc.origin_cars.sum()
    share = (
        dc.origin_cars / total
        if total > 0
        else np.full(dc.origin_cars.shape, 1 / len(dc.origin_cars))
    )
    assert dc.system.horizon_s is not None
    return DemandVehicles(
        seed=seed,
        horizon_s=dc.system.horizon_s,
        draws=draws,
        origin_access_s=dc.origin_access_s,
        origin_share=share,
        bus_depart_s=dc.bus_depart_s,
        bus_access_s=dc.bus_access_s,
        bus_people=dc.bus_people,
    )
