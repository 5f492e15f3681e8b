"""The master LP of path generation, kept in HiGHS between solves.

Each round of path generation adds a few thousand columns (and row generation a few cell
rows) to an LP of tens of thousands; solved from scratch every time, the LP was nine tenths of
`--quality best` on Castlemaine (85 solves of 0.57 s). Kept in one HiGHS model, a re-solve
starts from the last optimal basis: new columns leave it primal feasible, new rows dual
feasible, so a few simplex iterations usually finish it.

Rows: one per origin (its cars, sent or unserved, equal its supply), one per destination
(reception), with fairness two per origin and one for the spread, then cell rows (a road or
checkpoint in one step) added as they are needed. Variables: per origin its unserved cars,
with fairness the spread's ends (lo, hi), then the route columns in the order they are added.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

from safepassage.errors import PlanningError


@dataclass
class LPSolution:
    x: NDArray[np.float64]  # route columns, in the order added
    origin: NDArray[np.float64]  # duals, as prices: reduced cost = c - A^T y
    dest: NDArray[np.float64]
    fair: NDArray[np.float64]  # per origin: hi + lo rows' price per departure step
    cell: NDArray[np.float64]  # per cell row, in the order added
    objective: float


def _quiet_highs() -> highspy.Highs:
    """A HiGHS model that prints nothing. HiGHS writes its banner to the process's stdout (from
    C++, past `sys.stdout`) when its first model is made, which broke `plan --json`; stdout
    points at /dev/null for that moment."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]  # its __init__ has no types
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


class MasterLP:
    """A maximisation LP over route columns with rows added as they are needed."""

    def __init__(
        self,
        supply: NDArray[np.float64],
        reception: NDArray[np.float64],
        unserved_cost: NDArray[np.float64],
        fairness: float | None,
        horizon: int,
    ) -> None:
        self.h = _quiet_highs()
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        n_o, n_d = supply.size, reception.size
        self.n_o, self.n_d, self.fairness = n_o, n_d, fairness
        self.r_dest = n_o
        self.r_fair = n_o + n_d
        self.r_cell = self.r_fair + (2 * n_o + 1 if fairness is not None else 0)
        lo = np.concatenate((supply, np.full(n_d, -np.inf)))
        hi = np.concatenate((supply, reception))
        if fairness is not None:
            lo = np.concatenate((lo, np.full(n_o, -np.inf), np.zeros(n_o), [-np.inf]))
            hi = np.concatenate((hi, np.zeros(n_o), np.full(n_o, np.inf), [fairness]))
        self._add_rows(lo, hi, np.zeros(lo.size + 1, np.int32), np.zeros(0, np.int32), [])
        # Unserved cars of each origin: its origin row, and the latest departure in fairness.
        i = np.arange(n_o)
        if fairness is None:
            self._add_cols(unserved_cost, np.full(n_o, np.inf), [i], [np.ones(n_o)])
            self.first_route_col = n_o
        else:
            rows = [i, self.r_fair + i, self.r_fair + n_o + i]
            vals = [np.ones(n_o), np.full(n_o, float(horizon)), np.full(n_o, float(horizon))]
            self._add_cols(unserved_cost, np.full(n_o, np.inf), rows, vals)
            gap = np.full(n_o, self.r_cell - 1)
            # hi: -supply in each origin's hi row, +1 in the spread row; lo: the same, -1.
            for block, sign in ((0, 1.0), (n_o, -1.0)):
                self._add_one_col(
                    np.concatenate((self.r_fair + block + i, gap[:1])),
                    np.concatenate((-supply, [sign])),
                    float(horizon),
                )
            self.first_route_col = n_o + 2
        self.n_cells = 0

    # -- building --------------------------------------------------------------------------
    def _add_rows(
        self,
        lo: NDArray[np.float64],
        hi: NDArray[np.float64],
        starts: NDArray[np.int32],
        index: NDArray[np.int32],
        values: list[float] | NDArray[np.float64],
    ) -> None:
        v = np.asarray(values, dtype=np.float64)
        self.h.addRows(lo.size, lo, hi, index.size, starts[:-1], index, v)

    def _add_cols(
        self,
        cost: NDArray[np.float64],
        upper: NDArray[np.float64],
        rows: list[NDArray[np.int64]],
        vals: list[NDArray[np.float64]],
    ) -> None:
        """Columns with one entry per column in each of `rows` (same length as `cost`)."""
        n, k = cost.size, len(rows)
        index = np.stack(rows, axis=1).ravel().astype(np.int32)
        values = np.stack(vals, axis=1).ravel().astype(np.float64)
        starts = (np.arange(n) * k).astype(np.int32)
        self.h.addCols(n, cost, np.zeros(n), upper, index.size, starts, index, values)

    def _add_one_col(self, rows: NDArray[np.int64], vals: NDArray[np.float64], ub: float) -> None:
        self.h.addCols(
            1,
            np.zeros(1),
            np.zeros(1),
            np.array([ub]),
            rows.size,
            np.zeros(1, np.int32),
            rows.astype(np.int32),
            vals.astype(np.float64),
        )

    def add_columns(
        self,
        cost: NDArray[np.float64],
        origin: NDArray[np.int64],
        dest: NDArray[np.int64],
        occupancy: NDArray[np.float64],
        step: NDArray[np.int64],
        cell_owner: NDArray[np.int64],
        cell_row: NDArray[np.int64],
    ) -> None:
        """Route columns: each in its origin's and destination's rows (with fairness, its
        departure step in the origin's two rows) and in the cell rows `cell_row` of the
        entries whose `cell_owner` is its index among these new columns."""
        n = cost.size
        if n == 0:
            return
        base = [origin, self.r_dest + dest]
        vals = [np.ones(n), occupancy]
        if self.fairness is not None:
            base += [self.r_fair + origin, self.r_fair + self.n_o + origin]
            vals += [step.astype(float), step.astype(float)]
        k = len(base)
        order = np.argsort(cell_owner, kind="stable")
        owner, crow = cell_owner[order], self.r_cell + cell_row[order]
        per_col = np.bincount(owner, minlength=n)
        starts = np.zeros(n + 1, dtype=np.int64)
        starts[1:] = np.cumsum(per_col + k)
        index = np.empty(starts[-1], dtype=np.int32)
        values = np.ones(starts[-1], dtype=np.float64)
        for j in range(k):
            index[starts[:-1] + j] = base[j]
            values[starts[:-1] + j] = vals[j]
        # Cell entries go after each column's fixed entries, in owner order.
        first = np.zeros(n, dtype=np.int64)
        first[1:] = np.cumsum(per_col)[:-1]
        pos = starts[owner] + k + np.arange(owner.size) - first[owner]
        index[pos] = crow
        col_starts = starts[:-1].astype(np.int32)
        upper = np.full(n, np.inf)
        self.h.addCols(n, cost, np.zeros(n), upper, index.size, col_starts, index, values)

    def add_cell_rows(
        self, capacity: NDArray[np.float64], col: NDArray[np.int64], row: NDArray[np.int64]
    ) -> None:
        """Cell rows (at most `capacity`), with a 1 for route column `col[k]` in new row
        `row[k]` (indices among the route columns and the new rows)."""
        n = capacity.size
        if n == 0:
            return
        order = np.argsort(row, kind="stable")
        starts = np.zeros(n + 1, dtype=np.int32)
        starts[1:] = np.cumsum(np.bincount(row, minlength=n))
        index = (self.first_route_col + col[order]).astype(np.int32)
        self._add_rows(np.full(n, -np.inf), capacity, starts, index, np.ones(index.size))
        self.n_cells += n

    def disable(self, cols: NDArray[np.int64]) -> None:
        """Route columns fixed at zero (kept, so the basis stays valid)."""
        idx = (self.first_route_col + cols).astype(np.int32)
        self.h.changeColsBounds(idx.size, idx, np.zeros(idx.size), np.zeros(idx.size))

    # -- solving ---------------------------------------------------------------------------
    def solve(self) -> LPSolution:
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise PlanningError(
                f"path generation: the LP solver stopped ({self.h.modelStatusToString(status)})"
            )
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value, dtype=np.float64)[self.first_route_col :]
        y = np.asarray(sol.row_dual, dtype=np.float64)
        n_o = self.n_o
        fair = (
            y[self.r_fair : self.r_fair + n_o] + y[self.r_fair + n_o : self.r_fair + 2 * n_o]
            if self.fairness is not None
            else np.zeros(n_o)
        )
        return LPSolution(
            x=x,
            origin=y[:n_o],
            dest=y[self.r_dest : self.r_fair],
            fair=fair,
            cell=y[self.r_cell :],
            objective=float(self.h.getInfo().objective_function_value),
        )
