"""The one rule for what the GP record shows: an item is visible to a reader on ``day`` when

- it is available by then (``available_day <= day``; ``NEVER`` items never are; no item is
  available before its effective day, so a visible item is also effective by then), and
- it belongs to the row's current patient: in a rolling record (vector-env auto-reset) a row's id
  is reused, so items of a ledger event with ``seq < first_seq`` (the row's first event this
  episode) are an earlier patient's and excluded.

Every reader in :mod:`twin_env.record.gp` filters store items through these functions.
"""

from __future__ import annotations

import numpy as np


def available(available_day: np.ndarray, day: int | np.ndarray) -> np.ndarray:
    """(k,) bool: items available on ``day`` (one day number, or (k,) one per item)."""
    return available_day <= day


def of_current_patient(seq: np.ndarray, first_seq: int | np.ndarray | None) -> np.ndarray | bool:
    """(k,) bool: items at or after the patient's first ledger ``seq`` (True for all if ``first_seq`` is None)."""
    return True if first_seq is None else seq >= first_seq


def visible(
    available_day: np.ndarray, seq: np.ndarray, day: int | np.ndarray, first_seq: int | np.ndarray | None = None
) -> np.ndarray:
    """(k,) bool: store items (their ``available_day`` and ``seq`` columns) visible on ``day`` to the current patient.

    ``day`` and ``first_seq``: scalars, or (k,) one per item; ``first_seq`` None keeps every patient's items.
    """
    return available(available_day, day) & of_current_patient(seq, first_seq)
