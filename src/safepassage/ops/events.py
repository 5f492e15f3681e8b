"""The corridor's events: what field reporters and coordinators record, as validated models.

Every event has a client-made UUID (its idempotency key), the time it happened (with a zone)
and, once stored, the time it was recorded and who recorded it. Payloads are strict (unknown
fields are refused): they hold counts, places and times, never names or number plates.
Corrections are new events that name the one they `supersede`; nothing is edited.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from safepassage.model.scenario import Id, Mode

Status = Literal["confirmed", "claimed", "unverified"]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Note = Annotated[str, Field(max_length=280)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Window(_Payload):
    start: AwareDatetime
    end: AwareDatetime


class CorridorAnnounced(_Payload):
    """A corridor announced or changed: its route, window, who may use it and how."""

    route: list[Id] = Field(min_length=1)
    window: Window
    timezone: str = "UTC"
    who: str = "civilians"
    modes: list[Mode] = Field(default_factory=lambda: list[Mode](["car", "bus"]))
    legs_min: list[Annotated[float, Field(gt=0)]] | None = None  # expected minutes per leg
    note: Note | None = None


class CorridorStatus(_Payload):
    status: Literal["open", "suspended", "closed", "unknown"]
    said_by: str


class CheckpointCount(_Payload):
    checkpoint: Id
    interval_start: AwareDatetime | None = None
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
    at: tuple[float, float] | None = None
    claimed_casualties: Count | None = None
    note: Note | None = None


class BusMovement(_Payload):
    bus: Id
    state: Literal["departed", "arrived", "loading", "stopped", "seized"]
    place: Id | None = None
    people: Count | None = None


class Notification(_Payload):
    """A party was notified of a movement. Its acknowledgement is a separate event and is never
    a clearance."""

    party: str
    about: Note


class Acknowledgement(_Payload):
    notification: UUID
    party: str


class AidDelivery(_Payload):
    place: Id
    tonnes: Annotated[float, Field(ge=0)] | None = None
    kind: str = "mixed"


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
]


class EventIn(BaseModel):
    """An event as a client submits it."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    type: EventType
    occurred_at: AwareDatetime
    corridor: Id
    status: Status = "unverified"
    source: Annotated[str, Field(max_length=200)] | None = None
    supersedes: UUID | None = None
    data: dict[str, Any]

    _payload: _Payload | None = PrivateAttr(default=None)

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
    from datetime import UTC

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
