"""Compact text reports for SMS and messengers, parsed tolerantly. Four forms:

    CP MANHUSH 1405 OUT 42 CARS 130 PPL          a checkpoint count
    кп мангуш 14:05 виїзд 42 авто 130 осіб
    Q MANHUSH 1405 120 CARS                      a queue (vehicles seen waiting)
    черга мангуш 14:05 120 авто
    INC SHELLING MANHUSH 1405 road hit           an incident (place and note optional)
    інцидент обстріл мангуш 14:05
    STATUS CLOSED MANHUSH 1405                   a status (of one checkpoint, or the corridor)
    стан закрито 14:05

Case, spacing and Cyrillic or Latin names do not matter; times are 24-hour (HHMM, HH:MM or
HH.MM); the direction is OUT or IN; counts carry their unit (CARS, BUSES, PPL and their
Ukrainian and Russian forms). Numbers are written with the digits 0-9 only (other scripts'
digits and superscripts are refused, not guessed at) and are never negative. A report that
cannot be read is answered with what is wrong and how to write it, never guessed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import time

#: Ukrainian national transliteration (2010), plus the Russian letters it lacks.
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
        "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
        "я": "ia", "ы": "y", "э": "e", "ё": "e", "ъ": "", "'": "", "’": "", "ʼ": "",
    }
)  # fmt: skip

_KIND = {"cp", "kp", "checkpoint", "блокпост"}
_DIRECTIONS = {
    "out": "out", "vyizd": "out", "vyezd": "out", "виїзд": "out", "выезд": "out",
    "in": "in", "vizd": "in", "vezd": "in", "в'їзд": "in", "въезд": "in", "вїзд": "in",
}  # fmt: skip
_UNITS = {
    "cars": "vehicles", "car": "vehicles", "veh": "vehicles", "vehicles": "vehicles",
    "avto": "vehicles", "auto": "vehicles", "mash": "vehicles", "mashyn": "vehicles",
    "mashyny": "vehicles",
    "buses": "buses", "bus": "buses", "avtobusiv": "buses", "avtobus": "buses",
    "avtobusov": "buses",
    "ppl": "people", "people": "people", "pers": "people", "osib": "people", "liudei": "people",
    "liud": "people", "liudy": "people", "chel": "people",
}  # fmt: skip

FORMAT = "CP <checkpoint> <HHMM> OUT|IN <n> CARS [<n> BUSES] [<n> PPL]"
QUEUE_FORMAT = "Q <checkpoint> <HHMM> <n> CARS"
INCIDENT_FORMAT = "INC <kind> [<place>] <HHMM> [note]"
STATUS_FORMAT = "STATUS OPEN|SUSPENDED|CLOSED [<checkpoint>] <HHMM>"
#: The first word of each form (Latin, Ukrainian and Russian, compared in Latin letters).
_QUEUE = {"q", "queue", "cherha", "ochered"}
_INCIDENT = {"inc", "incident", "intsydent", "yntsydent"}
_STATUS = {"status", "stan", "sostoianye", "sostoianie"}
_INCIDENT_KINDS = {
    "shelling": "shelling", "obstril": "shelling", "obstrel": "shelling",
    "shooting": "shooting", "striliania": "shooting", "striltba": "shooting",
    "strilianyna": "shooting", "strelba": "shooting",
    "mines": "mines", "mine": "mines", "miny": "mines", "myny": "mines",
    "detention": "detention", "zatrymannia": "detention", "zaderzhanye": "detention",
    "blocked": "blocked", "zablokovano": "blocked", "zablokyrovano": "blocked",
    "accident": "accident", "dtp": "accident", "avariia": "accident", "avaryia": "accident",
    "other": "other", "inshe": "other", "druhoe": "other",
}  # fmt: skip
_STATUSES = {
    "open": "open", "vidkryto": "open", "otkryt": "open", "otkryto": "open",
    "suspended": "suspended", "pryzupyneno": "suspended", "pryostanovlen": "suspended",
    "pryostanovleno": "suspended",
    "closed": "closed", "zakryto": "closed", "zakryt": "closed",
}  # fmt: skip


@dataclass(frozen=True)
class CheckpointCount:
    checkpoint: str
    at: time
    direction: str
    vehicles: int
    buses: int
    people: int | None


@dataclass(frozen=True)
class QueueReport:
    checkpoint: str
    at: time
    waiting: int


@dataclass(frozen=True)
class IncidentReport:
    kind: str
    place: str | None
    at: time
    note: str | None


@dataclass(frozen=True)
class StatusReport:
    status: str
    checkpoint: str | None
    at: time


Report = CheckpointCount | QueueReport | IncidentReport | StatusReport


@dataclass(frozen=True)
class Rejection:
    reason: str
    fix: str

    def __str__(self) -> str:
        return f"NOT RECORDED: {self.reason}. {self.fix}"


def latin(text: str) -> str:
    """Lower-case Latin form of a name written in Cyrillic or Latin letters."""
    return text.lower().translate(_TRANSLIT)


def _names(checkpoint_id: str) -> set[str]:
    """The ways a reporter may name a checkpoint: its id, and its id without `cpNN-`."""
    base = re.sub(r"^cp\d*[-_]?", "", checkpoint_id.lower())
    return {checkpoint_id.lower(), base, base.replace("-", ""), base.split("-")[0]} - {""}


def _time(token: str) -> time | None:
    match = re.fullmatch(r"([0-9]{1,2})[:.h]?([0-9]{2})", token)
    if not match:
        return None
    h, m = int(match.group(1)), int(match.group(2))
    return time(h, m) if h < 24 and m < 60 else None


def parse_report(text: str, checkpoints: list[str]) -> CheckpointCount | Rejection:
    """Read one report; `checkpoints` are the ids the reporter may name."""
    # A sign stays with its number ("-5" is refused, not read as 5).
    tokens = re.findall(r"[-−–+]?[\w'’ʼ:.]+", text.strip(), flags=re.UNICODE)
    tokens = [t.rstrip(".") or t for t in tokens]
    if not tokens:
        return Rejection("the message is empty", f"Write: {FORMAT}")
    if latin(tokens[0]) in {latin(k) for k in _KIND}:
        tokens = tokens[1:]
    # The checkpoint name runs up to the time.
    at_index = next((i for i, t in enumerate(tokens) if _time(t) is not None), None)
    if at_index is None:
        return Rejection("no time found", "Give the time as 24-hour HHMM, e.g. 1405")
    name = latin(" ".join(t.lstrip("-−–+") for t in tokens[:at_index])).replace(" ", "-")
    if not name:
        return Rejection("no checkpoint named", f"Write: {FORMAT}")
    by_name = {n: cp for cp in checkpoints for n in _names(cp)}
    if name not in by_name:
        close = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.6)
        hint = (
            f"Did you mean {by_name[close[0]].upper()}?"
            if close
            else "Known: " + ", ".join(sorted(c.upper() for c in checkpoints)[:8])
        )
        return Rejection(f"unknown checkpoint {name.upper()!r}", hint)
    at = _time(tokens[at_index])
    assert at is not None
    rest = tokens[at_index + 1 :]
    direction = "out"
    if rest and (latin(rest[0]) in _DIRECTIONS or rest[0].lower() in _DIRECTIONS):
        direction = _DIRECTIONS.get(latin(rest[0]), _DIRECTIONS.get(rest[0].lower(), "out"))
        rest = rest[1:]
    counts: dict[str, int] = {}
    i = 0
    while i < len(rest):
        number = rest[i]
        if number[:1] in "-−–" and number[1:].isdigit():
            return Rejection(f"negative count {number}", "Counts are 0 or more")
        if number.isdigit() and not re.fullmatch(r"[0-9]+", number):
            return Rejection(f"{number!r} is not written with the digits 0-9", "Write e.g. 42")
        if len(number) > 7 and number.isdigit():
            return Rejection(f"the number {number} is too large", "Counts are at most 1000000")
        if not number.isdigit():
            return Rejection(
                f"expected a number, found {number!r}", f"Counts are <number> <unit>: {FORMAT}"
            )
        if i + 1 >= len(rest):
            return Rejection(f"the number {number} has no unit", "Add CARS, BUSES or PPL after it")
        unit = _UNITS.get(latin(rest[i + 1]))
        if unit is None:
            return Rejection(f"unknown unit {rest[i + 1]!r}", "Use CARS, BUSES or PPL")
        if unit in counts:
            return Rejection(f"{unit} given twice", "Give each count once")
        counts[unit] = int(number)
        i += 2
    if "vehicles" not in counts and "buses" not in counts:
        return Rejection("no vehicle count", "Give the number of cars, e.g. 42 CARS")
    return CheckpointCount(
        checkpoint=by_name[name],
        at=at,
        direction=direction,
        vehicles=counts.get("vehicles", 0),
        buses=counts.get("buses", 0),
        people=counts.get("people"),
    )


def acknowledgement(report: Report) -> str:
    """The short answer a reporter gets when a report is read (and, later, stored)."""
    if isinstance(report, QueueReport):
        return f"OK QUEUE {report.checkpoint.upper()} {report.at:%H%M} {report.waiting} CARS"
    if isinstance(report, IncidentReport):
        place = f" {report.place.upper()}" if report.place else ""
        return f"OK INCIDENT {report.kind.upper()}{place} {report.at:%H%M}"
    if isinstance(report, StatusReport):
        where = f" {report.checkpoint.upper()}" if report.checkpoint else ""
        return f"OK STATUS {report.status.upper()}{where} {report.at:%H%M}"
    people = f" {report.people} PPL" if report.people is not None else ""
    buses = f" {report.buses} BUSES" if report.buses else ""
    return (
        f"OK {report.checkpoint.upper()} {report.at:%H%M} {report.direction.upper()} "
        f"{report.vehicles} CARS{buses}{people}"
    )


def _tokens(text: str) -> list[str]:
    # A sign stays with its number ("-5" is refused, not read as 5).
    tokens = re.findall(r"[-−–+]?[\w'’ʼ:.]+", text.strip(), flags=re.UNICODE)
    return [t.rstrip(".") or t for t in tokens]


def parse_message(text: str, checkpoints: list[str], places: list[str]) -> Report | Rejection:
    """Read one message of any form; `checkpoints` are the ids the reporter may count or
    report a queue at, `places` those an incident or a status may name."""
    tokens = _tokens(text)
    first = latin(tokens[0]) if tokens else ""
    if first in _QUEUE:
        return _queue(tokens[1:], checkpoints)
    if first in _INCIDENT:
        return _incident(tokens[1:], text, places)
    if first in _STATUS:
        return _status(tokens[1:], places)
    return parse_report(text, checkpoints)


def _place(words: list[str], known: list[str], form: str) -> str | Rejection:
    """The place `words` name among `known` (by id, or the id without `cpNN-`)."""
    name = latin(" ".join(w.lstrip("-−–+") for w in words)).replace(" ", "-")
    by_name = {n: cp for cp in known for n in _names(cp)}
    by_name.update({cp.lower(): cp for cp in known})  # an exact id wins over a short form
    if name in by_name:
        return by_name[name]
    # Transliterations differ ("бердянськ" reads berdiansk; the id says berdyansk).
    loose = {_loose(n): cp for n, cp in by_name.items()}
    if _loose(name) in loose:
        return loose[_loose(name)]
    close = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.6)
    hint = (
        f"Did you mean {by_name[close[0]].upper()}?"
        if close
        else "Known: " + ", ".join(sorted(c.upper() for c in known)[:8]) + f". Write: {form}"
    )
    return Rejection(f"unknown place {name.upper()!r}", hint)


def _loose(name: str) -> str:
    for a, b in (("ya", "ia"), ("yu", "iu"), ("ye", "ie"), ("yi", "i"), ("-", "")):
        name = name.replace(a, b)
    return name


def _time_at(tokens: list[str], form: str) -> int | Rejection:
    at = next((i for i, t in enumerate(tokens) if _time(t) is not None), None)
    if at is None:
        return Rejection("no time found", f"Give the time as 24-hour HHMM, e.g. 1405: {form}")
    return at


def _queue(tokens: list[str], checkpoints: list[str]) -> QueueReport | Rejection:
    at = _time_at(tokens, QUEUE_FORMAT)
    if isinstance(at, Rejection):
        return at
    if at == 0:
        return Rejection("no checkpoint named", f"Write: {QUEUE_FORMAT}")
    place = _place(tokens[:at], checkpoints, QUEUE_FORMAT)
    if isinstance(place, Rejection):
        return place
    rest = tokens[at + 1 :]
    if len(rest) == 1:
        rest = [*rest, "cars"]  # "Q MANHUSH 1405 120": the unit is vehicles anyway
    if len(rest) != 2 or not re.fullmatch(r"[0-9]{1,7}", rest[0]):
        return Rejection(
            "expected the number of vehicles waiting", f"Write: {QUEUE_FORMAT}, e.g. 120 CARS"
        )
    if _UNITS.get(latin(rest[1])) != "vehicles":
        return Rejection(f"a queue is counted in cars, not {rest[1]!r}", f"Write: {QUEUE_FORMAT}")
    time_ = _time(tokens[at])
    assert time_ is not None
    return QueueReport(place, time_, int(rest[0]))


def _incident(tokens: list[str], text: str, places: list[str]) -> IncidentReport | Rejection:
    if not tokens or latin(tokens[0]) not in _INCIDENT_KINDS:
        kinds = "SHELLING, SHOOTING, MINES, DETENTION, BLOCKED, ACCIDENT or OTHER"
        return Rejection("no incident kind", f"Start with one of {kinds}: {INCIDENT_FORMAT}")
    kind = _INCIDENT_KINDS[latin(tokens[0])]
    found = _place_then_time(tokens, places, INCIDENT_FORMAT)
    if isinstance(found, Rejection):
        return found
    place, at, time_ = found
    # The note is what follows the time, as written (up to 200 characters).
    after = text.split(tokens[at], 1)[1].strip() if tokens[at] in text else ""
    return IncidentReport(kind, place, time_, after[:200] or None)


def _status(tokens: list[str], places: list[str]) -> StatusReport | Rejection:
    if not tokens or latin(tokens[0]) not in _STATUSES:
        return Rejection("no status given", f"Write: {STATUS_FORMAT}")
    status = _STATUSES[latin(tokens[0])]
    found = _place_then_time(tokens, places, STATUS_FORMAT)
    if isinstance(found, Rejection):
        return found
    checkpoint, at, time_ = found
    if len(tokens) > at + 1:
        return Rejection(f"unexpected {tokens[at + 1]!r} after the time", f"Write: {STATUS_FORMAT}")
    return StatusReport(status, checkpoint, time_)


def _place_then_time(
    tokens: list[str], places: list[str], form: str
) -> tuple[str | None, int, time] | Rejection:
    """After the form's first word: an optional place, then the time (the incident and
    status forms): the place (None when none is written), where the time is, the time."""
    at = _time_at(tokens, form)
    if isinstance(at, Rejection):
        return at
    place = None
    if at > 1:
        found = _place(tokens[1:at], places, form)
        if isinstance(found, Rejection):
            return found
        place = found
    time_ = _time(tokens[at])
    assert time_ is not None
    return place, at, time_
