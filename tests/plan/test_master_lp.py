"""The warm-started master LP against SciPy's linprog on the same LP written out plainly:
columns and rows added in several batches (as path generation adds them), some columns
fixed at zero, must give the optimum of the whole LP solved from scratch, and duals that
price every column (no column with a positive reduced cost at the optimum)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from safepassage.plan.master_lp import MasterLP


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fair", [None, 3.0])
def test_incremental_lp_equals_the_lp_solved_whole(seed: int, fair: float | None) -> None:
    rng = np.random.default_rng(seed)
    n_o, n_d, n_cells, H = 3, 2, 12, 8
    supply = rng.integers(1, 6, n_o).astype(float)
    reception = rng.integers(2, 12, n_d).astype(float)
    unserved = -2.0 * rng.uniform(1, 3, n_o)
    cap = rng.uniform(0.5, 4.0, n_cells)
    lp = MasterLP(supply, reception, unserved, fair, H)
    # Plain record of every route column: origin, destination, occupancy, step, cost, cells.
    cols: list[tuple[int, int, float, int, float, set[int]]] = []
    rows: list[int] = []  # cell ids with a row, in order
    off: list[int] = []
    for batch in range(4):
        if batch in (1, 3):  # rows for some cells not yet in the LP
            new = [c for c in rng.permutation(n_cells).tolist()[:4] if c not in rows]
            col = [j for j, c in enumerate(cols) for k in new if k in c[5]]
            row = [new.index(k) for c in cols for k in new if k in c[5]]
            lp.add_cell_rows(cap[new], np.array(col, np.int64), np.array(row, np.int64))
            rows += new
        n = int(rng.integers(3, 7))
        fresh = []
        for _ in range(n):
            o, d = int(rng.integers(n_o)), int(rng.integers(n_d))
            cells = set(rng.choice(n_cells, size=int(rng.integers(1, 4)), replace=False).tolist())
            fresh.append(
                (o, d, float(rng.integers(1, 3)), int(rng.integers(H)), rng.uniform(1, 10), cells)
            )
        owner = [j for j, c in enumerate(fresh) for k in sorted(c[5]) if k in rows]
        crow = [rows.index(k) for c in fresh for k in sorted(c[5]) if k in rows]
        lp.add_columns(
            np.array([c[4] for c in fresh]),
            np.array([c[0] for c in fresh], np.int64),
            np.array([c[1] for c in fresh], np.int64),
            np.array([c[2] for c in fresh]),
            np.array([c[3] for c in fresh], np.int64),
            np.array(owner, np.int64),
            np.array(crow, np.int64),
        )
        cols += fresh
        if batch == 2:
            off = [0, len(cols) - 1]
            lp.disable(np.array(off, np.int64))
    sol = lp.solve()
    # The same LP written out plainly: x (route columns), u (unserved), then lo, hi.
    n_x = len(cols)
    n_v = n_x + n_o + (2 if fair is not None else 0)
    c = np.zeros(n_v)
    c[:n_x] = [col[4] for col in cols]
    c[n_x : n_x + n_o] = unserved
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for i in range(n_o):
        row = np.zeros(n_v)
        row[[j for j, col in enumerate(cols) if col[0] == i]] = 1
        row[n_x + i] = 1
        a_eq.append(row)
        b_eq.append(supply[i])
    for d in range(n_d):
        row = np.zeros(n_v)
        for j, col in enumerate(cols):
            if col[1] == d:
                row[j] = col[2]
        a_ub.append(row)
        b_ub.append(reception[d])
    for k in rows:
        row = np.zeros(n_v)
        row[[j for j, col in enumerate(cols) if k in col[5]]] = 1
        a_ub.append(row)
        b_ub.append(cap[k])
    if fair is not None:
        lo, hi = n_v - 2, n_v - 1
        for i in range(n_o):
            mean = np.zeros(n_v)  # departure steps of origin i, unserved at H
            for j, col in enumerate(cols):
                if col[0] == i:
                    mean[j] = col[3]
            mean[n_x + i] = H
            above = mean.copy()
            above[hi] = -supply[i]
            a_ub.append(above)  # mean <= hi
            b_ub.append(0.0)
            below = -mean
            below[lo] = supply[i]
            a_ub.append(below)  # mean >= lo
            b_ub.append(0.0)
        spread = np.zeros(n_v)
        spread[hi], spread[lo] = 1, -1
        a_ub.append(spread)
        b_ub.append(fair)
    bounds = [(0, 0) if j in off else (0, None) for j in range(n_x)] + [(0, None)] * n_o
    bounds += [(0, H), (0, H)] if fair is not None else []
    ref = linprog(-c, A_ub=np.array(a_ub), b_ub=b_ub, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds)
    assert ref.status == 0
    x = sol.x
    value = float(c[:n_x] @ x) + float(
        unserved @ (supply - np.bincount([col[0] for col in cols], weights=x, minlength=n_o))
    )
    assert value == pytest.approx(-ref.fun, abs=1e-6)
    assert sol.objective == pytest.approx(-ref.fun, abs=1e-6)
    # Duals price the columns: none enabled has a positive reduced cost at the optimum.
    for j, col in enumerate(cols):
        if j in off:
            continue
        price = sol.origin[col[0]] + col[2] * sol.dest[col[1]] + sol.fair[col[0]] * col[3]
        price += sum(sol.cell[rows.index(k)] for k in col[5] if k in rows)
        assert col[4] - price <= 1e-6
