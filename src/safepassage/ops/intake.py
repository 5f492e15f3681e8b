"""Compact text reports for SMS and messengers, parsed tolerantly.

    CP MANHUSH 1405 OUT 42 CARS 130 PPL
    кп мангуш 14:05 виїзд 42 авто 130 осіб

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
    "avto": "vehicles", "auto": "vehicles", "mash": "vehicles",
    "buses": "buses", "bus": "buses", "avtobusiv": "buses", "avtobus": "buses",
    "avtobusov": "buses",
    "ppl": "people", "people": "people", "pers": "people", "osib": "people", "liudei": "people",
    "liud": "people", "liudy": "people", "chel": "people",
}  # fmt: skip

FORMAT = "CP <checkpoint> <HHMM> OUT|IN <n> CARS [<n> BUSES] [<n> PPL]"


@dataclass(frozen=True)
class CheckpointCount:
    checkpoint: str
    at: time
    direction: str
    vehicles: int
    buses: int
    people: int | None


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


def acknowledgement(report: CheckpointCount) -> str:
    """The short answer a reporter gets when a report is read (and, later, stored)."""
    people = f" {report.people} PPL" if report.people is not None else ""
    buses = f" {report.buses} BUSES" if report.buses else ""
    return (
        f"OK {report.checkpoint.upper()} {report.at:%H%M} {report.direction.upper()} "
        f"{report.vehicles} CARS{buses}{people}"
    )
