"""Care's compiled result loops against the NumPy they replaced (kept here only, as the reference)."""

from __future__ import annotations

import numpy as np

from twin_env.care.recorded_results import KEPT
from twin_env.care.recorded_results_kernel import file_results, latest_shown


def _reference_latest(
    key: np.ndarray, value: np.ndarray, shown: np.ndarray, rows: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The NumPy reading the kernel replaced: the highest key shown by the day (the first of equals)."""
    on = day[:, None]
    k = np.where((key[rows] >= 0) & (shown[rows] <= on), key[rows], -1)
    best = np.argmax(k, axis=1)
    top = k[np.arange(rows.size), best]
    return np.where(top >= 0, value[rows, best], np.nan), np.where(top >= 0, top >> 32, -1)


def _random_tables(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, KEPT) key, value, shown as filing leaves them: empty slots, equal keys and later-shown results."""
    key = np.full((n, KEPT), -1, dtype=np.int64)
    value = np.full((n, KEPT), np.nan)
    shown = np.zeros((n, KEPT), dtype=np.int64)
    m = 6 * n
    rows = rng.integers(0, n, m).astype(np.intp)
    effective = rng.integers(18_000, 18_040, m).astype(np.int64)
    keys = effective << 32 | rng.integers(0, 3, m)  # few seqs: equal keys happen
    file_results(rows, keys, rng.random(m), effective + rng.integers(0, 10, m), key, value, shown)
    return key, value, shown


def test_latest_shown_equals_the_numpy_reading() -> None:
    rng = np.random.default_rng(11)
    key, value, shown = _random_tables(rng, 60)
    assert (key < 0).any() and (key >= 0).any()
    for _ in range(20):
        rows = rng.choice(60, size=int(rng.integers(0, 60)), replace=False).astype(np.intp)
        day = rng.integers(17_990, 18_060, rows.size).astype(np.int64)
        got_value, got_day = np.empty(rows.size), np.empty(rows.size, dtype=np.int64)
        latest_shown(rows, day, key, value, shown, got_value, got_day)
        want_value, want_day = _reference_latest(key, value, shown, rows, day)
        assert np.array_equal(got_value, want_value, equal_nan=True)
        assert np.array_equal(got_day, want_day)
        assert np.isnan(got_value).any() or rows.size < 5  # rows with nothing shown are met


def test_file_results_replaces_the_lowest_key_unless_it_is_higher() -> None:
    rng = np.random.default_rng(12)
    n = 30
    key = np.full((n, KEPT), -1, dtype=np.int64)
    value, shown = np.full((n, KEPT), np.nan), np.zeros((n, KEPT), dtype=np.int64)
    ref_key, ref_value, ref_shown = key.copy(), value.copy(), shown.copy()
    m = 400
    rows = rng.integers(0, n, m).astype(np.intp)
    keys = rng.integers(0, 50, m).astype(np.int64)
    values, days = rng.random(m), rng.integers(0, 100, m).astype(np.int64)
    file_results(rows, keys, values, days, key, value, shown)
    for j in range(m):  # the Python loop the kernel replaced
        r = rows[j]
        slot = int(np.argmin(ref_key[r]))
        if keys[j] >= ref_key[r, slot]:
            ref_key[r, slot], ref_value[r, slot], ref_shown[r, slot] = keys[j], values[j], days[j]
    assert np.array_equal(key, ref_key) and np.array_equal(shown, ref_shown)
    assert np.array_equal(value, ref_value, equal_nan=True)
