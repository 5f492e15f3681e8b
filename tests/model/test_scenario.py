"""Scenario files: the bundled one loads; every mistake is reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepassage.errors import ScenarioError
from safepassage.model import prepare_scenario
from safepassage.model.load import load_scenario
from tests.osm_xml import LINE, write_osm

ROOT = Path(__file__).resolve().parents[2]
MARIUPOL = ROOT / "scenarios" / "mariupol-2022.yaml"

VALID = """\
name: small
timezone: Europe/Kyiv
network:
  links:
    - {from: a, to: cp, length_km: 10}
    - {from: cp, to: b, length_km: 20, speed_kmh: 80}
origins:
  - {id: a, at: [47.0, 37.0], people: 100, cars: 20, need_bus: 10}
destinations:
  - {id: b, at: [47.5, 36.0]}
checkpoints:
  - {id: cp, at: [47.2, 36.5], controlled_by: RU, lanes: 2, inspection_s: {mean: 60, sd: 20}}
corridor:
  via: [cp]
  window: {start: 2022-03-15T09:00, end: 2022-03-15T18:00}
"""


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        prepare_scenario(path)
    return [str(p) for p in info.value.problems]


def test_bundled_mariupol_scenario() -> None:
    prepared = prepare_scenario(MARIUPOL)
    s = prepared.scenario
    assert 15 <= len(s.checkpoints) <= 20
    assert s.timezone == "Europe/Kyiv"
    window = s.window()
    assert window is not None and window.start.utcoffset() is not None
    assert window.start.hour == 9 and window.duration_s == 9 * 3600
    assert s.corridor is not None and s.corridor.via[0] == "cp01-mariupol-exit"
    assert prepared.warnings == []
    assert s.assumptions and s.sources


def test_valid_small_scenario(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    prepared = prepare_scenario(path)
    assert prepared.graph.n_nodes == 3
    assert prepared.scenario.checkpoints[0].throughput_vph == pytest.approx(120.0)


def test_all_problems_reported_at_once_with_lines(tmp_path: Path) -> None:
    text = VALID.replace("people: 100", "people: -100").replace("cars: 20", "carz: 20")
    text = text.replace("timezone: Europe/Kyiv", "timezone: Europe/Kiyv").replace(
        "via: [cp]", "via: [cq]"
    )
    text = text.replace("end: 2022-03-15T18:00", "end: 2022-03-15T08:00")
    found = problems_of(tmp_path, text)
    assert len(found) == 5, found
    joined = "\n".join(found)
    assert "s.yaml:2: timezone: unknown time zone 'Europe/Kiyv'" in joined
    assert "s.yaml:8: origins[0].people" in joined
    assert "unknown field 'carz' (did you mean 'cars'?)" in joined
    assert (
        "s.yaml:14: corridor.via[0]: 'cq' is not a checkpoint or waypoint (did you mean 'cp'?)"
        in joined
    )
    assert "ends" in joined and "before it starts" in joined


def test_bad_references(tmp_path: Path) -> None:
    text = (
        VALID.replace("to: b, length_km: 20", "to: bb, length_km: 20")
        + "fleet: {buses: [{id: x, seats: 50, depot: nowhere}]}\n"
    )
    text = text.replace("  - {id: b, at:", "  - {id: a, at:")
    found = "\n".join(problems_of(tmp_path, text))
    assert "'bb' is not a known place" in found
    assert "depot 'nowhere'" in found
    assert "id 'a' is already used in origins" in found


def test_malformed_yaml(tmp_path: Path) -> None:
    found = problems_of(tmp_path, "name: x\norigins: [\n  - a: b\n")
    assert len(found) == 1 and "not valid YAML" in found[0] and "s.yaml:" in found[0]


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "mapping of fields" in problems_of(tmp_path, "- just\n- a list\n")[0]


def test_missing_file() -> None:
    with pytest.raises(ScenarioError.__mro__[1], match="file not found"):
        load_scenario("/nonexistent/scenario.yaml")


def test_point_far_from_network_and_unreachable_destination(tmp_path: Path) -> None:
    nodes = {**LINE, 50: (47.0, 37.02), 51: (47.0, 37.021)}
    osm = write_osm(
        tmp_path / "roads.osm",
        nodes,
        [(1, list(range(1, 11)), {"highway": "primary"}), (2, [50, 51], {"highway": "primary"})],
    )
    text = f"""\
name: far
network: {{osm: {osm.name}}}
origins:
  - {{id: home, at: [47.0, 37.001], people: 10, cars: 3}}
  - {{id: lost, at: [48.0, 37.0], people: 10, cars: 3}}
destinations:
  - {{id: island, at: [47.0, 37.0205]}}
"""
    found = "\n".join(problems_of(tmp_path, text))
    assert "s.yaml:5: origins[1].at: is 111.2 km from the nearest connected road" in found
    # Off-network points snap to the largest connected part, so test reachability on links.
    links = VALID.replace(
        "- {from: cp, to: b, length_km: 20, speed_kmh: 80}",
        "- {from: cp, to: b, length_km: 20, oneway: true}",
    )
    links = links.replace(
        "- {from: a, to: cp, length_km: 10}", "- {from: cp, to: a, length_km: 10, oneway: true}"
    )
    found = "\n".join(problems_of(tmp_path, links))
    assert "origin 'a' cannot reach any of its destinations" in found


def test_opening_hours_and_hazard_shape(tmp_path: Path) -> None:
    text = VALID.replace(
        "inspection_s: {mean: 60, sd: 20}}", "inspection_s: {mean: 60, sd: 20}, open: '8-18'}"
    )
    text += "hazards:\n  - {kind: shelling}\n"
    found = "\n".join(problems_of(tmp_path, text))
    assert "HH:MM-HH:MM" in found
    assert "exactly one shape" in found
