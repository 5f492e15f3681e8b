"""A claim's page (Markdown): its figures, its status, its history and its duplicates."""

from __future__ import annotations

from typing import Any

from safepassage.report.sitrep import _md


def claim_markdown(record: dict[str, Any]) -> str:
    """The page of one claim (`ClaimsRegister.record`)."""
    lines = [
        f"# Claim {record['claim']}",
        "",
        f"Corridor {_md(record['corridor'])}; status: **{_md(record['status']['text'])}**.",
        "",
        "## Figures",
        "",
        *[f"- {_md(f['text'])}" for f in record["figures"]],
    ]
    if record["duplicate_of"]:
        lines += ["", f"Linked as a duplicate of claim {record['duplicate_of']}."]
    if record["duplicates"]:
        lines += ["", "Repeated by: " + ", ".join(record["duplicates"]) + "."]
    lines += [
        "",
        "## History",
        "",
        "| when | what | by | note | recorded |",
        "|---|---|---|---|---|",
    ]
    for h in record["history"]:
        note = h.get("how") or h.get("to") or h.get("of") or h.get("said_by") or ""
        cells = (h["at"]["text"], h["action"], h["by"], note, h["recorded"]["text"])
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    if record["suggested_duplicates"]:
        lines += ["", "## May repeat", ""]
        lines += [
            f"- claim {s['claim']}: {_md('; '.join(s['why']))}"
            for s in record["suggested_duplicates"]
        ]
    return "\n".join(lines) + "\n"
