"""A sweep on a real local Dask cluster (scheduler and worker processes started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepassage.forecast.sweep import grid, run_sweep

MARIUPOL = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"


@pytest.mark.filterwarnings("ignore")
def test_sweep_on_a_local_dask_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    points = grid(str(MARIUPOL), [("window_h", [9.0, 24.0])], seeds=[1, 2], runs=10)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        results = run_sweep(points, dask_address=cluster.scheduler_address)
    local = run_sweep(points, workers=1)
    assert results == local  # same seeds, same numbers, wherever they ran
    short, long_ = results[0], results[2]
    assert long_["people_out_by_window_end"]["p50"] > short["people_out_by_window_end"]["p50"]
