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

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from safepassage.figures import Figure, Verification
from safepassage.figures.figure import State
from safepassage.figures.when import timed
from safepassage.ops.claim_figures import (
    FIELD_SOURCE,
    base_figures,
    initial_status,
    time_or_none,
)
from safepassage.ops.store import StoredEvent

__all__ = ["FIELD_SOURCE", "ClaimsRegister", "base_figures", "initial_status"]

CLAIM_TYPES = ("claim", "checkpoint_count")
PENDING: tuple[State, ...] = ("reported", "unverified", "under_review")
#: Two claims are suggested as duplicates when their numbers differ by at most this share of
#: the larger (or by SIMILAR_ABS), and their times overlap or lie within SIMILAR_TIME.
SIMILAR_SHARE, SIMILAR_ABS, SIMILAR_TIME = 0.10, 5, timedelta(minutes=60)
#: How many of the latest changes (claims added, reviewed, withdrawn) are listed for readers
#: to apply to what they have; a reader further behind rebuilds.
MAX_ADDED = 10_000


def _key(e: StoredEvent) -> tuple[str, str]:
    return (e.occurred_at, e.id)


def _pending(figures: list[Figure]) -> int:
    """1 if the figures shown of a claim await review (all of a claim share one status)."""
    return 1 if figures and figures[0].status.state in PENDING else 0


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
        d, at = r.data, time_or_none(r.occurred_at)
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


Changed = dict[str, tuple[str, tuple[Figure, ...]]]  # claim -> (corridor, figures before)


@dataclass
class ClaimsRegister:
    """Claims and their reviews, by id; read with the methods below.

    Each change (a claim, a review, a correction, a retraction) lists the claims whose
    figures it changed, with the figures they had before, so that readers (the live state)
    take back the old figures and add the new instead of rebuilding: a review costs the
    figures of the claims it touches, not the log."""

    claims: dict[str, StoredEvent] = field(default_factory=dict)
    reviews: dict[str, StoredEvent] = field(default_factory=dict)
    voided: set[str] = field(default_factory=set)
    announcements: dict[str, StoredEvent] = field(default_factory=dict)
    version: int = 0  # bumped by every change of the register (invalidates the caches)
    _cache: dict[str | None, tuple[int, list[Figure]]] = field(default_factory=dict)
    _base_cache: dict[str, tuple[str, list[Figure]]] = field(default_factory=dict)
    _zones: dict[str, str] = field(default_factory=dict)  # cleared when announcements change
    _by_claim: dict[str, dict[str, StoredEvent]] = field(default_factory=dict)  # reviews
    _links: dict[str, str] | None = None  # `duplicate_links`, kept until a link may change
    _children: dict[str, list[str]] = field(default_factory=dict)  # root -> its duplicates
    # The figures shown of the claims whose figures are not as entered (reviewed, linked);
    # [] for a claim linked as a duplicate of another.
    _shown: dict[str, list[Figure]] = field(default_factory=dict)
    _pending: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # The latest changes (version, claims changed with their figures before) and the version
    # before which they are forgotten (a reader that far behind rebuilds).
    _changes: list[tuple[int, str, str, tuple[Figure, ...]]] = field(default_factory=list)
    _horizon: int = 0
    _named: set[str] = field(default_factory=set)  # claims that reviews name (ever)
    # Per corridor and place, the claims there by the end of their time (for suggestions),
    # and the longest time one of them covers; made when first asked for (a rebuild of the
    # state never needs it), then kept.
    _at_place: dict[tuple[str, str], list[tuple[datetime, str]]] | None = None
    _longest: dict[tuple[str, str], timedelta] = field(default_factory=dict)
    # Every claim by the time it happened (then id), for the queue; made when first asked
    # for, then kept as claims come and go.
    _order: list[tuple[str, str]] | None = None

    def apply(self, e: StoredEvent) -> None:
        # The version moves only when the register changes, so that what is cached on it
        # (figures, the state's indexes and totals) survives other events.
        if e.supersedes:
            self.voided.add(e.supersedes)
            self._take_back(e.supersedes)
        if e.id in self.voided or e.type == "retraction":
            return
        if e.type == "checkpoint_count" and e.status == "held":
            return  # held for review: in no figure until a coordinator corrects it
        if e.type in CLAIM_TYPES:
            if e.id in self.claims or e.id in self._named:
                self._mutate({e.id}, True, lambda: self._put_claim(e))
            else:
                self._add_claim(e)
        elif e.type == "claim_review":
            cid = str(e.data["claim"])
            links = e.data["action"] == "duplicate_of" or e.id in self.reviews
            self._mutate({cid}, links, lambda: self._add_review(e))
        elif e.type == "corridor_announced":
            self._announce(e, lambda: self.announcements.__setitem__(e.id, e))

    def _add_claim(self, e: StoredEvent) -> None:
        """A claim no review names (the common case, a new count): it shows its figures as
        entered, made only when read."""
        self.claims[e.id] = e
        self._track(e, 1)
        self.version += 1
        self._pending[e.corridor] += 1 if initial_status(e).state in PENDING else 0
        self._record(e.id, e.corridor, ())

    def _put_claim(self, e: StoredEvent) -> None:
        old = self.claims.get(e.id)
        if old is not None:
            self._track(old, -1)
        self.claims[e.id] = e
        self._track(e, 1)

    def _places(self) -> dict[tuple[str, str], list[tuple[datetime, str]]]:
        if self._at_place is None:
            self._at_place = {}
            for e in self.claims.values():
                self._index(e, 1)
        return self._at_place

    def _ordered(self) -> list[tuple[str, str]]:
        if self._order is None:
            self._order = sorted(_key(e) for e in self.claims.values())
        return self._order

    def _track(self, e: StoredEvent, sign: int) -> None:
        """Add (+1) or drop (-1) a claim in the indexes kept once made (by place, by time)."""
        self._index(e, sign)
        if self._order is None:
            return
        if sign > 0:
            insort(self._order, _key(e))  # near the end: claims arrive about in time order
        else:
            at = bisect_left(self._order, _key(e))
            if at < len(self._order) and self._order[at] == _key(e):
                del self._order[at]

    def _index(self, e: StoredEvent, sign: int) -> None:
        """Add (+1) or drop (-1) a claim in the index of claims by place and time."""
        place = e.data.get("checkpoint") if e.type == "checkpoint_count" else e.data.get("place")
        if not place or self._at_place is None:
            return
        end = datetime.fromisoformat(e.occurred_at)
        where = (e.corridor, str(place))
        kept = self._at_place.setdefault(where, [])
        if sign > 0:
            insort(kept, (end, e.id))
            start = time_or_none(e.data.get("interval_start") or e.data.get("since"))
            if start is not None:
                self._longest[where] = max(self._longest.get(where, timedelta(0)), end - start)
        else:
            at = bisect_left(kept, (end, e.id))
            if at < len(kept) and kept[at] == (end, e.id):
                del kept[at]

    def _take_back(self, target: str) -> None:
        """Undo what `target` contributed (a claim, a review or an announcement)."""
        self._base_cache.pop(target, None)
        if target in self.claims:
            self._mutate({target}, True, lambda: self._track(self.claims.pop(target), -1))
        elif target in self.reviews:
            r = self.reviews[target]
            self._mutate({str(r.data["claim"])}, True, lambda: self._drop_review(r))
        elif target in self.announcements:
            self._announce(self.announcements[target], lambda: self.announcements.pop(target))

    def _add_review(self, r: StoredEvent) -> None:
        self.reviews[r.id] = r
        self._named.update(str(r.data[k]) for k in ("claim", "of") if r.data.get(k))
        self._by_claim.setdefault(str(r.data["claim"]), {})[r.id] = r

    def _drop_review(self, r: StoredEvent) -> None:
        del self.reviews[r.id]
        self._by_claim.get(str(r.data["claim"]), {}).pop(r.id, None)

    def _announce(self, e: StoredEvent, change: Callable[[], object]) -> None:
        """An announcement may change its corridor's zone, which every figure carries."""
        before = self.zone(e.corridor)
        change()
        self.version += 1
        self._zones.clear()
        if self.zone(e.corridor) != before:
            for cid in [c for c in self._shown if self.claims[c].corridor == e.corridor]:
                self._shown[cid] = self._current(cid)
            self._forget_changes()

    def _mutate(self, hint: set[str], links: bool, change: Callable[[], object]) -> None:
        """Make `change`, then record the claims whose figures it changed (those of `hint`,
        and where `links` may have moved, every claim whose duplicate link moved and both
        its roots) with their figures before."""
        before_links = self.duplicate_links() if links else {}
        old = {c: self.shown(c) for c in hint}
        corridors = {c: self.claims[c].corridor for c in hint if c in self.claims}
        change()
        self.version += 1
        affected = set(hint)
        if links:
            self._links = None
            after = self.duplicate_links()
            for c in before_links.keys() | after.keys():
                if before_links.get(c) != after.get(c):
                    affected |= {c, before_links.get(c, c), after.get(c, c)}
        for c in affected - old.keys():
            old[c] = self.shown(c)  # not yet updated: what it showed before
        for c in affected:
            if c in self.claims:
                corridors.setdefault(c, self.claims[c].corridor)
        changed: Changed = {}
        for c, before in old.items():
            if c not in corridors:
                continue  # a review of a claim not (yet) in the log
            now = self._current(c) if c in self.claims else []
            if c not in self.claims or now is self._base(c):
                self._shown.pop(c, None)
            else:
                self._shown[c] = now
            self._pending[corridors[c]] += _pending(now) - _pending(before)
            if now != before:
                changed[c] = (corridors[c], tuple(before))
        for c, (corridor, shown_before) in changed.items():
            self._record(c, corridor, shown_before)

    def _record(self, cid: str, corridor: str, before: tuple[Figure, ...]) -> None:
        # Flat tuples: a log of millions of claims makes no container per claim here.
        self._changes.append((self.version, cid, corridor, before))
        if len(self._changes) > MAX_ADDED:
            cut = len(self._changes) // 2  # forget the older half
            self._horizon = self._changes[cut - 1][0]
            del self._changes[:cut]

    def _forget_changes(self) -> None:
        self._horizon = self.version
        self._changes.clear()

    def changed_since(self, version: int) -> Changed | None:
        """The claims whose figures changed since `version`, each with its corridor and the
        figures it showed then (a reader takes those back and adds `shown`); None: rebuild."""
        if version < self._horizon:
            return None
        out: Changed = {}
        at = bisect_right(self._changes, version, key=lambda a: a[0])
        for _, c, corridor, before in self._changes[at:]:
            out.setdefault(c, (corridor, before))
        return out

    def shown(self, cid: str) -> list[Figure]:
        """The figures a claim adds to the register now ([] for a linked duplicate)."""
        if cid not in self.claims:
            return []
        known = self._shown.get(cid)
        return self._base(cid) if known is None else known

    def _current(self, cid: str) -> list[Figure]:
        """A claim's figures, computed afresh: as entered (the same list) when no review
        names it and no duplicate is linked to it; else with its reviewed status and the
        sources of its duplicates."""
        links = self.duplicate_links()
        if cid in links:
            return []
        base = self._base(cid)
        reviews = self._by_claim.get(cid)
        extra = self._children.get(cid)
        if not reviews and not extra:
            return base
        state = _reviewed(initial_status(self.claims[cid]), list((reviews or {}).values())).state
        ordered = sorted(extra or [], key=lambda c: _key(self.claims[c]))
        sources = [self._base(c)[0].source for c in ordered]
        return [
            replace(
                f,
                status=state,
                also=tuple(dict.fromkeys(s for s in sources if s != f.source)),
                refs=(cid, *ordered),
            )
            for f in base
        ]

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

    def duplicate_links(self) -> dict[str, str]:
        """Each claim linked as a duplicate -> the claim it is one figure with (the root of
        its chain). Links are taken in the order they happened; one that would close a loop
        is ignored, so the result does not depend on arrival order. Kept until a change that
        may move a link."""
        if self._links is not None:
            return self._links
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
        self._links = {c: root(c) for c in parent}
        self._children = defaultdict(list)
        for child, top in self._links.items():
            self._children[top].append(child)
        return self._links

    def status(self, claim_id: str) -> _Review:
        e = self.claims[claim_id]
        return _reviewed(initial_status(e), list(self._by_claim.get(claim_id, {}).values()))

    def figures(self, corridor: str | None = None) -> list[Figure]:
        """Every figure of the register (or of one corridor) with its reviewed status; a
        duplicate adds its source to the figure it repeats instead of a figure of its own."""
        cached = self._cache.get(corridor)
        if cached is None or cached[0] != self.version:
            # In the order they happened (then by claim), whatever order they arrived in.
            ordered = sorted(
                (
                    f
                    for cid, e in self.claims.items()
                    if corridor is None or e.corridor == corridor
                    for f in self.shown(cid)
                ),
                key=lambda f: (f.as_of, f.refs[:1], f.kind, f.unit),
            )
            cached = (self.version, ordered)
            self._cache[corridor] = cached
        return cached[1]

    def pending(self, corridor: str | None = None) -> int:
        """How many claims await review (not counting linked duplicates)."""
        if corridor is None:
            return sum(self._pending.values())
        return self._pending.get(corridor, 0)

    def _base(self, cid: str) -> list[Figure]:
        """A claim's figures as entered, made once (the zone is part of the cache key)."""
        e = self.claims[cid]
        zone = self.zone(e.corridor)
        cached = self._base_cache.get(cid)
        if cached is None or cached[0] != zone:
            cached = (zone, base_figures(e, zone))
            self._base_cache[cid] = cached
        return cached[1]

    def queue(self, corridor: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Claims awaiting review (reported, unverified or under review; not linked as a
        duplicate), oldest first (at most `limit`), each with who it is assigned to and
        likely duplicates."""
        links = self.duplicate_links()
        out: list[dict[str, Any]] = []
        for _, cid in self._ordered():
            e = self.claims[cid]
            if cid in links or (corridor is not None and e.corridor != corridor):
                continue
            reviews = self._by_claim.get(cid)
            if not reviews and initial_status(e).state not in PENDING:
                continue  # entered as decided, never reviewed: not waiting
            review = _reviewed(initial_status(e), list((reviews or {}).values()))
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
        mine = self._base(claim_id)
        place = e.data.get("checkpoint") if e.type == "checkpoint_count" else e.data.get("place")
        where = (e.corridor, str(place))
        if not place or where not in self._places():
            return []  # `_similar` needs one place
        # Only claims at the place whose time can overlap this one's or lie within
        # SIMILAR_TIME of it: ending after this one starts (less SIMILAR_TIME), and before
        # it ends plus the longest time a claim there covers (or SIMILAR_TIME).
        end = datetime.fromisoformat(e.occurred_at)
        start = time_or_none(e.data.get("interval_start") or e.data.get("since")) or end
        low = min(start, end) - SIMILAR_TIME
        high = end + max(self._longest.get(where, timedelta(0)), SIMILAR_TIME)
        kept = self._places()[where]
        near = kept[bisect_left(kept, (low, "")) : bisect_right(kept, (high, "\uffff"))]
        out = []
        mine_root = links.get(claim_id, claim_id)
        for _, oid in sorted(near, key=lambda n: _key(self.claims[n[1]])):
            if oid == claim_id or links.get(oid, oid) == mine_root:
                continue
            reasons = _similar(mine, self._base(oid))
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
        for r in sorted(self._by_claim.get(claim_id, {}).values(), key=_key):
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
        figures = self.shown(root or claim_id)
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
