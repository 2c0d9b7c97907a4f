"""A rolling record (vector-env auto-reset): chunked reads and freeing finished patients' items."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.record.gp import GpItems, RecordSnapshot
from twin_env.record.store import ItemType, SystemStore


def _store(sizes: list[int]) -> SystemStore:
    store, pos = SystemStore("gp"), 0
    for k in sizes:
        idx = np.arange(pos, pos + k)
        store.append(idx % 7, idx, ItemType.OBSERVATION, 1, idx, value=idx * 1.0)
        pos += k
    return store


def test_buffers_grow_geometrically_and_since_reads_any_suffix_as_a_view() -> None:
    store = _store([3, 1, 4, 1, 5, 9, 2, 6] * 400)
    capacity = len(store._log._buffers["value"])
    assert len(store) <= capacity <= 4 * len(store)  # doubled, not grown row by row
    for start in (0, 1, 500, len(store) - 1, len(store)):
        suffix = store.since(start)["value"]
        np.testing.assert_array_equal(suffix, np.arange(start, len(store)) * 1.0)
        assert suffix.base is not None and not suffix.flags.writeable  # a read-only view, no copy


def test_views_handed_out_stay_valid_across_appends_and_forgetting() -> None:
    store = _store([5] * 10)
    view = store.since(20)["value"]
    for k in (3000, 7):  # the first append grows the buffers
        start = len(store)
        store.append(np.zeros(k, np.int32), np.arange(start, start + k), ItemType.OBSERVATION, 1, np.zeros(k))
    store.forget_before(30)
    np.testing.assert_array_equal(view, np.arange(20, 50) * 1.0)


def test_forget_before_frees_rows_and_keeps_positions() -> None:
    store = _store([5] * 100)
    before = store.nbytes
    store.forget_before(321)
    assert store.held_from == 321 and len(store) == 500 and store.nbytes < 0.7 * before
    np.testing.assert_array_equal(store.since(400)["value"], np.arange(400, 500) * 1.0)
    np.testing.assert_array_equal(store.columns["value"], np.arange(321, 500) * 1.0)
    with pytest.raises(ValueError, match="rows before 321 have been forgotten"):
        store.since(300)


def test_a_long_rolling_vector_env_holds_only_current_patients() -> None:
    env = PrimaryCareVectorEnv(8, {"horizon_years": 0.5})
    env.reset(seed=1)
    record = env.batch.sim.record
    for _ in range(120):  # 20 episodes per row
        env.step(np.zeros(8, dtype=np.int64))
    gp, ledger = record.stores["gp"], record.ledger
    assert gp.held_from > 0.7 * len(gp) and ledger.held_from > 0.7 * len(ledger)
    assert (record._episode_start["gp"] >= gp.held_from).all()


def test_the_record_knows_each_rows_current_patient() -> None:
    """``Record.episode_seq`` is the env table's ``episode_seq``: readers that default to it hide earlier patients."""
    env = PrimaryCareVectorEnv(4, {"horizon_years": 0.25})
    env.reset(seed=2)
    for _ in range(5):  # past the first auto-reset of every row
        env.step(np.zeros(4, dtype=np.int64))
    batch = env._batch
    record = batch.sim.record
    np.testing.assert_array_equal(record.episode_seq, batch.table.episode_seq)
    assert (record.episode_seq > 0).any()
    for row in range(4):
        patient, day = record.first_id + row, int(batch.sim.days[row])
        mine = RecordSnapshot.from_record(record, patient, day, 60.0, 56.0)
        first = int(batch.table.episode_seq[row])
        assert mine.digest == RecordSnapshot.from_store(record.stores["gp"], patient, day, 60.0, 56.0, first).digest
        assert (mine.columns["seq"] >= record.episode_seq[row]).all()
        items = GpItems.of(record, np.array([patient]), day)
        assert sorted(items.cols["seq"].tolist()) == sorted(mine.columns["seq"].tolist())


def test_stores_keep_no_unread_queue() -> None:
    """Readers of a store keep their own position (``since``): appended chunks are not held twice."""
    store = _store([5] * 10)
    assert store._log._unread_from is None
    with pytest.raises(ValueError, match="no unread queue"):
        store._log.take_unread()
