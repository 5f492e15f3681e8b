"""HTML from Jinja2 templates (`decide/templates`), printable in black and white."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from safepassage.errors import Problem, SafePassageError

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("safepassage.decide", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def day_hm(iso: str) -> str:
    """An instant as the day and local clock time ("16 Mar 08:10")."""
    return datetime.fromisoformat(iso).strftime("%d %b %H:%M")


def span(start: str, end: str) -> str:
    """Two instants as one span, the day once when they share it ("16 Mar 08:10-08:20")."""
    a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return (
        f"{day_hm(start)}-{b:%H:%M}" if a.date() == b.date() else f"{day_hm(start)}-{day_hm(end)}"
    )


_ENV.filters["hm"] = day_hm
_ENV.globals["span"] = span


def render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def schedule_section_html(schedule: dict[str, Any]) -> str:
    """The schedule as an HTML section (no page around it) for the plan's HTML report."""
    return render("_schedule.html.j2", s=schedule)


def schedule_page_html(schedule: dict[str, Any], title: str) -> str:
    """A whole printable page with the schedule."""
    return render("schedule.html.j2", s=schedule, title=title)


def write_page(html: str, out: Path) -> None:
    """Write a page as PDF (WeasyPrint) when `out` ends in .pdf, else as HTML."""
    try:
        if out.suffix.lower() == ".pdf":
            try:
                import weasyprint
            except OSError as exc:  # WeasyPrint loads Pango when imported
                raise SafePassageError(
                    Problem(
                        f"cannot write PDF: WeasyPrint needs the Pango library ({exc})",
                        file=str(out),
                        hint="install Debian's libpango-1.0-0 and libpangoft2-1.0-0, or use .html",
                    )
                ) from None
            weasyprint.HTML(string=html).write_pdf(str(out))
        else:
            out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise SafePassageError(
            Problem(f"cannot write output: {exc.strerror or exc}", file=str(out))
        ) from None
