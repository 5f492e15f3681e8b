"""Display names: every Mariupol place is named in three languages, pages fall back sensibly,
the public route lists the main towns only, and a bad language code is reported with its line."""

from __future__ import annotations

from pathlib import Path

from safepassage.model.load import load_scenario
from safepassage.model.names import display_name, languages, public_route
from safepassage.model.scenario import Waypoint
from tests.model.test_scenario import MARIUPOL, VALID, problems_of


def test_every_mariupol_place_has_ukrainian_english_and_russian_names() -> None:
    s, _ = load_scenario(MARIUPOL)
    places = [*s.origins, *s.destinations, *s.checkpoints, *s.waypoints, *s.network.nodes]
    missing = [p.id for p in places if set(p.names) != {"uk", "en", "ru"}]
    assert missing == []
    assert set(s.names) == {"uk", "en", "ru"} and languages(s) == ["en", "uk", "ru"]
    by_id = s.places()
    assert display_name(by_id["zaporizhzhia"], "uk") == "Запоріжжя"
    assert display_name(by_id["zaporizhzhia"], "ru") == "Запорожье"
    assert display_name(by_id["berdyansk"], "en") == "Berdiansk"
    # Ukrainian and Russian names are Cyrillic; English ones are Latin: no copy-paste slips.
    for p in places:
        assert not any(0x400 <= ord(c) < 0x500 for c in p.names["en"]), p.id
        for lang in ("uk", "ru"):
            assert any(0x400 <= ord(c) < 0x500 for c in p.names[lang]), (p.id, lang)


def test_public_route_lists_main_towns_in_corridor_order_and_no_other_checkpoint() -> None:
    s, _ = load_scenario(MARIUPOL)
    assert public_route(s, "en") == [
        "Mariupol (exit)",
        "Manhush",
        "Berdiansk",
        "Tokmak",
        "Vasylivka",
        "Zaporizhzhia",
    ]
    assert public_route(s, "uk")[1:] == ["Мангуш", "Бердянськ", "Токмак", "Василівка", "Запоріжжя"]
    hidden = {display_name(c, "en") for c in s.checkpoints if not c.public}
    assert hidden and not hidden & set(public_route(s, "en"))


def test_fallbacks_base_language_english_any_then_readable_id() -> None:
    w = Waypoint(id="cp04-manhush", at=(47.0, 37.0), names={"pt": "Manhuxe", "en": "Manhush"})
    assert display_name(w, "pt-BR") == "Manhuxe"
    assert display_name(w, "de") == "Manhush"
    assert display_name(Waypoint(id="x", at=(0, 0), names={"uk": "Мангуш"}), "de") == "Мангуш"
    assert display_name(Waypoint(id="cp04-manhush", at=(0, 0)), "uk") == "cp04 manhush"
    assert display_name({"id": "a", "names": {"en": "A"}}, "en") == "A"


def test_a_bad_language_code_or_empty_name_is_reported_with_its_line(tmp_path: Path) -> None:
    text = VALID.replace(
        "- {id: b, at: [47.5, 36.0]}", '- {id: b, at: [47.5, 36.0], names: {Ukrainian: "Б"}}'
    )
    (problem,) = problems_of(tmp_path, text)
    assert "s.yaml:10" in problem and "'Ukrainian' is not a language code" in problem
    empty = VALID.replace(
        "- {id: b, at: [47.5, 36.0]}", '- {id: b, at: [47.5, 36.0], names: {uk: " "}}'
    )
    (problem,) = problems_of(tmp_path, empty)
    assert "the uk name is empty" in problem
