"""Folding newly visible GP items into per-row answers, compiled (numba): the loops of :mod:`.row_items`.

This module imports numba: import it lazily (inside a function), as :mod:`twin_env.twin.hazard_kernel` is.
Kernels compile on first call and are cached (``cache=True``). Items (k,) come in effective-date order
(event day, then seq); a key is ``event_day << 32 | seq`` (int64).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, error_model="numpy")
def fold_latest(
    row: np.ndarray,
    item: np.ndarray,
    concept: np.ndarray,
    event_day: np.ndarray,
    seq: np.ndarray,
    value: np.ndarray,
    item_type: int,
    wanted: np.ndarray,
    lookup: np.ndarray,
    held_key: np.ndarray,
    held_value: np.ndarray,
) -> None:
    """Keep each row's latest item of ``item_type`` whose concept is ``wanted`` (a bool table by concept).

    An item replaces the held one when its key is not lower (the same event filed again: the later item).
    The value held is ``lookup[concept]`` when ``lookup`` is not empty, else the item's ``value``.
    ``held_key``, ``held_value`` (N,) are updated in place.
    """
    for i in range(row.size):
        if item[i] != item_type or not wanted[concept[i]]:
            continue
        key = (np.int64(event_day[i]) << 32) | np.int64(seq[i])
        r = row[i]
        if key >= held_key[r]:
            held_key[r] = key
            held_value[r] = lookup[concept[i]] if lookup.size else value[i]


@numba.njit(cache=True, error_model="numpy")
def fold_first(
    row: np.ndarray,
    item: np.ndarray,
    concept: np.ndarray,
    event_day: np.ndarray,
    seq: np.ndarray,
    item_type: int,
    wanted: np.ndarray,
    held_key: np.ndarray,
    count: np.ndarray,
) -> None:
    """Keep each row's earliest item of ``item_type`` whose concept is ``wanted`` (empty table: any) and count
    them; ``held_key``, ``count`` (N,) are updated in place."""
    for i in range(row.size):
        if item[i] != item_type or (wanted.size and not wanted[concept[i]]):
            continue
        key = (np.int64(event_day[i]) << 32) | np.int64(seq[i])
        r = row[i]
        count[r] += 1
        if key < held_key[r]:
            held_key[r] = key


@numba.njit(cache=True, error_model="numpy")
def fold_issues(
    row: np.ndarray,
    item: np.ndarray,
    concept: np.ndarray,
    event_day: np.ndarray,
    seq: np.ndarray,
    issue_type: int,
    end_type: int,
    column: np.ndarray,
    issue: np.ndarray,
    end: np.ndarray,
) -> None:
    """Keep each row's latest issue and latest end of each drug concept (``column[concept]`` >= 0: its column);
    ``issue``, ``end`` (N, C) are updated in place (as :func:`fold_latest`, per cell)."""
    for i in range(row.size):
        j = column[concept[i]]
        if j < 0 or (item[i] != issue_type and item[i] != end_type):
            continue
        key = (np.int64(event_day[i]) << 32) | np.int64(seq[i])
        held = issue if item[i] == issue_type else end
        r = row[i]
        if key >= held[r, j]:
            held[r, j] = key
