"""Seconds to whole time steps: the one rounding rule of the planner, the bound and the exact
solver.

Travel times come from floating-point arithmetic (1 km at 60 km/h is 59.99999999999999 s), so a
plain `seconds // step` turns a whole step into none. Every conversion goes through these
functions: a time within `TOLERANCE` of a step of a whole number of steps counts as that whole
number, whichever way it is rounded. The tolerance (a millionth of a step: 60 microseconds at
60 s steps) is far below any measured travel time and far above float noise.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Fraction of a step within which a time counts as a whole number of steps.
TOLERANCE = 1e-6


def floor_steps(seconds: float, step_s: float) -> int:
    """Whole steps completed after `seconds` (a time a hair short of a step boundary reaches it)."""
    return math.floor(seconds / step_s + TOLERANCE)


def ceil_steps(seconds: float, step_s: float) -> int:
    """Steps needed to cover `seconds` (a time a hair past a step boundary does not add one)."""
    return math.ceil(seconds / step_s - TOLERANCE)


def floor_steps_array(seconds: ArrayLike, step_s: float) -> NDArray[np.int64]:
    """`floor_steps` of every element."""
    return np.floor(np.asarray(seconds, dtype=np.float64) / step_s + TOLERANCE).astype(np.int64)


def ceil_steps_array(seconds: ArrayLike, step_s: float) -> NDArray[np.int64]:
    """`ceil_steps` of every element."""
    return np.ceil(np.asarray(seconds, dtype=np.float64) / step_s - TOLERANCE).astype(np.int64)
