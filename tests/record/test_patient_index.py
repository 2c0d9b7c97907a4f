"""The per-row index of a store: a few rows' items read at the cost of their items, in append order."""

from __future__ import annotations

import numpy as np

from twin_env.record.patient_index import PatientIndex
from twin_env.record.store import ItemType, SystemStore


def _append(store: SystemStore, patient: np.ndarray) -> None:
    start = len(store)
    k = len(patient)
    store.append(patient, np.arange(start, start + k), ItemType.OBSERVATION, 1, np.zeros(k, np.int32))


def _expected(store: SystemStore, rows: np.ndarray, first_id: int, since: np.ndarray) -> np.ndarray:
    cols = store.columns
    position = store.held_from + np.arange(len(cols["patient"]))
    mine = np.isin(cols["patient"] - first_id, rows) & (position >= since[cols["patient"] - first_id])
    return position[mine]


def test_the_index_gives_each_rows_positions_in_append_order_and_forgets_cleared_rows() -> None:
    rng = np.random.default_rng(0)
    n, first_id = 12, 100
    store = SystemStore("gp")
    _append(store, first_id + rng.integers(0, n, 50))
    since = np.zeros(n, dtype=np.int64)
    index = PatientIndex(store, n, first_id, since)
    for step in range(6):
        _append(store, first_id + rng.integers(0, n, int(rng.integers(0, 40))))
        if step % 2:
            index.update()
            cleared = np.array([step, step + 3])
            index.clear(cleared)
            since[cleared] = len(store)
        for rows in (np.arange(n), np.array([2, 7]), np.array([step]), np.zeros(0, dtype=np.int64)):
            np.testing.assert_array_equal(index.of(rows), _expected(store, rows, first_id, since))


def test_an_index_made_late_starts_at_each_rows_current_patient() -> None:
    store, n = SystemStore("gp"), 4
    _append(store, np.array([0, 1, 2, 3, 0, 1, 2, 3]))
    since = np.array([0, 5, 8, 2])  # rows 1 and 3 have a new patient from positions 5 and 2
    index = PatientIndex(store, n, 0, since)
    np.testing.assert_array_equal(index.of(np.arange(n)), _expected(store, np.arange(n), 0, since))
    np.testing.assert_array_equal(index.of(np.array([1])), [5])
