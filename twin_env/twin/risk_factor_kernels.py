"""Row selections of :mod:`twin_env.twin.risk_factors` compiled (numba): comparisons and integer arithmetic only, exact.

Each returns the rows (k,) int64, ascending, that the NumPy expression in its docstring selects, in one pass
over the batch instead of several full-length temporaries. This module imports numba: import it lazily.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, error_model="numpy")
def yearly_update_rows(keys: np.ndarray, counter: np.ndarray, alive: np.ndarray, period: int) -> np.ndarray:
    """Living rows whose yearly update falls in this step: keys (N,) uint64, counter (N,) int64, alive (N,) bool.

    ``np.flatnonzero(((counter.astype(np.uint16) + keys.astype(np.uint8)) % np.uint16(period) == 0) & alive)``
    (the sum wraps modulo 2**16 as in uint16; ``period`` in 1-65535).
    """
    out = np.empty(keys.size, dtype=np.int64)
    k = 0
    for i in range(keys.size):
        phase = (counter[i] & 0xFFFF) + np.int64(keys[i] & np.uint64(0xFF))
        if (phase & 0xFFFF) % period == 0 and alive[i]:
            out[k] = i
            k += 1
    return out[:k].copy()


@numba.njit(cache=True, error_model="numpy")
def recent_quitter_rows(
    age_years: np.ndarray, quit_age_years: np.ndarray, alive: np.ndarray, limit: float
) -> np.ndarray:
    """Living rows that quit less than ``limit`` years ago: ages (N,) float64, quit ages (N,) float32 (NaN: not ex).

    ``np.flatnonzero((age_years - quit_age_years < limit) & alive)``.
    """
    out = np.empty(age_years.size, dtype=np.int64)
    k = 0
    for i in range(age_years.size):
        if age_years[i] - quit_age_years[i] < limit and alive[i]:
            out[k] = i
            k += 1
    return out[:k].copy()
