"""What the GP record shows of each row's results on a day: the reader care's prescribing checks use.

A :class:`~twin_env.record.gp.table.GpRecordTable` folded in incrementally (cost per new item, not per
patient): care asks for rows on their own days, and a row's view only moves forward in time (a later
question about an earlier day sees what the record showed on the latest day asked, never less).
"""

from __future__ import annotations

import numpy as np

from twin_env.record.gp.table import GpRecordTable
from twin_env.record.record import Record
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NO_DAY


class RecordedResults:
    """Latest recorded observations of ``record``'s rows (N,), as the GP record shows them on a day."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.table = GpRecordTable(record.n_patients, record.first_id)
        self.day = np.full(record.n_patients, NO_DAY, dtype=np.int64)

    def latest(self, rows: np.ndarray, day: np.ndarray, concept: Concept, today: np.ndarray) -> np.ndarray:
        """(k,) latest value of observation ``concept`` for distinct ``rows`` (k,) on ``day`` (k,); NaN if none.

        ``today`` (N,): every row's current date (views move at least that far, so items of rows not
        asked about do not wait). The ledger is ingested first, so results logged earlier in this
        step count once available.
        """
        record = self.record
        record.ingest()
        episode = record.episode_seq.astype(np.int64)
        moved = np.flatnonzero(self.table.episode_seq != episode)
        if moved.size:  # a new patient in the row (vector-env auto-reset)
            self.table.clear(moved, episode[moved])
            self.day[moved] = NO_DAY
        np.maximum(self.day, today, out=self.day)
        self.day[rows] = np.maximum(self.day[rows], np.asarray(day, dtype=np.int64))
        self.table.update(record.stores["gp"], self.day)
        return self.table.latest(concept)[rows]
