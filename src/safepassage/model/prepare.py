"""From a scenario file to something plannable: network loaded, places snapped, all checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import numpy as np

from safepassage.errors import Problem, SafePassageError, ScenarioError
from safepassage.model.load import load_scenario
from safepassage.model.scenario import Hazard, Place, Scenario, Window, zone
from safepassage.model.yamlsource import YamlSource
from safepassage.network.areas import Area
from safepassage.network.clip import ClipArea
from safepassage.network.graph import RoadGraph
from safepassage.network.links import LinkSpec, graph_from_links
from safepassage.network.load import load_network
from safepassage.network.snap import snap
from safepassage.network.summary import largest_strong_component
from safepassage.settings import get_settings


@dataclass
class PreparedScenario:
    """A validated scenario with its road graph and every place's network node."""

    scenario: Scenario
    source: YamlSource
    graph: RoadGraph
    node_of: dict[str, int]
    snap_distance_m: dict[str, float]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.source.path

    def hazard_areas(self) -> list[Area]:
        return [hazard_area(h, self.scenario.timezone) for h in self.scenario.hazards]


def _aware(value: datetime | None, tz_name: str) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone(tz_name))


def hazard_area(hazard: Hazard, tz_name: str) -> Area:
    start, end = _aware(hazard.from_, tz_name), _aware(hazard.to, tz_name)
    if hazard.circle is not None:
        return Area(
            center=hazard.circle.at,
            radius_m=hazard.circle.radius_m,
            start=start,
            end=end,
            label=hazard.kind,
        )
    assert hazard.polygon is not None
    return Area(polygon=tuple(hazard.polygon), start=start, end=end, label=hazard.kind)


class _Checker:
    """Collects problems with their file position, so all are reported at once."""

    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(
        self,
        loc: tuple[str | int, ...],
        message: str,
        hint: str | None = None,
        severity: str = "error",
    ) -> None:
        from safepassage.model.yamlsource import dotted

        self.problems.append(
            Problem(
                message,
                file=str(self.source.path),
                line=self.source.line_of(loc),
                field=dotted(loc),
                hint=hint,
                severity=severity,
            )
        )

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def check_times(scenario: Scenario, check: _Checker) -> None:
    """Windows and hazard intervals end after they start, once zones are applied; warnings
    for a scenario without a time zone and for a window written at another zone's offset."""
    written = scenario.corridor.window if scenario.corridor else None
    zoned = "timezone" in scenario.model_fields_set or bool(written and written.timezone)
    if not zoned:
        check.add(
            ("name",),
            "the scenario has no `timezone`: its times and opening hours are read as UTC",
            hint="add the IANA zone of the corridor, e.g. `timezone: Europe/Kyiv`",
            severity="warning",
        )
    if scenario.corridor and written is not None:
        window = written.localized(scenario.timezone)
        if window.end <= window.start:
            check.add(
                ("corridor", "window", "end"),
                f"the window ends ({window.end}) before it starts ({window.start})",
            )
        if zoned:  # without a zone, explicit offsets are all there is to go by
            _check_offsets(written, zone(written.timezone or scenario.timezone), check)
    for i, hz in enumerate(scenario.hazards):
        start, end = _aware(hz.from_, scenario.timezone), _aware(hz.to, scenario.timezone)
        if start and end and end <= start:
            check.add(("hazards", i, "to"), "the hazard ends before it starts")


def _check_offsets(window: Window, tz: tzinfo, check: _Checker) -> None:
    """A window time written with a UTC offset other than its zone's at that instant (Moscow
    time, +03:00, in a Kyiv scenario) is almost surely a mistake: flag it."""
    for name in ("start", "end"):
        moment: datetime = getattr(window, name)
        offset = moment.utcoffset()
        if moment.tzinfo is None or offset is None:
            continue
        expected = moment.astimezone(tz).utcoffset()
        if expected is not None and offset != expected:
            check.add(
                ("corridor", "window", name),
                f"the window's {name} {moment.isoformat()} is written at UTC offset"
                f" {_hhmm(offset)}, but {tz} is at {_hhmm(expected)} then"
                f" ({moment.astimezone(tz):%Y-%m-%d %H:%M} local time)",
                hint="write the time without an offset (it is then read in the scenario's"
                " zone), or check which clock the announcement used",
                severity="warning",
            )


def _hhmm(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def build_graph_for(scenario: Scenario, source: YamlSource) -> RoadGraph:
    """Load (or build, for explicit links) the scenario's road network."""
    spec = scenario.network
    base = source.path.parent
    if spec.links:
        places = scenario.places()
        names = list(places)
        index = {name: i for i, name in enumerate(names)}
        links = [
            LinkSpec(
                index[link.from_],
                index[link.to],
                link.length_km * 1000,
                link.speed_kmh,
                link.lanes,
                link.capacity_vph,
                link.road,
                link.oneway,
            )
            for link in spec.links
        ]
        return graph_from_links(
            names,
            [places[n].at[0] for n in names],
            [places[n].at[1] for n in names],
            links,
            source=source.path.name,
        )
    file = spec.osm or spec.matsim
    assert file is not None
    path = Path(file).expanduser()
    if not path.is_absolute():
        path = base / path
    clip = ClipArea(bbox=spec.bbox) if spec.bbox else None
    return load_network(
        path, crs=spec.crs, clip=clip, capacity_overrides=spec.capacity_vph_per_lane or None
    )


def _snap_places(
    scenario: Scenario, graph: RoadGraph, check: _Checker
) -> tuple[dict[str, int], dict[str, float]]:
    if graph.meta.get("format") == "links":
        names = graph.meta["node_names"]
        return {n: i for i, n in enumerate(names)}, {n: 0.0 for n in names}
    groups: dict[str, list[Place]] = {
        "origins": list(scenario.origins),
        "destinations": list(scenario.destinations),
        "checkpoints": list(scenario.checkpoints),
        "waypoints": list(scenario.waypoints),
    }
    ids, lats, lons, locs = [], [], [], []
    for group, items in groups.items():
        for i, item in enumerate(items):
            ids.append(item.id)
            lats.append(item.at[0])
            lons.append(item.at[1])
            locs.append((group, i, "at"))
    among = largest_strong_component(graph)
    found = snap(graph, lats, lons, among=among)
    limit = get_settings().max_snap_distance_m
    for loc, dist in zip(locs, found.distance_m.tolist(), strict=True):
        if dist > limit:
            check.add(
                loc,
                f"is {dist / 1000:.1f} km from the nearest connected road",
                f"move it onto the network (limit {limit / 1000:.1f} km, SAFEPASSAGE_MAX_SNAP_DISTANCE_M)",
            )
    return dict(zip(ids, found.node.tolist(), strict=True)), dict(
        zip(ids, found.distance_m.tolist(), strict=True)
    )


def _check_reachability(
    scenario: Scenario,
    graph: RoadGraph,
    node_of: dict[str, int],
    check: _Checker,
    cut_off: str = "error",
) -> None:
    """Every origin reaches a destination (`cut_off` severity), and each destination it is
    sent to (warning)."""
    from scipy.sparse.csgraph import breadth_first_order

    backwards = graph.time_matrix.T.tocsr()
    reaches: dict[str, set[int]] = {}
    for dest in scenario.destinations:
        order = breadth_first_order(
            backwards, node_of[dest.id], directed=True, return_predecessors=False
        )
        reaches[dest.id] = set(np.asarray(order).tolist())
    for i, origin in enumerate(scenario.origins):
        wanted = origin.to or [d.id for d in scenario.destinations]
        missing = [d for d in wanted if node_of[origin.id] not in reaches[d]]
        if len(missing) == len(wanted):
            check.add(
                ("origins", i),
                f"origin {origin.id!r} cannot reach any of its destinations by road",
                "check the network and the origin's position",
                severity=cut_off,
            )
        for dest_id in missing if len(missing) < len(wanted) else []:
            check.add(
                ("origins", i),
                f"origin {origin.id!r} cannot reach destination {dest_id!r}",
                severity="warning",
            )


def prepare_scenario(path: str | Path, *, cut_off: str = "error") -> PreparedScenario:
    """Load, validate and check a scenario against its network; ScenarioError lists every
    problem. `cut_off="warning"` accepts origins that reach no destination (a planner then
    names them as not served) instead of refusing the scenario."""
    scenario, source = load_scenario(path)
    check = _Checker(source)
    check_times(scenario, check)
    if check.errors:
        raise ScenarioError(check.problems)
    try:
        graph = build_graph_for(scenario, source)
    except SafePassageError as exc:
        for p in exc.problems:
            check.add(("network",), str(p))
        raise ScenarioError(check.problems) from None
    node_of, dist = _snap_places(scenario, graph, check)
    if not check.errors:
        _check_reachability(scenario, graph, node_of, check, cut_off)
    if check.errors:
        raise ScenarioError(check.problems)
    return PreparedScenario(scenario, source, graph, node_of, dist, warnings=check.problems)
