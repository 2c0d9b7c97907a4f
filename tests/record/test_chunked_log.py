"""ChunkedLog: views stay linked to their buffers after a copy, so a copied log keeps reading its own appends."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from twin_env.record.chunked_log import ChunkedLog


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda log: pickle.loads(pickle.dumps(log))])
def test_a_copied_log_reads_the_rows_appended_after_the_copy(clone) -> None:
    log = ChunkedLog({"a": np.int64, "b": np.float64}, unread=False)
    log.append({"a": np.arange(3), "b": 0.5}, 3)
    twin = clone(log)
    twin.append({"a": np.array([7, 8]), "b": np.array([1.0, 2.0])}, 2)
    assert twin.columns["a"].tolist() == [0, 1, 2, 7, 8]
    assert twin.since(3)["b"].tolist() == [1.0, 2.0]
    assert log.columns["a"].tolist() == [0, 1, 2]  # the original is untouched
    assert not twin.columns["a"].flags.writeable
