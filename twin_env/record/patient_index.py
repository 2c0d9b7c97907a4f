"""Where each patient row's items sit in a store: reading some rows' items costs their items, not the store's.

:class:`PatientIndex` keeps, per row, the store positions of the row's current patient's items
(compressed sparse rows: ``positions`` grouped by row, each group in append order; ``starts``
(N + 1,) the group bounds). It folds in the store's new items on :meth:`update` (one stable sort of
the new items and one insert) and drops a row's items when a new patient takes it (:meth:`clear`).
"""

from __future__ import annotations

import numpy as np

from twin_env.record.store import SystemStore


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The concatenated integer ranges ``[starts[i], stops[i])`` (k,) as one int64 array."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return shift + np.arange(total, dtype=np.int64)


class PatientIndex:
    """Store positions of each of ``n`` rows' current items (patient id = ``first_id + row``)."""

    def __init__(self, store: SystemStore, n: int, first_id: int, episode_start: np.ndarray) -> None:
        """Index the items of the rows' current patients: those at or after ``episode_start`` (N,) positions."""
        self.store, self.first_id = store, first_id
        self.starts = np.zeros(n + 1, dtype=np.int64)
        self.positions = np.zeros(0, dtype=np.int64)
        self._cursor = int(episode_start.min()) if n else len(store)
        self.update()
        row = np.repeat(np.arange(n), np.diff(self.starts))
        lengths = np.bincount(row, self.positions >= episode_start[row], minlength=n).astype(np.int64)
        self.positions = self.positions[self.positions >= episode_start[row]]
        self.starts[1:] = np.cumsum(lengths)

    def update(self) -> None:
        """Fold in the items appended to the store since the last call."""
        start = self._cursor
        new = self.store.since(start)["patient"]
        self._cursor = len(self.store)
        if len(new) == 0:
            return
        row = new.astype(np.intp) - self.first_id
        order = np.argsort(row, kind="stable")
        row = row[order]
        self.positions = np.insert(self.positions, self.starts[row + 1], start + order)
        self.starts[1:] += np.cumsum(np.bincount(row, minlength=len(self.starts) - 1))

    def clear(self, rows: np.ndarray) -> None:
        """Forget the items of ``rows`` (k,): new patients take them (call after :meth:`update`)."""
        lengths = np.diff(self.starts)
        gone = np.zeros(len(lengths), dtype=bool)
        gone[rows] = True
        self.positions = self.positions[np.repeat(~gone, lengths)]
        lengths[gone] = 0
        self.starts[1:] = np.cumsum(lengths)

    def of(self, rows: np.ndarray) -> np.ndarray:
        """(m,) store positions of the current items of ``rows`` (k,), ascending (append order)."""
        self.update()
        rows = np.asarray(rows, dtype=np.intp)
        return np.sort(self.positions[_ranges(self.starts[rows], self.starts[rows + 1])])
