"""A stored event made directly (no store), for tests that feed a projection by hand."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from safepassage.ops.store import StoredEvent


def stored_event(seq: int, raw: dict[str, Any], recorded_at: datetime) -> StoredEvent:
    """`raw` (id, type, occurred_at and data; status, source and supersedes optional) as the
    store would give it back at `seq`, in corridor "c" from reporter "r"; its data copied, so
    that each arrival of the same raw event gets its own."""
    return StoredEvent(
        seq=seq,
        id=raw["id"],
        type=raw["type"],
        corridor="c",
        occurred_at=raw["occurred_at"],
        recorded_at=recorded_at.isoformat(),
        reporter="r",
        status=raw.get("status", "unverified"),
        source=raw.get("source"),
        supersedes=raw.get("supersedes"),
        data=json.loads(json.dumps(raw["data"])),
        hash="",
    )
