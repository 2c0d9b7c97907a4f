"""The systems of record. Each ``record_*`` function takes a batch of new ledger events (a mapping of
(k,) columns as in :mod:`twin_env.record.ledger` plus ``key``, the patients' random-stream keys, and
``counter``, the event's number within its patient's episode: artefact draws use (key, counter))
and appends what that system would see, with its artefacts, to its store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

Batch = Mapping[str, np.ndarray]


class Selected(Mapping[str, np.ndarray]):
    """Some rows of a batch: each column is taken (``column[index]``) when first read, once.

    A system reads a few of the batch's columns for each kind of event it records, so taking only
    those read saves most of the takes of a small batch.
    """

    def __init__(self, batch: Batch, index: np.ndarray) -> None:
        self._batch, self._index = batch, index
        self._taken: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        column = self._taken.get(name)
        if column is None:
            column = self._taken[name] = self._batch[name][self._index]
        return column

    def __iter__(self) -> Iterator[str]:
        return iter(self._batch)

    def __len__(self) -> int:
        return len(self._batch)


def select(batch: Batch, mask: np.ndarray) -> Batch:
    """The rows of ``batch`` where ``mask`` (k,) is true (one index computed; a column taken when read)."""
    return Selected(batch, np.flatnonzero(mask))
