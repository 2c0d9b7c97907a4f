"""The systems of record. Each ``record_*`` function takes a batch of new ledger events (a dict of
(k,) columns as in :mod:`twin_env.record.ledger` plus ``key``, the patients' random-stream keys, and
``counter``, the event's number within its patient's episode: artefact draws use (key, counter))
and appends what that system would see, with its artefacts, to its store."""

from __future__ import annotations

import numpy as np

Batch = dict[str, np.ndarray]


def select(batch: Batch, mask: np.ndarray) -> Batch:
    """The rows of ``batch`` where ``mask`` (k,) is true (one index computed, then a take per column)."""
    index = np.flatnonzero(mask)
    return {name: column[index] for name, column in batch.items()}
