"""Small helpers for outputs people read. Times are written by `safepassage.figures.when`."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def window_ended(window: dict[str, Any] | None, as_of: datetime) -> datetime | None:
    """When the window ended, if it has by `as_of`; None while it lasts (or if none)."""
    if not window or not window.get("end"):
        return None
    end = datetime.fromisoformat(window["end"])
    return end if end <= as_of else None
