"""The ledger's append path: compiled numbering against the NumPy reference it replaced, and the GP's direct entries."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.record.ledger import Ledger, LedgerKind
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems.gp import _DIRECT, record_direct


def _reference_seq(next_seq: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The NumPy numbering the kernel replaced: consecutive numbers per row in the given order (advances next_seq)."""
    k = rows.size
    counts = np.bincount(rows, minlength=len(next_seq))
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    rank = np.arange(k) - np.repeat(starts, np.diff(np.r_[starts, k]))
    seq = np.empty(k, dtype=np.int32)
    seq[order] = next_seq[sorted_rows] + rank
    next_seq += counts.astype(np.int32)
    return seq


def test_numbering_equals_the_numpy_reference_with_repeated_rows() -> None:
    rng = np.random.default_rng(3)
    n = 50
    ledger, next_seq = Ledger(n, first_id=7), np.zeros(n, dtype=np.int32)
    for _ in range(40):
        rows = rng.integers(0, n, size=int(rng.integers(0, 30)))
        seq = ledger.append(rows, LedgerKind.CONSULTATION, 1, 18_000)
        assert seq.dtype == np.int32
        assert np.array_equal(seq, _reference_seq(next_seq, rows))
    assert np.array_equal(ledger.next_seq(np.arange(n)), next_seq)
    cols = ledger.columns
    assert len(cols["patient"]) == len(ledger)
    for patient in range(7, 7 + n):  # each patient's events numbered 0, 1, 2, ... in append order
        assert cols["seq"][cols["patient"] == patient].tolist() == list(range(int(next_seq[patient - 7])))


def test_a_row_outside_the_batch_is_refused_and_nothing_is_logged() -> None:
    ledger = Ledger(4)
    ledger.append(np.array([0, 1]), LedgerKind.CONSULTATION, 1, 18_000)
    for bad in ([0, 4], [-1]):
        with pytest.raises(ValueError, match="batch rows 0-3"):
            ledger.append(np.array(bad), LedgerKind.CONSULTATION, 1, 18_000)
    assert len(ledger) == 2
    assert ledger.next_seq(np.arange(4)).tolist() == [1, 1, 0, 0]


def test_columns_take_scalars_and_arrays_in_their_dtypes() -> None:
    ledger = Ledger(3)
    ledger.append(np.array([2, 0]), LedgerKind.TEST_RESULT, np.array([5, 6]), np.array([18_001, 18_002]), 1.5, -1)
    ledger.append(np.array([1]), LedgerKind.OBSERVATION, 3, 18_003, value=np.array([2.25]), link=np.array([9]))
    cols = ledger.columns
    assert cols["patient"].tolist() == [2, 0, 1]
    assert cols["kind"].tolist() == [LedgerKind.TEST_RESULT] * 2 + [LedgerKind.OBSERVATION]
    assert cols["concept"].tolist() == [5, 6, 3] and cols["day"].tolist() == [18_001, 18_002, 18_003]
    assert cols["value"].tolist() == [1.5, 1.5, 2.25] and cols["link"].tolist() == [-1, -1, 9]
    assert not cols["seq"].flags.writeable


def test_direct_entries_are_appended_kind_by_kind_in_ledger_order() -> None:
    rng = np.random.default_rng(5)
    kinds = np.array([int(k) for k in LedgerKind], dtype=np.int8)
    k = 200
    batch = {
        "patient": rng.integers(0, 20, k).astype(np.int32),
        "seq": np.arange(k, dtype=np.int32),
        "day": rng.integers(18_000, 18_100, k).astype(np.int32),
        "kind": rng.choice(kinds, k),
        "concept": rng.integers(1, 50, k).astype(np.int16),
        "value": rng.random(k),
    }
    gp = SystemStore("gp")
    record_direct(batch, gp)
    expected = SystemStore("gp")  # the reference: one append per kind, in the order of _DIRECT
    for ledger_kind, item in _DIRECT.items():
        at = np.flatnonzero(batch["kind"] == ledger_kind)
        expected.append(
            batch["patient"][at],
            batch["seq"][at],
            item,
            batch["concept"][at],
            batch["day"][at],
            value=batch["value"][at],
        )
    assert len(gp) == len(expected) > 0
    for name, column in expected.columns.items():
        assert np.array_equal(gp.columns[name], column, equal_nan=True), name
    assert set(gp.columns["item"].tolist()) <= {int(i) for i in ItemType}


def test_direct_kinds_table_names_exactly_the_gp_only_kinds() -> None:
    from twin_env.record.systems.gp import IS_DIRECT_KIND

    assert sorted(np.flatnonzero(IS_DIRECT_KIND).tolist()) == sorted(int(k) for k in _DIRECT)
    assert not IS_DIRECT_KIND.flags.writeable
