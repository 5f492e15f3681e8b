"""Write tiny OpenStreetMap XML files for tests."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr


def osm_xml(
    nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]]
) -> str:
    """`nodes`: id to (lat, lon); `ways`: (id, node ids, tags)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="safepassage-tests">',
    ]
    for nid, (lat, lon) in sorted(nodes.items()):
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines.extend(f'    <nd ref="{r}"/>' for r in refs)
        lines.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_osm(
    path: Path,
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[int, list[int], dict[str, str]]],
) -> Path:
    path.write_text(osm_xml(nodes, ways))
    return path


#: A straight east-west line of nodes 0.001 degrees apart (about 76 m at 47 N).
LINE = {i: (47.0, 37.0 + 0.001 * i) for i in range(1, 11)}
