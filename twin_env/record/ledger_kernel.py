"""Numbering a batch of ledger events within their patients, compiled (numba): O(events), not O(patients).

This module imports numba: import it lazily (inside a function), as :mod:`twin_env.twin.hazard_kernel` is.
Kernels compile on first call and are cached (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def number_events(rows: np.ndarray, next_seq: np.ndarray, seq: np.ndarray) -> bool:
    """Give each event of batch ``rows`` (k,) intp its row's next number, in order (False, nothing done: a bad row).

    ``next_seq`` (N,) int32 is advanced in place (a row given twice gets two consecutive numbers);
    ``seq`` (k,) int32 receives the numbers.
    """
    n = next_seq.size
    for j in range(rows.size):
        if rows[j] < 0 or rows[j] >= n:
            return False
    for j in range(rows.size):
        r = rows[j]
        seq[j] = next_seq[r]
        next_seq[r] += 1
    return True
