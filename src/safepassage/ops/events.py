"""The corridor's events: what field reporters and coordinators record, as validated models.

Every event has a client-made UUID (its idempotency key), the time it happened (with a zone)
and, once stored, the time it was recorded and who recorded it. Payloads are strict (unknown
fields are refused): they hold counts, places and times, never names or number plates.
Corrections are new events that name the one they `supersede`; nothing is edited.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from safepassage.model.scenario import Id, Mode

#: "held": set by the server, never by a writer, on a count it holds for review (implausible
#: figures); held counts are kept out of every figure until a coordinator corrects them.
Status = Literal["confirmed", "claimed", "unverified", "held"]
#: Counts are whole numbers given as JSON numbers (no "42" strings, no booleans), 0 to 10^6.
Count = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
Note = Annotated[str, Field(max_length=280)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
#: Times the service accepts: these years, whatever the zone (so that UTC is always reachable).
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "the time is out of range in UTC; give a time between 2000 and 2099"
        ) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("the time is out of range; give a time between 2000 and 2099")
    return value


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Kyiv"
        ) from None
    return name


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
Zone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]


class _Payload(BaseModel):
    # No NaN or infinity anywhere: they are not numbers a report can mean.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Window(_Payload):
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("the window ends before it starts")
        return self


class CorridorAnnounced(_Payload):
    """A corridor announced or changed: its route, window, who may use it and how."""

    route: list[Id] = Field(min_length=1, max_length=100)
    window: Window
    timezone: Zone = "UTC"
    who: Name = "civilians"
    modes: list[Mode] = Field(default_factory=lambda: list[Mode](["car", "bus"]), max_length=10)
    # expected minutes per leg
    legs_min: list[Annotated[float, Field(gt=0, le=10_000)]] | None = Field(None, max_length=100)
    note: Note | None = None
    #: The name the public sees (set by the coordinator who announces; without it the corridor
    #: stays off the public page and the CAP alerts).
    name: Name | None = None
    # Whether the window was agreed (by whom), announced or claimed by one side, or is a
    # reconstruction or a planning assumption (None: read from the event's status and source).
    window_basis: Literal["agreed", "announced", "claimed", "reconstructed", "assumed"] | None = (
        None
    )
    window_agreed_by: Annotated[str, Field(max_length=200)] | None = None


class CorridorStatus(_Payload):
    status: Literal["open", "suspended", "closed", "unknown"]
    said_by: Name
    # How the sayer knows (None: read from the event's status and source) and, when the
    # status is of one checkpoint rather than the whole corridor, which one.
    basis: Literal["observed", "reported", "claimed", "reconstructed", "assumed"] | None = None
    checkpoint: Id | None = None


class CheckpointCount(_Payload):
    checkpoint: Id
    interval_start: Moment | None = None
    direction: Literal["out", "in"] = "out"
    vehicles: Count = 0
    buses: Count = 0
    people: Count | None = None
    waiting: Count | None = None  # vehicles seen queueing


class WaypointPassage(_Payload):
    convoy: Id
    waypoint: Id
    vehicles: Count | None = None


class Incident(_Payload):
    kind: Literal["shelling", "shooting", "mines", "detention", "blocked", "accident", "other"]
    place: Id | None = None
    at: (
        tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]
        | None
    ) = None  # latitude, longitude
    claimed_casualties: Count | None = None
    note: Note | None = None
    # The stretch of the route it was on, as two waypoints (when `place` is not one itself).
    segment: tuple[Id, Id] | None = None


class BusMovement(_Payload):
    bus: Id
    state: Literal["departed", "arrived", "loading", "stopped", "seized"]
    place: Id | None = None
    people: Count | None = None


class Notification(_Payload):
    """A party was notified of a movement. Its acknowledgement is a separate event and is never
    a clearance."""

    party: Name
    about: Note


class Acknowledgement(_Payload):
    notification: UUID
    party: Name


class AidDelivery(_Payload):
    place: Id
    tonnes: Annotated[float, Field(ge=0, le=100_000)] | None = None
    kind: Annotated[str, Field(max_length=64)] = "mixed"


class Retraction(_Payload):
    """An earlier event is withdrawn (it was wrong); the event itself stays in the log."""

    reason: Note


PAYLOADS: dict[str, type[_Payload]] = {
    "corridor_announced": CorridorAnnounced,
    "corridor_status": CorridorStatus,
    "checkpoint_count": CheckpointCount,
    "waypoint_passage": WaypointPassage,
    "incident": Incident,
    "bus_movement": BusMovement,
    "notification": Notification,
    "acknowledgement": Acknowledgement,
    "aid_delivery": AidDelivery,
    "retraction": Retraction,
}
EventType = Literal[
    "corridor_announced",
    "corridor_status",
    "checkpoint_count",
    "waypoint_passage",
    "incident",
    "bus_movement",
    "notification",
    "acknowledgement",
    "aid_delivery",
    "retraction",
    "claim",
    "claim_review",
]


class EventIn(BaseModel):
    """An event as a client submits it."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    type: EventType
    occurred_at: Moment
    corridor: Id
    status: Status = "unverified"
    source: Annotated[str, Field(max_length=200)] | None = None
    supersedes: UUID | None = None
    data: dict[str, Any]

    _payload: _Payload | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _retraction_names_its_event(self) -> EventIn:
        if self.type == "retraction" and self.supersedes is None:
            raise ValueError("a retraction names the event it withdraws in `supersedes`")
        return self

    def payload(self) -> _Payload:
        """The typed payload (raises pydantic's ValidationError when it does not fit)."""
        if self._payload is None:
            self._payload = PAYLOADS[self.type].model_validate(self.data)
        return self._payload

    def content(self) -> dict[str, Any]:
        """The client's content in canonical form (normalised payload, UTC times)."""
        return {
            "id": str(self.id),
            "type": self.type,
            "occurred_at": _utc(self.occurred_at),
            "corridor": self.corridor,
            "status": self.status,
            "source": self.source,
            "supersedes": str(self.supersedes) if self.supersedes else None,
            "data": self.payload().model_dump(mode="json", exclude_none=True),
        }


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: The hash before the first row of a chain.
GENESIS = "0" * 64


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The chain hash of a stored row (an event or an audit entry): the previous row's hash
    and every stored field but the hashes."""
    body = {k: row[k] for k in sorted(row) if k not in ("prev_hash", "hash")}
    return digest(prev_hash.encode() + canonical(body))


class EventError(ValueError):
    """An event that does not validate; `problems` are (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in problems))
        self.problems = problems


def _problems(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[tuple[str, str]]:
    return [
        (".".join(str(p) for p in (*prefix, *err["loc"])) or "(event)", err["msg"])
        for err in exc.errors()
    ]


def validate_event(raw: Any) -> EventIn:
    """An event from JSON, payload included; raises EventError naming each bad field."""
    try:
        event = EventIn.model_validate(raw)
    except ValidationError as exc:
        raise EventError(_problems(exc)) from None
    try:
        event.payload()
    except ValidationError as exc:
        raise EventError(_problems(exc, ("data",))) from None
    return event


# -- the register of claims (issue 11) ------------------------------------------------------
# Kept at the end of the module: a claim is any figure someone stated; review actions are
# events of their own, so a claim's whole history is in the log.

ClaimName = Annotated[str, Field(min_length=1, max_length=200)]


class Claim(_Payload):
    """A figure as someone stated it. The event's `occurred_at` is its as-of time (the end of
    its interval, or the moment of a level); `since` starts an interval or a running total."""

    kind: Literal[
        "killed", "injured", "missing", "evacuated", "crossed", "arrived", "sheltering",
        "in_need", "waiting", "blocked", "seized",
    ]  # fmt: skip
    unit: Literal["people", "vehicles", "buses"] = "people"
    value: Count | None = None
    low: Count | None = None
    high: Count | None = None
    qualifier: Literal["exact", "about", "at_least", "as_many_as", "range"] = "exact"
    place: Id | None = None
    span: Literal["interval", "cumulative", "stock"] = "cumulative"
    since: AwareDatetime | None = None
    said_by: ClaimName
    party: bool | None = None  # is the source a party to the conflict? None: not known
    via: ClaimName | None = None  # who passed it on (a news agency, a phone)
    method: Note | None = None  # how it was counted or estimated, where known
    basis: Literal["observed", "reported", "claimed", "reconstructed", "assumed"] = "reported"
    note: Note | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Claim:
        if self.qualifier == "range":
            if self.low is None or self.high is None or self.value is not None:
                raise ValueError("a range gives `low` and `high` (and no `value`)")
            if self.low > self.high:
                raise ValueError(f"range {self.low}-{self.high}: `low` is above `high`")
        elif self.value is None or self.low is not None or self.high is not None:
            raise ValueError(
                f"qualifier {self.qualifier!r} gives one `value` (use qualifier 'range' with "
                "`low` and `high` for a range)"
            )
        if self.span == "stock" and self.since is not None:
            raise ValueError("a level (span 'stock') is counted at one moment: drop `since`")
        return self


class ClaimReview(_Payload):
    """One step of a claim's verification: `assign` it to a reviewer (`to`), `confirm` it
    (`by` whom, `how`), `dispute` or `deny` it (by whoever does), find it `unverifiable`, or
    link it as a `duplicate_of` another claim (`of`): one figure with two sources."""

    claim: UUID
    action: Literal["assign", "confirm", "dispute", "deny", "unverifiable", "duplicate_of"]
    by: ClaimName
    party: bool | None = None  # is `by` a party to the conflict?
    to: ClaimName | None = None
    of: UUID | None = None
    how: Note | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ClaimReview:
        if self.action == "assign" and not self.to:
            raise ValueError("`assign` names the reviewer in `to`")
        if self.action == "duplicate_of" and self.of is None:
            raise ValueError("`duplicate_of` names the claim it repeats in `of`")
        if self.of is not None and self.of == self.claim:
            raise ValueError("a claim cannot be a duplicate of itself")
        return self


PAYLOADS["claim"] = Claim
PAYLOADS["claim_review"] = ClaimReview
