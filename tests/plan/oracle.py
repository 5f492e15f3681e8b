"""An independent oracle: the time-expanded network of a link scenario, built from the scenario
data itself (not from safepassage.plan), solved with networkx (max flow) or SciPy (an LP with
one commodity per origin when origins are tied to destinations).

The time model is the one docs/planning.md states: a vehicle leaving in step s takes whole
steps per road (exact rationals here, so only scenarios whose travel times are whole numbers
of steps are accepted), passes a checkpoint at its node in floor(inspection / step) steps at
`lanes x step / inspection` vehicles a step while open (local time of the window's zone at the
start of the step), may wait anywhere, and counts as out one step after reaching a
destination; departures in steps 0..D-1, out by step H.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import networkx as nx
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

Node = tuple[str, str, int]  # (kind, place, step)
INF = math.inf


@dataclass
class Expanded:
    """Arcs of the time-expanded network: (tail, head) -> capacity (inf: unbounded)."""

    arcs: dict[tuple[Any, Any], float] = field(default_factory=dict)

    def add(self, tail: Any, head: Any, capacity: float) -> None:
        self.arcs[(tail, head)] = self.arcs.get((tail, head), 0.0) + capacity


def _instant(text: str, tz: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _is_open(hours: str | None, moment: datetime) -> bool:
    if hours is None or hours == "always":
        return True
    a, b = hours.split("-")
    opens = int(a[:2]) * 60 + int(a[3:5])
    closes = int(b[:2]) * 60 + int(b[3:5])
    now = moment.hour * 60 + moment.minute
    return opens <= now < closes if opens < closes else (now >= opens or now < closes)


class Oracle:
    def __init__(self, data: dict[str, Any], step_s: float = 60.0) -> None:
        self.data, self.step = data, Fraction(str(step_s))
        window = data["corridor"]["window"]
        self.tz = ZoneInfo(window.get("timezone") or data.get("timezone", "UTC"))
        self.start = _instant(window["start"], self.tz).astimezone(UTC)
        end = _instant(window["end"], self.tz).astimezone(UTC)
        self.window_steps = int((end - self.start).total_seconds() // float(self.step))
        self.checkpoints = {c["id"]: c for c in data.get("checkpoints", [])}
        occupancy = data.get("occupancy", {}).get("car", 2.5)
        self.cars = {o["id"]: o["cars"] for o in data["origins"]}
        self.occupancy = {o["id"]: o.get("car_occupancy", occupancy) for o in data["origins"]}
        for o in data["origins"]:
            assert o["people"] == o["cars"] * self.occupancy[o["id"]], "oracle: cars only"
        dests = [d["id"] for d in data["destinations"]]
        self.allowed = {o["id"]: o.get("to") or dests for o in data["origins"]}

    def _steps(self, seconds: Fraction) -> int:
        steps = seconds / self.step
        assert steps.denominator == 1, f"oracle needs whole steps, got {steps}"
        return int(steps)

    def _links(self) -> list[tuple[str, str, int, float]]:
        out = []
        for link in self.data["network"]["links"]:
            km, speed = Fraction(str(link["length_km"])), Fraction(str(link.get("speed_kmh", 60)))
            steps = self._steps(km / speed * 3600)
            per_step = float(Fraction(str(link["capacity_vph"])) * self.step / 3600)
            out.append((link["from"], link["to"], steps, per_step))
            if not link.get("oneway", False):
                out.append((link["to"], link["from"], steps, per_step))
        return out

    def expand(self, horizon: int, depart_until: int, commodity: str | None = None) -> Expanded:
        """The network for out-by-`horizon`; sinks are `commodity`'s allowed destinations (or
        every destination)."""
        net = Expanded()

        def enter(place: str, s: int) -> Node:
            return ("in" if place in self.checkpoints else "at", place, s)

        def leave(place: str, s: int) -> Node:
            return ("out" if place in self.checkpoints else "at", place, s)

        places = {p for a, b, _, _ in self._links() for p in (a, b)}
        for s in range(horizon):
            for a, b, k, cap in self._links():
                if s + k < horizon:
                    net.add(leave(a, s), enter(b, s + k), cap)
            for cid, c in self.checkpoints.items():
                mean = Fraction(str(c["inspection_s"]["mean"]))
                k = int(mean // self.step)
                moment = (self.start + timedelta(seconds=float(s * self.step))).astimezone(self.tz)
                cap = (
                    float(c.get("lanes", 1) * self.step / mean)
                    if _is_open(c.get("open"), moment)
                    else 0.0
                )
                if s + k < horizon:
                    net.add(enter(cid, s), leave(cid, s + k), cap)
            if s + 1 < horizon:
                for p in places:
                    for node in {enter(p, s), leave(p, s)}:
                        net.add(node, (node[0], p, s + 1), INF)
        origins = [commodity] if commodity else list(self.cars)
        for o in origins:
            net.add("S", ("hub", o, -1), float(self.cars[o]))
            for s in range(min(depart_until, horizon)):
                net.add(("hub", o, -1), leave(o, s), INF)
        sinks = (
            self.allowed[commodity] if commodity else [d["id"] for d in self.data["destinations"]]
        )
        for d in sinks:
            for s in range(horizon):
                net.add(leave(d, s), "T", INF)
        return net

    def max_cars(self, horizon: int, depart_until: int) -> float:
        """Max flow (networkx), any origin to any destination."""
        g = nx.DiGraph()
        for (u, v), cap in self.expand(horizon, depart_until).arcs.items():
            if cap == INF:
                g.add_edge(u, v)  # no capacity attribute: unbounded for networkx
            else:
                g.add_edge(u, v, capacity=cap)
        return float(nx.maximum_flow_value(g, "S", "T"))

    def people_by_window_end(self) -> float:
        """Most people out by the window's end (single commodity; uniform occupancy)."""
        occupancy = set(self.occupancy.values())
        assert len(occupancy) == 1, "max flow oracle: one occupancy"
        return self.max_cars(self.window_steps, self.window_steps) * occupancy.pop()

    def least_egress_steps(self, limit: int) -> int | None:
        """Least H by which every car can be out (departing any time before H)."""
        total = sum(self.cars.values())
        if self.max_cars(limit, limit) < total - 1e-9:
            return None
        lo, hi = 0, limit
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.max_cars(mid, mid) >= total - 1e-9:
                hi = mid
            else:
                lo = mid
        return hi

    def people_by_window_end_assigned(self) -> float:
        """Most people out by the window's end when each origin may only reach its allowed
        destinations: an LP with one commodity per origin sharing every arc's capacity."""
        H = self.window_steps
        per = {o: self.expand(H, H, commodity=o).arcs for o in self.cars}
        shared: dict[tuple[Any, Any], float] = {}
        for arcs in per.values():
            for key, cap in arcs.items():
                if key[0] != "S":
                    shared[key] = cap
        columns: list[tuple[str, tuple[Any, Any]]] = [
            (o, a) for o, arcs in per.items() for a in arcs
        ]
        col_of = {c: i for i, c in enumerate(columns)}
        rows, cols, vals = [], [], []
        node_row: dict[tuple[str, Any], int] = {}
        for i, (o, (u, v)) in enumerate(columns):
            for node, sign in ((u, -1.0), (v, 1.0)):
                if node in ("S", "T"):
                    continue
                r = node_row.setdefault((o, node), len(node_row))
                rows.append(r), cols.append(i), vals.append(sign)
        a_eq = coo_matrix((vals, (rows, cols)), shape=(len(node_row), len(columns)))
        cap_rows, cap_cols, cap_rhs = [], [], []
        users: dict[tuple[Any, Any], list[int]] = defaultdict(list)
        for (o, a), i in col_of.items():
            if a[0] != "S" and math.isfinite(per[o][a]):
                users[a].append(i)
        for r, (a, idx) in enumerate(users.items()):
            cap_rows += [r] * len(idx)
            cap_cols += idx
            cap_rhs.append(shared[a])
        a_ub = coo_matrix(
            (np.ones(len(cap_cols)), (cap_rows, cap_cols)), shape=(len(cap_rhs), len(columns))
        )
        bounds = [(0.0, per[o][a] if a[0] == "S" else None) for o, a in columns]
        cost = np.array([-self.occupancy[o] if a[1] == "T" else 0.0 for o, a in columns])
        res = linprog(
            cost, A_ub=a_ub, b_ub=cap_rhs, A_eq=a_eq, b_eq=np.zeros(len(node_row)), bounds=bounds
        )
        assert res.status == 0, res.message
        return float(-res.fun)
