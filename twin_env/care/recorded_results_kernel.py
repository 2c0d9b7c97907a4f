"""Filing new results into each row's last few results, compiled (numba): the loop of :class:`RecordedResults`.

This module imports numba: import it lazily (inside a function), as :mod:`twin_env.twin.hazard_kernel` is.
Kernels compile on first call and are cached (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, error_model="numpy")
def file_results(
    rows: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    shown_days: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    shown: np.ndarray,
) -> None:
    """File results (m,) in order: each replaces its row's lowest key (the first of equals) unless that is higher.

    ``rows`` (m,) intp, ``keys`` (m,) int64 (effective day << 32 | seq), ``values`` (m,) float64 and
    ``shown_days`` (m,) the day each is shown; ``key``, ``value``, ``shown`` (N, KEPT) are updated in place.
    """
    for j in range(rows.size):
        r = rows[j]
        slot, low = 0, key[r, 0]
        for s in range(1, key.shape[1]):  # np.argmin: the first lowest
            if key[r, s] < low:
                slot, low = s, key[r, s]
        if keys[j] >= low:
            key[r, slot] = keys[j]
            value[r, slot] = values[j]
            shown[r, slot] = shown_days[j]
