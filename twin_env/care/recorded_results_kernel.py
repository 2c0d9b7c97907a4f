"""Compiled loops (numba) of :class:`RecordedResults`: filing new results into each row's last few, reading the latest.

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


@numba.njit(cache=True, error_model="numpy")
def latest_shown(
    rows: np.ndarray,
    days: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    shown: np.ndarray,
    out_value: np.ndarray,
    out_day: np.ndarray,
) -> None:
    """Per row of ``rows`` (k,) intp: its highest key shown by ``days`` (k,) int64 (the first of equals).

    ``key``, ``value``, ``shown`` (N, KEPT) as :func:`file_results` keeps them (key -1: empty slot).
    Writes the result's value into ``out_value`` (k,) float64 (NaN if none) and its effective day
    (key >> 32) into ``out_day`` (k,) int64 (-1 if none).
    """
    for j in range(rows.size):
        r, on = rows[j], days[j]
        slot, top = 0, np.int64(-1)
        for s in range(key.shape[1]):  # np.argmax over the slots' keys, hidden ones as -1: the first highest
            k = key[r, s] if key[r, s] >= 0 and shown[r, s] <= on else np.int64(-1)
            if s == 0 or k > top:
                slot, top = s, k
        if top >= 0:
            out_value[j], out_day[j] = value[r, slot], top >> 32
        else:
            out_value[j], out_day[j] = np.nan, -1
