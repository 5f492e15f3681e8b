"""The Plan: what a coordinator carries out and a negotiator quotes, with its bound and gap."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from safepassage.plan.accounting import (
    LEFT_MEANS,
    OUT_MEANS,
    OriginAccount,
    account_origin,
    unserved_rows,
)
from safepassage.plan.bound import Bound
from safepassage.plan.buses import BusTrip
from safepassage.plan.ccrp import Booking
from safepassage.plan.ledger import CapacityLedger
from safepassage.plan.problem import PlanningProblem, TimedRoute
from safepassage.plan.steps import floor_steps


@dataclass
class Plan:
    """A computed plan; `as_dict()` is its JSON form (the CLI's --json)."""

    problem: PlanningProblem
    scenario_name: str
    bookings: list[Booking]
    bus_trips: list[BusTrip]
    remaining_pcu: list[float]
    waiting_for_bus: list[int]
    ledger: CapacityLedger
    bound: Bound
    bound_curve: list[tuple[int, float]]
    assumptions: list[str]
    quality: dict[str, Any] = field(default_factory=dict)

    # -- headline figures ---------------------------------------------------------------
    def _route(self, b: Booking) -> TimedRoute:
        return self.problem.routes[b.route]

    def _car_people(self, b: Booking) -> float:
        return b.pcu * self.problem.origins[self._route(b).origin].occupancy

    def out_events(self) -> list[tuple[int, float]]:
        """(out step, people) for every booking and bus trip."""
        events = [(b.step + self._route(b).total_steps, self._car_people(b)) for b in self.bookings]
        events += [(t.out_step, float(t.people)) for t in self.bus_trips]
        return events

    @property
    def people_total(self) -> int:
        return sum(o.people for o in self.problem.origins)

    @property
    def people_served(self) -> float:
        return sum(p for _, p in self.out_events())

    @property
    def people_out_by_window_end(self) -> float:
        return sum(p for s, p in self.out_events() if s <= self.problem.window_steps)

    @property
    def egress_steps(self) -> int:
        return max((s for s, _ in self.out_events()), default=0)

    @property
    def egress_time_s(self) -> float:
        return self.egress_steps * self.problem.step_s

    def gap(self) -> dict[str, float | None]:
        """Relative distance to the bound: (bound - plan) / bound for people, (plan - bound) /
        bound for time. Zero means provably optimal."""
        best = self.bound.people_out_by_window_end_max
        people_gap = (best - self.people_out_by_window_end) / best if best > 0 else 0.0
        least = self.bound.egress_time_s_min
        time_gap = (self.egress_time_s - least) / least if least else None
        return {
            "people_out_by_window_end": round(float(max(people_gap, 0.0)), 4),
            "egress_time_s": None if time_gap is None else round(float(max(time_gap, 0.0)), 4),
        }

    # -- details ------------------------------------------------------------------------
    def curve(self) -> list[dict[str, float | None]]:
        """People out over time, per slot, against the bound's curve."""
        slot_steps = max(1, floor_steps(self.problem.slot_s, self.problem.step_s))
        events = self.out_events()
        end = max(self.egress_steps, self.problem.window_steps)
        slot_steps *= max(1, (end // slot_steps + 1) // 150)  # same thinning as the bound's curve
        steps = np.array([s for s, _ in events] or [0])
        people = np.array([p for _, p in events] or [0.0])
        bound = dict(self.bound_curve)
        out = []
        for s in range(0, end + slot_steps, slot_steps):
            out.append(
                {
                    "t_s": s * self.problem.step_s,
                    "people_out": round(float(people[steps <= s].sum()), 1),
                    "bound": round(bound[s], 1) if s in bound else None,
                }
            )
        return out

    @property
    def slot_steps(self) -> int:
        return max(1, floor_steps(self.problem.slot_s, self.problem.step_s))

    def left_city_step(self, route: TimedRoute, depart: int) -> int:
        """Step from which a vehicle leaving at `depart` has passed its route's first
        checkpoint (it is on the road beyond); out, on a route without one."""
        m = self.problem.graph.n_edges
        at = np.flatnonzero(route.resources >= m)
        if at.size == 0 or int(at[0]) + 1 >= route.resources.shape[0]:
            return depart + route.total_steps
        return depart + int(route.offsets[int(at[0]) + 1])

    def accounts(self) -> list[OriginAccount]:
        """Each origin's whole-number split (slots, out, late, not booked, waiting)."""
        return [account_origin(self, i) for i in range(len(self.problem.origins))]

    def unserved(self) -> list[dict[str, Any]]:
        """Who is not out by the window's end, and why (whole people; with the people out,
        they add up to everyone)."""
        return unserved_rows(self, self.accounts())

    def checkpoint_loads(self) -> list[dict[str, Any]]:
        """Expected vehicles through each checkpoint per hour."""
        p = self.problem
        m = p.graph.n_edges
        per_hour: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        trips = [(b.route, b.step, b.pcu) for b in self.bookings]
        trips += [(t.route, t.depart_step, 1.0) for t in self.bus_trips]
        for route_index, step, amount in trips:
            route = p.routes[route_index]
            for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
                if res >= m:
                    per_hour[res - m][floor_steps((step + off) * p.step_s, 3600.0)] += amount
        out = []
        for i, c in enumerate(p.checkpoints):
            hours = per_hour.get(i, {})
            out.append(
                {
                    "id": c.id,
                    "throughput_vph": round(c.pcu_per_step * 3600 / p.step_s, 1),
                    "open": "always"
                    if c.hours is None
                    else f"{c.hours[0]:%H:%M}-{c.hours[1]:%H:%M}",
                    "load_by_hour": [
                        {
                            "hour_start": p.step_time(h * 3600 / p.step_s).isoformat(),
                            "vehicles": round(v, 1),
                        }
                        for h, v in sorted(hours.items())
                    ],
                }
            )
        return out

    def bottlenecks(self, top: int = 5) -> list[dict[str, Any]]:
        """The resources full for the most steps inside the window, in words
        (`safepassage.decide.bottlenecks`)."""
        from safepassage.decide.bottlenecks import named_bottlenecks

        return named_bottlenecks(self, top)

    def route_summary(self, r: TimedRoute) -> dict[str, Any]:
        p, g = self.problem, self.problem.graph
        names = g.meta.get("node_names")
        m = g.n_edges
        return {
            "id": r.index,
            "origin": p.origins[r.origin].id,
            "destination": p.destinations[r.destination].id,
            "length_km": round(r.candidate.length_m / 1000, 2),
            "travel_time_s": round(r.total_s),
            "checkpoints": [p.checkpoints[x - m].id for x in r.resources.tolist() if x >= m],
            "via": [names[n] for n in r.candidate.nodes.tolist()] if names else None,
        }

    def as_dict(self) -> dict[str, Any]:
        p = self.problem
        accounts = self.accounts()
        used_routes = sorted({b.route for b in self.bookings} | {t.route for t in self.bus_trips})
        return {
            "scenario": self.scenario_name,
            "step_s": p.step_s,
            "slot_s": p.slot_s,
            "window": {
                "start": p.start.isoformat(),
                "end": p.step_time(p.window_steps).isoformat(),
            },
            "people_total": self.people_total,
            "people_served": sum(a.out_by_window_end + a.late for a in accounts),
            "people_out_by_window_end": sum(a.out_by_window_end for a in accounts),
            "out_means": OUT_MEANS,
            "people_left_city_by_window_end": sum(a.left_city_by_window_end for a in accounts),
            "left_city_means": LEFT_MEANS,
            "egress_time_s": self.egress_time_s,
            "bound": self.bound.as_dict(),
            "gap": self.gap(),
            "quality": self.quality,
            "origins": [self._origin_dict(i, a) for i, a in enumerate(accounts)],
            "routes": [self.route_summary(p.routes[r]) for r in used_routes],
            "checkpoints": self.checkpoint_loads(),
            "bottlenecks": self.bottlenecks(),
            "buses": [
                {
                    "bus": t.bus,
                    "origin": p.origins[t.origin].id,
                    "route": t.route,
                    "leave_depot": p.step_time(t.leave_depot_step).isoformat(),
                    "depart": p.step_time(t.depart_step).isoformat(),
                    "out": p.step_time(t.out_step).isoformat(),
                    "people": t.people,
                }
                for t in self.bus_trips
            ],
            "curve": self.curve(),
            "unserved": unserved_rows(self, accounts),
            "assumptions": self.assumptions,
        }

    def _origin_dict(self, i: int, account: OriginAccount) -> dict[str, Any]:
        o = self.problem.origins[i]
        return {
            "id": o.id,
            "people": o.people,
            "car_people": round(o.car_people),
            "cars": round(o.car_pcu),
            "bus_people": o.bus_people,
            "people_out_by_window_end": account.out_by_window_end,
            "people_left_city_by_window_end": account.left_city_by_window_end,
            "bus_trips": sum(1 for t in self.bus_trips if t.origin == i),
            "slots": account.slots,
        }
