"""Porto OSM to a routable simplified graph: safepassage against pyrosm 0.25.

    python benchmarks/bench_network.py        (pyrosm: pip install -e .[bench])

Each case runs in a fresh process so that peak memory is its own.
"""

from __future__ import annotations

import tempfile

from common import dump, machine, run_child, shared, table

PORTO = shared("osm/porto.osm.pbf")

OURS = f"""
import time
from safepassage.network.load import load_network
t = time.perf_counter()
g = load_network({str(PORTO)!r})
build = time.perf_counter() - t
t = time.perf_counter()
g2 = load_network({str(PORTO)!r})
reload_s = time.perf_counter() - t
from safepassage.network.routing import one_to_all
g2.time_matrix
import numpy as np
starts = np.random.default_rng(1).integers(0, g2.n_nodes, 20)
t = time.perf_counter()
for s in starts.tolist():
    one_to_all(g2, s)
o2a = (time.perf_counter() - t) / len(starts)
result = dict(build_s=build, reload_s=reload_s, one_to_all_s=o2a, nodes=g.n_nodes, edges=g.n_edges)
"""

PYROSM = f"""
import time, warnings
warnings.filterwarnings("ignore")
from pyrosm import OSM
t = time.perf_counter()
osm = OSM({str(PORTO)!r})
nodes, edges = osm.get_network(network_type="driving", nodes=True)
G = osm.to_graph(nodes, edges, graph_type="networkx")
build = time.perf_counter() - t
result = dict(build_s=build, nodes=G.number_of_nodes(), edges=G.number_of_edges())
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        ours = run_child(OURS, env={"SAFEPASSAGE_CACHE_DIR": cache})
    try:
        base = run_child(PYROSM)
    except Exception as exc:  # pyrosm is optional: report ours alone
        print(f"pyrosm baseline failed: {exc}")
        base = {}
    rows = [
        (
            "porto build",
            f"{ours['build_s']:.2f} s",
            f"{base.get('build_s', float('nan')):.2f} s",
            f"{base.get('build_s', float('nan')) / ours['build_s']:.1f}x faster",
        ),
        (
            "porto peak memory",
            f"{ours['peak_rss_mib']:.0f} MiB",
            f"{base.get('peak_rss_mib', float('nan')):.0f} MiB",
            "",
        ),
        ("porto cached reload", f"{ours['reload_s'] * 1000:.0f} ms", "", ""),
        ("one-to-all fastest paths", f"{ours['one_to_all_s'] * 1000:.1f} ms", "", ""),
        (
            "graph size (nodes / edges)",
            f"{ours['nodes']:,} / {ours['edges']:,}",
            f"{base.get('nodes', 0):,} / {base.get('edges', 0):,}",
            "",
        ),
    ]
    print(f"machine: {machine()}")
    print(table(rows))
    dump("network", {"machine": machine(), "ours": ours, "pyrosm": base})


if __name__ == "__main__":
    main()
