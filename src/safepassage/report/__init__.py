"""Account: situation reports and exports the humanitarian world reads (CAP 1.2, HXL CSV),
made from the operations log's live and public state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from safepassage.ops.state import Projection, PublicProjection, StateSettings, parse_time
from safepassage.ops.store import EventStore


def live_states(
    store: EventStore,
    corridors: list[str] | None = None,
    now: datetime | None = None,
    settings: StateSettings | None = None,
) -> list[dict[str, Any]]:
    """The coordinators' state of each corridor (or of those named) at `now`: events said to
    happen after `now` are left out, so a report of a past moment shows what was known of it."""
    projection = Projection(settings)
    now = now or datetime.now(UTC)
    after = 0
    while page := store.read(after=after, limit=10_000):
        for event in page:
            if parse_time(event.occurred_at) <= now:
                projection.apply(event)
        after = page[-1].seq
    names = corridors if corridors else projection.corridor_ids()
    return [projection.corridor_state(name, now) for name in names]


def public_view(
    store: EventStore, now: datetime | None = None, settings: StateSettings | None = None
) -> dict[str, Any]:
    """The public view (aggregate, delayed by `settings.public_delay_min`) at `now`."""
    public = PublicProjection(settings)
    cutoff = public.advance(
        lambda after: store.read(after=after, limit=10_000), now or datetime.now(UTC)
    )
    return public.view(cutoff)
