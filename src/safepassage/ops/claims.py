"""The register of claims: every figure someone stated, with its full history, projected from
the log.

A claim is a `claim` event (a toll, a number evacuated, a queue...) or a `checkpoint_count`
(each of its numbers is a figure). Its verification comes from `claim_review` events, applied
in the order they happened whatever order they arrive in: `assign` puts it under review,
`confirm`, `dispute`, `deny` and `unverifiable` set its state (the latest wins; denials,
disputes and findings that it cannot be verified stay listed), and `duplicate_of` links it to
the claim it repeats, so that the two are one figure with two sources. Corrections
(`supersedes`) and retractions take a claim or a review back.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from safepassage.figures import Figure, Source, Span, Value, Verification
from safepassage.figures.figure import Basis, Kind, State, Unit
from safepassage.figures.when import timed
from safepassage.ops.store import StoredEvent

CLAIM_TYPES = ("claim", "checkpoint_count")
PENDING: tuple[State, ...] = ("reported", "unverified", "under_review")
#: Two claims are suggested as duplicates when their numbers differ by at most this share of
#: the larger (or by SIMILAR_ABS), and their times overlap or lie within SIMILAR_TIME.
SIMILAR_SHARE, SIMILAR_ABS, SIMILAR_TIME = 0.10, 5, timedelta(minutes=60)
FIELD_SOURCE = "field report"
#: How many of the latest new claims are listed for readers to add to what they have; a
#: reader further behind rebuilds.
MAX_ADDED = 10_000


def _key(e: StoredEvent) -> tuple[str, str]:
    return (e.occurred_at, e.id)


def _t(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def initial_status(e: StoredEvent) -> Verification:
    """A claim's state as entered: the event's status, read in the register's words. A
    `claim` never starts confirmed: its confirmation is a review, an event of its own."""
    if e.status == "confirmed" and e.type != "claim":
        return _ENTERED_CONFIRMED
    return _REPORTED if e.status == "claimed" else _UNVERIFIED


# Shared: a log holds millions of counts, and most keep the status they were entered with.
_ENTERED_CONFIRMED = Verification("confirmed", how="entered as confirmed by a coordinator")
_REPORTED = Verification("reported")
_UNVERIFIED = Verification("unverified")


@lru_cache(maxsize=65_536)
def _source(name: str, via: str | None, reporter: str | None) -> Source:
    return Source(name, None, via, reporter)


def _count_basis(e: StoredEvent) -> Basis:
    source = e.source or ""
    if "RECONSTRUCTION" in source.upper():
        return "reconstructed"
    if e.status == "claimed":
        return "claimed"
    if not e.source or _names_reporter(e):
        return "observed"  # our own field reporter's count
    return "reported"


def _names_reporter(e: StoredEvent) -> bool:
    """Whether a count's source text names the user who entered it (an SMS's "sms from X")."""
    return bool(e.source and e.reporter) and bool(
        re.search(rf"(?<![\w-]){re.escape(e.reporter)}(?![\w-])", e.source or "")
    )


def _count_source(e: StoredEvent) -> Source:
    """A count's source. A field report's source text that names its reporter (an SMS: "sms
    from NAME") becomes the field reports' source with the channel as `via`: the reporter
    stays with coordinators and never reaches a public output."""
    name = e.source or FIELD_SOURCE
    if _names_reporter(e):
        via = "SMS" if "sms" in name.lower() else None
        return _source(FIELD_SOURCE, via, e.reporter)
    return _source(name, None, e.reporter)


def base_figures(e: StoredEvent, zone: str) -> list[Figure]:
    """The figures one claim-bearing event states, before review (status as entered)."""
    status = initial_status(e)
    end = datetime.fromisoformat(e.occurred_at)
    d = e.data
    if e.type == "claim":
        if d["qualifier"] == "range":
            value = Value.between(d["low"], d["high"])
        else:
            value = {
                "exact": Value.exact,
                "about": Value.about,
                "at_least": Value.at_least,
                "as_many_as": Value.as_many_as,
            }[d["qualifier"]](d["value"])
        party = d.get("party")
        basis: Basis = d.get("basis", "reported")
        if party and basis in ("observed", "reported"):
            basis = "claimed"  # what a party to the conflict says is its claim
        return [
            Figure(
                kind=d["kind"],
                unit=d.get("unit", "people"),
                value=value,
                span=Span(d.get("span", "cumulative"), end, _t(d.get("since"))),
                source=Source(d["said_by"], party, d.get("via"), e.reporter),
                status=status,
                basis=basis,
                zone=zone,
                place=d.get("place"),
                method=d.get("method"),
                refs=(e.id,),
            )
        ]
    # A checkpoint count: each of its numbers is a figure at the checkpoint.
    source = _count_source(e)
    kind: Kind = "crossed" if d.get("direction", "out") == "out" else "arrived"
    span = Span("interval", end, _t(d.get("interval_start")))
    numbers: list[tuple[Kind, Unit, int, Span]] = [(kind, "vehicles", d.get("vehicles", 0), span)]
    if d.get("buses"):
        numbers.append((kind, "buses", d["buses"], span))
    if d.get("people") is not None:
        numbers.append((kind, "people", d["people"], span))
    if d.get("waiting") is not None:
        numbers.append(("waiting", "vehicles", d["waiting"], Span("stock", end)))
    basis = _count_basis(e)
    return [
        Figure(
            kind=k,
            unit=u,
            value=Value.exact(n),
            span=s,
            source=source,
            status=status,
            basis=basis,
            zone=zone,
            place=d["checkpoint"],
            refs=(e.id,),
        )
        for k, u, n, s in numbers
    ]


@dataclass
class _Review:
    state: Verification
    assigned_to: str | None = None


def _reviewed(start: Verification, reviews: list[StoredEvent]) -> _Review:
    """The state after the reviews, applied in the order they happened."""
    state, assigned = start, None
    denied: list[str] = list(start.denied_by)
    disputed: list[str] = list(start.disputed_by)
    unverifiable = start.unverifiable
    for r in sorted(reviews, key=_key):
        d, at = r.data, _t(r.occurred_at)
        action, by, how = d["action"], d["by"], d.get("how")
        if action == "assign":
            assigned = d["to"]
            if state.state in PENDING:
                state = Verification("under_review", by=d["to"], at=at)
        elif action == "confirm":
            state = Verification("confirmed", by=by, how=how, at=at)
        elif action == "dispute":
            disputed.append(by)
            state = Verification("disputed", by=by, how=how, at=at)
        elif action == "deny":
            denied.append(by)
            state = Verification("denied", by=by, how=how, at=at)
        elif action == "unverifiable":
            unverifiable = True
            state = Verification("unverifiable", by=by, how=how, at=at)
    final = replace(
        state,
        denied_by=tuple(dict.fromkeys(denied)),
        disputed_by=tuple(dict.fromkeys(disputed)),
        unverifiable=unverifiable,
    )
    return _Review(final, assigned)


@dataclass
class ClaimsRegister:
    """Claims and their reviews, by id; read with the methods below."""

    claims: dict[str, StoredEvent] = field(default_factory=dict)
    reviews: dict[str, StoredEvent] = field(default_factory=dict)
    voided: set[str] = field(default_factory=set)
    announcements: dict[str, StoredEvent] = field(default_factory=dict)
    version: int = 0  # bumped by every event applied (invalidates the cache)
    _cache: dict[str | None, tuple[int, list[Figure]]] = field(default_factory=dict)
    _base_cache: dict[str, tuple[str, list[Figure]]] = field(default_factory=dict)
    _pending: dict[str | None, tuple[int, int]] = field(default_factory=dict)
    _zones: dict[str, str] = field(default_factory=dict)  # cleared when announcements change
    # Claims added since the last change of another kind (a review, a void, an announcement,
    # a claim that reviews already name), with the version each made: what a reader that is
    # up to date as of `_other_change` may add to what it has instead of rebuilding.
    _added: list[tuple[int, str]] = field(default_factory=list)
    _other_change: int = 0
    _named: set[str] = field(default_factory=set)  # claims that reviews name

    def apply(self, e: StoredEvent) -> None:
        # The version moves only when the register changes, so that what is cached on it
        # (figures, the state's indexes and totals) survives other events.
        if e.supersedes:
            self.voided.add(e.supersedes)
            for kept in (self.claims, self.reviews, self.announcements):
                if kept.pop(e.supersedes, None) is not None:
                    self.version += 1
                    self._zones.clear()
                    self._changed()
            self._base_cache.pop(e.supersedes, None)
        if e.id in self.voided or e.type == "retraction":
            return
        if e.type == "checkpoint_count" and e.status == "held":
            return  # held for review: in no figure until a coordinator corrects it
        held = {
            "claim": self.claims,
            "checkpoint_count": self.claims,
            "claim_review": self.reviews,
            "corridor_announced": self.announcements,
        }.get(e.type)
        if held is not None:
            known = e.id in held
            held[e.id] = e
            self.version += 1
            if held is self.announcements:
                self._zones.clear()
            if held is self.reviews:
                self._named.update(str(e.data[k]) for k in ("claim", "of") if e.data.get(k))
            if held is not self.claims or known or e.id in self._named:
                self._changed()
            else:
                self._added.append((self.version, e.id))
                if len(self._added) > MAX_ADDED:
                    # Forget the older half: a reader that far behind rebuilds anyway.
                    cut = len(self._added) // 2
                    self._other_change = self._added[cut - 1][0]
                    del self._added[:cut]

    def _changed(self) -> None:
        self._other_change = self.version
        self._added.clear()

    def added_since(self, version: int) -> list[str] | None:
        """The claims added since `version` if nothing else changed since (a reader then
        adds their figures to what it has); None: rebuild."""
        if version < self._other_change:
            return None
        at = bisect_right(self._added, version, key=lambda a: a[0])
        return [cid for _, cid in self._added[at:]]

    def claim_figures(self, cid: str) -> list[Figure]:
        """The figures of a claim just added (no review names it): as entered."""
        return self._base(cid)

    # -- reading ------------------------------------------------------------------------
    def zone(self, corridor: str) -> str:
        """The corridor's zone: the `timezone` of its latest announcement, else UTC."""
        known = self._zones.get(corridor)
        if known is not None:
            return known
        latest = max(
            (a for a in self.announcements.values() if a.corridor == corridor),
            key=_key,
            default=None,
        )
        known = str(latest.data.get("timezone", "UTC")) if latest else "UTC"
        self._zones[corridor] = known
        return known

    def _reviews_of(self) -> dict[str, list[StoredEvent]]:
        out: dict[str, list[StoredEvent]] = defaultdict(list)
        for r in self.reviews.values():
            out[r.data["claim"]].append(r)
        return out

    def duplicate_links(self) -> dict[str, str]:
        """Each claim linked as a duplicate -> the claim it is one figure with (the root of
        its chain). Links are taken in the order they happened; one that would close a loop
        is ignored, so the result does not depend on arrival order."""
        parent: dict[str, str] = {}

        def root(c: str) -> str:
            while c in parent:
                c = parent[c]
            return c

        latest: dict[str, StoredEvent] = {}
        for r in self.reviews.values():
            if r.data["action"] == "duplicate_of" and r.data["claim"] in self.claims:
                old = latest.get(r.data["claim"])
                if old is None or _key(r) > _key(old):
                    latest[r.data["claim"]] = r
        for r in sorted(latest.values(), key=_key):
            child, target = r.data["claim"], r.data["of"]
            if target in self.claims and root(target) != child:
                parent[child] = target
        return {c: root(c) for c in parent}

    def status(self, claim_id: str) -> _Review:
        e = self.claims[claim_id]
        return _reviewed(initial_status(e), self._reviews_of().get(claim_id, []))

    def figures(self, corridor: str | None = None) -> list[Figure]:
        """Every figure of the register (or of one corridor) with its reviewed status; a
        duplicate adds its source to the figure it repeats instead of a figure of its own."""
        cached = self._cache.get(corridor)
        if cached is None or cached[0] != self.version:
            # In the order they happened (then by claim), whatever order they arrived in.
            ordered = sorted(
                self._figures(corridor), key=lambda f: (f.as_of, f.refs[:1], f.kind, f.unit)
            )
            cached = (self.version, ordered)
            self._cache[corridor] = cached
        return cached[1]

    def pending(self, corridor: str | None = None) -> int:
        """How many claims await review (not counting linked duplicates)."""
        cached = self._pending.get(corridor)
        added = None if cached is None else self.added_since(cached[0])
        if cached is not None and added is not None:
            new = (self.claims[c] for c in added)
            count = cached[1] + sum(
                1
                for e in new
                if (corridor is None or e.corridor == corridor)
                and self._base(e.id)
                and initial_status(e).state in PENDING
            )
            cached = (self.version, count)
            self._pending[corridor] = cached
        if cached is None or cached[0] != self.version:
            count = len({f.refs[0] for f in self.figures(corridor) if f.status.state in PENDING})
            cached = (self.version, count)
            self._pending[corridor] = cached
        return cached[1]

    def _base(self, cid: str) -> list[Figure]:
        """A claim's figures as entered, made once (the zone is part of the cache key)."""
        e = self.claims[cid]
        zone = self.zone(e.corridor)
        cached = self._base_cache.get(cid)
        if cached is None or cached[0] != zone:
            cached = (zone, base_figures(e, zone))
            self._base_cache[cid] = cached
        return cached[1]

    def _figures(self, corridor: str | None) -> list[Figure]:
        links = self.duplicate_links()
        reviews = self._reviews_of()
        also: dict[str, list[str]] = defaultdict(list)
        for child, root in links.items():
            also[root].append(child)
        out = []
        for cid, e in self.claims.items():  # insertion order; callers sort as they need
            if cid in links or (corridor is not None and e.corridor != corridor):
                continue
            base = self._base(cid)
            if cid not in reviews and cid not in also:
                out.extend(base)  # as entered: nothing to change
                continue
            state = _reviewed(initial_status(e), reviews.get(cid, [])).state
            extra = sorted(also.get(cid, []), key=lambda c: _key(self.claims[c]))
            sources = [self._base(c)[0].source for c in extra]
            for f in base:
                out.append(
                    replace(
                        f,
                        status=state,
                        also=tuple(dict.fromkeys(s for s in sources if s != f.source)),
                        refs=(cid, *extra),
                    )
                )
        return out

    def queue(self, corridor: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Claims awaiting review (reported, unverified or under review; not linked as a
        duplicate), oldest first (at most `limit`), each with who it is assigned to and
        likely duplicates."""
        links = self.duplicate_links()
        reviews = self._reviews_of()
        out: list[dict[str, Any]] = []
        for cid, e in sorted(self.claims.items(), key=lambda kv: _key(kv[1])):
            if cid in links or (corridor is not None and e.corridor != corridor):
                continue
            review = _reviewed(initial_status(e), reviews.get(cid, []))
            if review.state.state not in PENDING:
                continue
            if len(out) >= limit:
                break
            zone = self.zone(e.corridor)
            out.append(
                {
                    "claim": cid,
                    "corridor": e.corridor,
                    "state": review.state.state,
                    "assigned_to": review.assigned_to,
                    "figures": [f.text() for f in base_figures(e, zone)],
                    "entered": timed(e.recorded_at, zone),
                    "suggested_duplicates": self.suggestions(cid, links),
                }
            )
        return out

    def suggestions(
        self, claim_id: str, links: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Claims that may state the same figure: same kind, unit and place, overlapping or
        close in time, similar numbers; not already linked to it."""
        e = self.claims[claim_id]
        links = self.duplicate_links() if links is None else links
        mine = base_figures(e, "UTC")
        out = []
        for oid, other in sorted(self.claims.items(), key=lambda kv: _key(kv[1])):
            if other.corridor != e.corridor or links.get(oid, oid) == links.get(claim_id, claim_id):
                continue
            reasons = _similar(mine, base_figures(other, "UTC"))
            if reasons:
                out.append({"claim": oid, "why": reasons})
        return out

    def record(self, claim_id: str) -> dict[str, Any] | None:
        """Everything about one claim: its figures, status, full history, duplicates."""
        e = self.claims.get(claim_id)
        if e is None:
            return None
        zone = self.zone(e.corridor)
        links = self.duplicate_links()
        review = self.status(claim_id)
        history = [
            {
                "event": e.id,
                "action": "entered",
                "by": e.reporter,
                "said_by": e.data.get("said_by") or e.source,
                "at": timed(e.occurred_at, zone),
                "recorded": timed(e.recorded_at, zone),
            }
        ]
        for r in sorted(self._reviews_of().get(claim_id, []), key=_key):
            history.append(
                {
                    "event": r.id,
                    "action": r.data["action"],
                    "by": r.data["by"],
                    "party": r.data.get("party"),
                    "to": r.data.get("to"),
                    "of": r.data.get("of"),
                    "how": r.data.get("how"),
                    "recorded_by": r.reporter,
                    "at": timed(r.occurred_at, zone),
                    "recorded": timed(r.recorded_at, zone),
                }
            )
        root = links.get(claim_id)
        figures = [f for f in self.figures(e.corridor) if claim_id in f.refs]
        return {
            "claim": claim_id,
            "corridor": e.corridor,
            "type": e.type,
            "status": review.state.as_json(zone),
            "assigned_to": review.assigned_to,
            "duplicate_of": root,
            "duplicates": sorted(c for c, r in links.items() if r == claim_id),
            "figures": [f.as_json() for f in figures],
            "history": history,
            "suggested_duplicates": self.suggestions(claim_id) if root is None else [],
        }


def _similar(a: list[Figure], b: list[Figure]) -> list[str]:
    """Why figures of two claims may be the same (empty: they are not alike)."""
    for fa in a:
        for fb in b:
            if (fa.kind, fa.unit, fa.place) != (fb.kind, fb.unit, fb.place) or fa.place is None:
                continue
            if fa.span.overlaps(fb.span):
                when = "overlapping intervals"
            elif abs(fa.as_of - fb.as_of) <= SIMILAR_TIME:
                when = f"reported within {SIMILAR_TIME.total_seconds() / 60:g} min"
            else:
                continue
            na, nb = fa.value.high or fa.value.low or 0, fb.value.high or fb.value.low or 0
            if abs(na - nb) <= max(SIMILAR_ABS, SIMILAR_SHARE * max(na, nb)):
                return [f"same {fa.unit} {fa.kind} at {fa.place}", when, f"{na:,} and {nb:,}"]
    return []
