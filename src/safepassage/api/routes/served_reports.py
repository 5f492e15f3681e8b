"""The plan, forecast, brief and schedule reports of `serve --reports DIR`, for readers only
(a plan names assembly points and times). Only the HTML and PDF files directly in DIR are
listed, and a name is served only when the listing has it: no path, no link out of DIR.

A browser tab cannot send the token, and a report opened from a blob URL runs under the
dashboard's policy (its inline map code would be refused), so the dashboard asks for a link
signed for one name and a minute (`POST .../link`) and opens that: the report then comes
with its own policy, which allows its own inline scripts and styles by hash and nothing
else (docs/design.md)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import base64
import hashlib
import hmac
import re
import time
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from safepassage.api.deps import Reader
from safepassage.figures.when import timed

#: What is served, by suffix; anything else in DIR is not listed.
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
}
#: A report's name: no separator, no leading dot, nothing a header or URL would mangle.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
#: The kinds the file's name or title can tell; "report" when neither does.
KINDS = ("plan", "forecast", "brief", "schedule")
LINK_S = 60
NONE = "'none'"

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script", re.I | re.S)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style", re.I | re.S)
_STYLE_ATTR = re.compile(r"""\sstyle=(?:"([^"]*)"|'([^']*)')""", re.I)
_TITLE = re.compile(r"<title>(.*?)</title", re.I | re.S)
#: Script types a browser runs (the reports' data blocks are application/json: never run).
_RUN = {"", "text/javascript", "application/javascript", "module"}


def listing(directory: Path) -> dict[str, Path]:
    """The reports directly in `directory` by name: regular files with a served suffix whose
    real path stays in the directory (a symbolic link out of it is left out)."""
    root = directory.resolve()
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if not NAME.match(path.name) or path.suffix.lower() not in TYPES:
            continue
        real = path.resolve()
        if real.parent != root or not real.is_file():
            continue
        found[path.name] = real
    return found


def kind_of(path: Path) -> str:
    """plan, forecast, brief or schedule, guessed from the file's name, else its title."""
    lowered = path.name.lower()
    for kind in KINDS:
        if kind in lowered:
            return kind
    if path.suffix.lower() == ".pdf":
        return "report"
    with path.open("rb") as f:
        head = f.read(4096).decode("utf-8", "replace")
    title = _TITLE.search(head)
    text = title.group(1).lower() if title else ""
    if "evacuation plan" in text:
        return "plan"
    return next((k for k in KINDS if k in text), "report")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def report_policy(html: str) -> str:
    """The tightest policy under which the report works offline (found in Chromium: each
    source left out breaks the map or its style): its own inline scripts, styles and style
    attributes by hash, images from data URLs (the map's controls), MapLibre's worker from a
    blob; no request anywhere (the reports fetch nothing)."""
    scripts = {
        _hash(body)
        for attrs, body in _SCRIPT.findall(html)
        if "src=" not in attrs.lower() and _type(attrs) in _RUN
    }
    styles = {_hash(body) for body in _STYLE.findall(html)}
    # A style attribute is hashed as the browser reads it: with its character references decoded.
    attrs = {_hash(unescape(a or b)) for a, b in _STYLE_ATTR.findall(html)}
    style = sorted(styles | attrs)
    if attrs:  # style="..." attributes are allowed by hash only with 'unsafe-hashes'
        style.insert(0, "'unsafe-hashes'")
    return (
        f"default-src 'none'; script-src {' '.join(sorted(scripts)) or NONE}; "
        f"style-src {' '.join(style) or NONE}; img-src data:; worker-src blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _type(attrs: str) -> str:
    found = re.search(r"""\btype=["']?([^"'\s>]+)""", attrs, re.I)
    return found.group(1).lower() if found else ""


def sign(key: bytes, name: str, expires: int) -> str:
    return hmac.new(key, f"{name}\n{expires}".encode(), hashlib.sha256).hexdigest()


def reports_router(directory: Path | None, key: bytes) -> APIRouter:
    """/api/v1/reports (list), /api/v1/reports/{name} (the file, with a reader's token),
    /api/v1/reports/{name}/link (a link for a browser tab) and /reports/{name}?expires&sig."""
    router = APIRouter()

    def readable(folder: Path) -> dict[str, Path]:
        try:
            return listing(folder)
        except OSError as exc:
            raise HTTPException(
                503,
                f"the reports folder {folder} cannot be read ({exc.strerror}); tell the operator",
            ) from None

    def found(name: str) -> Path:
        if directory is None:
            raise HTTPException(404, "no reports are served (start with serve --reports DIR)")
        path = readable(directory).get(name)
        if path is None:
            raise HTTPException(404, f"no report named {name!r}; see GET /api/v1/reports")
        return path

    def served(path: Path) -> Response:
        try:
            body = path.read_bytes()
        except OSError:
            raise HTTPException(404, f"the report {path.name!r} can no longer be read") from None
        headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
        if path.suffix.lower() == ".pdf":
            headers["Content-Disposition"] = f'inline; filename="{path.name}"'
            headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
        else:
            headers["Content-Security-Policy"] = report_policy(body.decode("utf-8", "replace"))
        return Response(body, media_type=TYPES[path.suffix.lower()], headers=headers)

    @router.get("/api/v1/reports")
    def get_reports(user: Reader) -> dict[str, Any]:
        """The reports in the served directory: name, kind, size and when modified."""
        if directory is None:
            return {"directory": False, "reports": []}
        out: list[tuple[float, dict[str, Any]]] = []
        for name, path in readable(directory).items():
            try:
                stat = path.stat()
            except OSError:  # removed since it was listed
                continue
            modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            out.append(
                (
                    stat.st_mtime,
                    {
                        "name": name,
                        "kind": kind_of(path),
                        "format": "pdf" if path.suffix.lower() == ".pdf" else "html",
                        "bytes": stat.st_size,
                        "modified": timed(modified, "UTC"),
                    },
                )
            )
        out.sort(key=lambda r: r[0], reverse=True)
        return {"directory": True, "reports": [r for _, r in out]}

    @router.get("/api/v1/reports/{name}")
    def get_report(name: str, user: Reader) -> Response:
        """One report's file, with the policy it needs (names from the listing only)."""
        return served(found(name))

    @router.post("/api/v1/reports/{name}/link")
    def post_link(name: str, user: Reader) -> dict[str, Any]:
        """A link to the report for a browser tab, good for one minute."""
        found(name)
        expires = int(time.time()) + LINK_S
        url = f"/reports/{name}?expires={expires}&sig={sign(key, name, expires)}"
        return {"url": url, "expires_in_s": LINK_S}

    @router.get("/reports/{name}", include_in_schema=False)
    def get_linked(name: str, expires: int = Query(0), sig: str = Query("")) -> Response:
        """A report opened from a signed link (no token: the link is the permission)."""
        good = hmac.compare_digest(sig, sign(key, name, expires))
        if not good or expires < time.time():
            raise HTTPException(
                403,
                "this link is not valid or has expired; open the report again from the dashboard",
            )
        return served(found(name))

    return router
