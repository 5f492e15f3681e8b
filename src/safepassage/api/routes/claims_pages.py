"""The register of claims in HTML: the review queue (`/claims/{corridor}`) and a claim's page
(`/claims/{corridor}/{claim}`).

The pages themselves carry no data (anyone may load them): their script asks, with the
reader's token, for the server-rendered body (`.../queue.html`, `.../page.html`, Jinja2,
escaped), and writes reviews as `claim_review` events through `POST /api/v1/events`, so
every step is in the log as with the JSON API. Places are named as the served scenarios
name them, never by id.
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as FastApiPath
from fastapi.responses import HTMLResponse

from safepassage.api.deps import ID_PATTERN, Reader, Svc
from safepassage.figures import Figure
from safepassage.figures.figure import BASIS_WORDS, STATE_WORDS
from safepassage.figures.when import timed
from safepassage.model.names import display_name, readable_id
from safepassage.model.scenario import Scenario
from safepassage.ops.claims import ClaimsRegister, base_figures
from safepassage.web.assets import render

CorridorPath = Annotated[str, FastApiPath(pattern=ID_PATTERN, max_length=64)]
ClaimPath = Annotated[str, FastApiPath(pattern=r"^[0-9a-fA-F-]{36}$")]
LangQuery = Annotated[str, Query(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=12)]

#: Only this server; no inline script or style; nothing sent by forms (the script posts).
CLAIMS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PARTY_WORDS: dict[bool | None, str] = {
    True: "a party to the conflict",
    False: "not a party to the conflict",
    None: "not known whether a party to the conflict",
}
SPAN_WORDS = {
    "interval": "counted over an interval",
    "cumulative": "a running total to date",
    "stock": "a level at one moment",
}
Namer = Callable[[str | None], str | None]


def _shown(f: Figure, name: Namer) -> dict[str, Any]:
    """A figure as the pages show it: every part in words, its place by name."""
    named = replace(f, place=name(f.place))
    return {
        "text": named.text(),
        "value": f.value.text(),
        "qualifier": f.value.qualifier,
        "what": named.what(),
        "span": SPAN_WORDS[f.span.kind],
        "when": f.span.text(f.zone),
        "as_of": timed(f.as_of, f.zone),
        "source": f.source,
        "party": PARTY_WORDS[f.source.party],
        "also": f.also,
        "basis": BASIS_WORDS[f.basis],
        "method": f.method,
        "status": f.status.text(),
        "state": f.status.state,
    }


def _queue_rows(register: ClaimsRegister, corridor: str, name: Namer) -> list[dict[str, Any]]:
    rows = []
    for item in register.queue(corridor):
        e = register.claims[item["claim"]]
        zone = register.zone(corridor)
        suggested = []
        for s in item["suggested_duplicates"]:
            other = register.claims[s["claim"]]
            suggested.append(
                {
                    "claim": s["claim"],
                    "why": s["why"][1:],  # the first reason names the place by id
                    "figures": [
                        _shown(f, name) for f in base_figures(other, register.zone(corridor))
                    ],
                }
            )
        rows.append(
            {
                **item,
                "state_words": STATE_WORDS[item["state"]],
                "figures": [_shown(f, name) for f in base_figures(e, zone)],
                "suggested": suggested,
            }
        )
    return rows


def _page(register: ClaimsRegister, corridor: str, claim: str, name: Namer) -> dict[str, Any]:
    record = register.record(claim.lower())
    if record is None or record["corridor"] != corridor:
        raise HTTPException(404, f"no claim {claim!r} in corridor {corridor!r}")
    cid = record["claim"]
    e = register.claims[cid]
    zone = register.zone(corridor)
    figures = register.shown(record["duplicate_of"] or cid)  # the figure it is part of
    return {
        "record": record,
        "entered_by": e.reporter,
        "entered": timed(e.recorded_at, zone),
        "as_stated": [_shown(f, name) for f in base_figures(e, zone)],
        "figures": [_shown(f, name) for f in figures],
        "state_words": STATE_WORDS[record["status"]["state"]],
        "note": e.data.get("note"),
    }


def claims_pages(scenarios: list[Scenario]) -> APIRouter:
    """The queue and a claim's page (shells, anyone) and their bodies (readers)."""
    router = APIRouter()
    places = {p.id: p for s in scenarios for p in s.places().values()}

    def namer(lang: str) -> Namer:
        def name(place: str | None) -> str | None:
            if place is None:
                return None
            known = places.get(place)
            return display_name(known, lang) if known else readable_id(place)

        return name

    def shell(corridor: str, claim: str | None) -> HTMLResponse:
        page = render("claims/shell.html.j2", lang="en", corridor=corridor, claim=claim)
        return HTMLResponse(
            page, headers={"Content-Security-Policy": CLAIMS_CSP, "Cache-Control": "no-cache"}
        )

    @router.get("/claims/{corridor}", response_class=HTMLResponse, include_in_schema=False)
    def get_queue_page(corridor: CorridorPath) -> HTMLResponse:
        """The review queue (the page is public; its body needs a reader's token)."""
        return shell(corridor, None)

    @router.get("/claims/{corridor}/{claim}", response_class=HTMLResponse, include_in_schema=False)
    def get_claim_shell(corridor: CorridorPath, claim: ClaimPath) -> HTMLResponse:
        """A claim's page (the page is public; its body needs a reader's token)."""
        return shell(corridor, claim.lower())

    @router.get("/api/v1/claims/{corridor}/queue.html", response_class=HTMLResponse)
    def get_queue_body(
        corridor: CorridorPath, user: Reader, svc: Svc, lang: LangQuery = "en"
    ) -> HTMLResponse:
        """The review queue's body: what awaits review, oldest first, with likely duplicates."""
        register = svc.live.refresh().register
        rows = _queue_rows(register, corridor, namer(lang))
        body = render(
            "claims/queue.html.j2",
            corridor=corridor,
            rows=rows,
            pending=register.pending(corridor),
            reviewer=user.name,
        )
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})

    @router.get("/api/v1/claims/{corridor}/{claim}/page.html", response_class=HTMLResponse)
    def get_claim_body(
        corridor: CorridorPath, claim: ClaimPath, user: Reader, svc: Svc, lang: LangQuery = "en"
    ) -> HTMLResponse:
        """A claim's page body: its figures with every part, status, history, duplicates."""
        register = svc.live.refresh().register
        view = _page(register, corridor, claim, namer(lang))
        body = render("claims/claim.html.j2", corridor=corridor, **view)
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})

    return router
