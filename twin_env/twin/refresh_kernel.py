"""Which patients' risk-equation values are due for a refresh this step (numba; integer arithmetic, exact)."""

from __future__ import annotations

import numba
import numpy as np

_PHASE_SHIFT = np.uint64(56)  # a patient's stagger: the top byte of its key (0-255)
_U32_LIMIT = 2**32 - 256  # step indices below this add the phase without leaving uint32


@numba.njit(cache=True, error_model="numpy")
def due_rows(keys: np.ndarray, step_index: np.ndarray, held: np.ndarray, period: int) -> np.ndarray:
    """Rows (k,) int64, ascending, where ``(step_index + (key >> 56)) % period == 0`` or ``held`` is NaN.

    ``keys`` (N,) uint64, ``step_index`` (N,) int64, ``held`` (N,) float64, ``period`` >= 1 steps. Equal to
    ``np.flatnonzero(((step_index + (keys >> 56).astype(np.int64)) % period == 0) | np.isnan(held))``: in uint32
    where the step index is in [0, 2**32 - 256) (the same non-negative sum, a cheaper division), else in int64.
    """
    out = np.empty(keys.size, dtype=np.int64)
    k = 0
    p32 = np.uint32(period)
    for i in range(keys.size):
        phase = keys[i] >> _PHASE_SHIFT
        s = step_index[i]
        if 0 <= s < _U32_LIMIT:
            due = (np.uint32(s) + np.uint32(phase)) % p32 == 0
        else:
            due = (s + np.int64(phase)) % period == 0
        if due or np.isnan(held[i]):
            out[k] = i
            k += 1
    return out[:k].copy()
