"""The event log on SQLite and on a real PostgreSQL server: append-only, idempotent,
hash-chained, safe with concurrent writers; state independent of arrival order."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from safepassage.ops.events import validate_event
from safepassage.ops.schema import events
from safepassage.ops.state import Projection
from safepassage.ops.store import EventStore
from tests.ops.conftest import count_event


def test_duplicates_store_once_and_conflicts_are_refused(store: EventStore) -> None:
    a, b = count_event(10), count_event(20)
    first = store.append([a, b], "reporter-1")
    assert [r.outcome for r in first] == ["stored", "stored"] and [r.seq for r in first] == [1, 2]
    again = store.append([b, a, a], "reporter-1")
    assert [r.outcome for r in again] == ["duplicate"] * 3 and [r.seq for r in again] == [2, 1, 1]
    changed = validate_event(
        {**a.model_dump(mode="json"), "data": {"checkpoint": "cp04-manhush", "vehicles": 11}}
    )
    (conflict,) = store.append([changed], "reporter-1")
    assert conflict.outcome == "conflict" and "supersedes" in conflict.message
    assert store.head() == 2
    stored = store.read()
    assert stored[0].data["vehicles"] == 10 and stored[0].reporter == "reporter-1"
    assert store.verify().ok and store.verify().checked == 2


def test_verify_detects_any_change_to_history(store: EventStore) -> None:
    store.append([count_event(v) for v in range(1, 6)], "r")
    assert store.verify().ok
    with store.engine.begin() as conn:
        conn.execute(
            events.update()
            .where(events.c.seq == 3)
            .values(data='{"checkpoint":"cp04-manhush","people":4,"vehicles":999}')
        )
    bad = store.verify()
    assert not bad.ok and bad.first_bad_seq == 3 and bad.checked == 2
    with store.engine.begin() as conn:  # even with a recomputed content hash, the chain breaks
        row = conn.execute(sa.select(events).where(events.c.seq == 3)).one()._mapping
        from safepassage.ops.events import canonical, digest

        content = {
            k: row[k]
            for k in ("id", "type", "occurred_at", "corridor", "status", "source", "supersedes")
        }
        import json

        content["data"] = json.loads(row["data"])
        conn.execute(
            events.update().where(events.c.seq == 3).values(content_hash=digest(canonical(content)))
        )
    assert "hash does not match" in store.verify().reason
    with store.engine.begin() as conn:
        conn.execute(events.delete().where(events.c.seq >= 3))
        conn.execute(events.delete().where(events.c.seq == 1))
    assert not store.verify().ok  # a removed event shows too


def test_concurrent_writers_keep_one_chain(store: EventStore) -> None:
    def write(n: int) -> None:
        for i in range(25):
            store.append([count_event(i), count_event(i + 1)], f"writer-{n}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.head() == 200
    result = store.verify()
    assert result.ok and result.checked == 200
    seqs = [e.seq for e in store.read(limit=1000)]
    assert seqs == list(range(1, 201))


def test_a_second_process_style_store_shares_the_log(store: EventStore) -> None:
    other = EventStore(store.url)  # another server process on the same database
    store.append([count_event(1)], "a")
    other.append([count_event(2)], "b")
    assert store.head() == other.head() == 2 and store.verify().ok
    other.close()


def _mixed_events() -> list:
    base = [
        count_event(
            v,
            at=f"2022-03-15T{10 + v % 8:02d}:{v % 60:02d}:00+02:00",
            status=random.choice(["confirmed", "claimed"]),
        )
        for v in range(40)
    ]
    status = [
        validate_event(
            {
                "id": f"00000000-0000-4000-8000-00000000000{i}",
                "type": "corridor_status",
                "occurred_at": at,
                "corridor": "mariupol",
                "status": st,
                "data": {"status": s, "said_by": "city council"},
            }
        )
        for i, (at, s, st) in enumerate(
            [
                ("2022-03-15T09:00:00+02:00", "open", "confirmed"),
                ("2022-03-15T15:00:00+02:00", "suspended", "claimed"),
            ]
        )
    ]
    wrong = base[5]
    fix = validate_event(
        {
            **wrong.model_dump(mode="json"),
            "id": "00000000-0000-4000-8000-0000000000ff",
            "supersedes": str(wrong.id),
            "data": {"checkpoint": "cp04-manhush", "vehicles": 1},
        }
    )
    return [*base, *status, fix]


def test_out_of_order_arrival_gives_the_same_state(store: EventStore, tmp_path) -> None:
    random.seed(3)
    batch = _mixed_events()
    in_order = EventStore(str(tmp_path / "in-order.db"))
    in_order.append(batch, "r")
    shuffled = batch[:]
    random.shuffle(shuffled)  # the correction may now arrive before what it corrects
    for i in range(0, len(shuffled), 7):
        store.append(shuffled[i : i + 7], "r")
    now = datetime(2022, 3, 15, 16, 0, tzinfo=UTC)

    def state(s: EventStore) -> dict:
        p = Projection()
        for e in s.read(limit=10_000):
            p.apply(e)
        return p.corridor_state("mariupol", now)

    a, b = state(in_order), state(store)
    a.pop("events_applied"), b.pop("events_applied")
    assert a == b
    cp = a["checkpoints"]["cp04-manhush"]["out"]
    total = sum(v for v in range(40)) - 5 + 1  # the correction replaced 5 vehicles by 1
    assert cp["confirmed"]["vehicles"] + cp["unconfirmed"]["vehicles"] == total
    assert a["status"]["status"] == "suspended" and a["last_confirmed_status"]["status"] == "open"


def test_migrations_build_exactly_the_schema_the_code_uses(store: EventStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from safepassage.ops.schema import metadata

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_public_projection_waits_for_events_said_to_happen_later(store: EventStore) -> None:
    from datetime import timedelta

    from safepassage.ops.state import PublicProjection, StateSettings

    now = datetime.now(UTC)
    store.append([count_event(7, at=(now + timedelta(hours=3)).isoformat())], "r")
    store.append([count_event(5, at=(now - timedelta(days=1)).isoformat())], "r")
    public = PublicProjection(StateSettings(public_delay_min=60))

    def read(after: int) -> list:
        return store.read(after=after)

    def vehicles(at: datetime) -> int:
        view = public.view(public.advance(read, at))
        return sum(c["out"]["unconfirmed"]["vehicles"] for c in view["corridors"])

    assert vehicles(now) == 0  # recorded less than an hour ago
    assert vehicles(now + timedelta(hours=2)) == 5  # the other one is said to happen later
    assert vehicles(now + timedelta(hours=5)) == 12


def test_queue_estimate_is_the_last_seen_queue_less_what_left_since() -> None:
    from safepassage.ops.store import StoredEvent

    def stored(seq: int, at: str, vehicles: int, waiting: int | None = None) -> StoredEvent:
        data = {
            "checkpoint": "cp01",
            "vehicles": vehicles,
            **({"waiting": waiting} if waiting is not None else {}),
        }
        return StoredEvent(
            seq,
            f"id-{seq}",
            "checkpoint_count",
            "c",
            at,
            at,
            "r",
            "unverified",
            None,
            None,
            data,
            "h",
        )

    p = Projection()
    p.apply(stored(1, "2022-03-15T10:00:00+00:00", 10, waiting=100))
    p.apply(stored(2, "2022-03-15T10:30:00+00:00", 30))
    p.apply(stored(3, "2022-03-15T11:00:00+00:00", 25))
    state = p.corridor_state("c", datetime(2022, 3, 15, 11, 10, tzinfo=UTC))
    estimate = state["checkpoints"]["cp01"]["queue_estimate"]
    assert estimate["vehicles"] == 45 and estimate["seen"] == 100  # 100 - 30 - 25
    # 55 vehicles out in the last hour: 45 waiting take at least 49 minutes at that pace.
    assert state["checkpoints"]["cp01"]["wait_estimate"]["minutes"] == 49
    p.apply(stored(4, "2022-03-15T11:05:00+00:00", 80))
    assert (
        p.corridor_state("c", datetime(2022, 3, 15, 11, 10, tzinfo=UTC))["checkpoints"]["cp01"][
            "queue_estimate"
        ]["vehicles"]
        == 0
    )
