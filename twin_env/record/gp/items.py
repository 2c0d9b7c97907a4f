"""The GP items n patients' records show on their days, with windowed queries: the reader for model inputs.

:meth:`GpItems.of` reads each patient's current-episode items from the GP store once and keeps
those visible (:mod:`twin_env.record.gp.visibility`); queries then answer per patient (n,) in a
few vectorised passes: the latest or first item of a set of concepts, the current medication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin_env.record.gp.visibility import visible
from twin_env.record.store import ItemType
from twin_env.vocab.dates import NO_DAY

if TYPE_CHECKING:
    from twin_env.record.record import Record


#: Read through the record's per-patient index when at most 1 / this of the rows are asked for.
_INDEXED_SHARE = 4


class GpItems:
    """The GP items of ``n`` requested patients visible on ``day``, each tagged with its patient's position.

    ``cols``: (k,) store columns of the items; ``out``: (k,) position of each item's patient in
    the request; ``day``: one day number (days since 1970-01-01) for all patients, or (n,) one
    per patient (vector-env rows drift apart). Per-patient results are (n,) arrays; days are
    int64 (:data:`~twin_env.vocab.dates.NO_DAY` if none), seqs int64 ledger seqs (-1 if none).
    """

    def __init__(self, cols: dict[str, np.ndarray], out: np.ndarray, n: int, day: int | np.ndarray) -> None:
        self.cols, self.out, self.n, self.day = cols, out, n, day

    @classmethod
    def of(
        cls, record: Record, patients: np.ndarray, day: int | np.ndarray, first_seq: np.ndarray | None = None
    ) -> GpItems:
        """The visible GP items of ``patients`` (n,) ids, distinct, of ``record``.

        ``first_seq`` (n,): each patient's first ledger seq (a rolling record reuses ids; earlier
        patients' items are not this one's); default :attr:`Record.episode_seq` of the rows.
        """
        n_record = record.n_patients
        current_seq = record.episode_seq[patients - record.first_id].astype(np.int64)
        if first_seq is None:
            first_seq = current_seq
        if len(patients) * _INDEXED_SHARE <= n_record and (first_seq >= current_seq).all():
            cols = record.stores["gp"].columns  # a few rows: read only their items, at these positions
            at = record.patient_rows("gp", patients)
        else:
            cols = record.current_items("gp", patients)  # most rows: one pass over the episode's items
            at = None

        def column(name: str, rows: np.ndarray | None = None) -> np.ndarray:
            """A store column at positions ``rows`` of the read items (all if None), taken once."""
            if at is None:
                return cols[name] if rows is None else cols[name][rows]
            return cols[name][at if rows is None else at[rows]]

        out_row = np.full(n_record, -1, dtype=np.int64)
        out_row[patients - record.first_id] = np.arange(len(patients))
        local = column("patient").astype(np.int64) - record.first_id
        rows = np.flatnonzero((local >= 0) & (local < n_record))
        rows = rows[out_row[local[rows]] >= 0]
        out = out_row[local[rows]]
        today = np.broadcast_to(np.asarray(day, dtype=np.int64), patients.shape)[out]
        keep = visible(column("available_day", rows), column("seq", rows), today, first_seq[out])
        rows = rows[keep]
        return cls({k: column(k, rows) for k in cols}, out[keep], len(patients), day)

    def select(
        self, item: ItemType, concepts: tuple[int, ...] | None = None, since: int | np.ndarray | None = None
    ) -> np.ndarray:
        """Indices of items of type ``item`` with one of ``concepts`` (any if None), effective on or after ``since``."""
        c = self.cols
        mask = c["item"] == item
        if concepts is not None:
            mask &= np.isin(c["concept"], np.asarray(concepts, dtype=np.int16))
        if since is not None:
            mask &= c["event_day"] >= np.broadcast_to(since, (self.n,))[self.out]
        return np.flatnonzero(mask)

    def concept_values(self, lookup: np.ndarray) -> np.ndarray:
        """(k,) ``lookup[concept]`` of every item (``lookup``: an array indexed by concept)."""
        return lookup[self.cols["concept"]]

    def one_per_event(self, idx: np.ndarray) -> np.ndarray:
        """``idx`` keeping one item per (patient, ledger event): a result filed twice counts once."""
        key = self.out[idx] << 32 | self.cols["seq"][idx]
        return idx[np.unique(key, return_index=True)[1]]

    def sd(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per patient: (sample SD of the values among ``idx``, NaN with fewer than 2; int64 count)."""
        return grouped_sd(self.out[idx], self.cols["value"][idx], self.n)

    def last(
        self, idx: np.ndarray, values: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per patient: (found bool, value, day, seq) of the latest item (by effective day, then seq) among ``idx``.

        ``values`` (one per item, default the recorded value) is what ``value`` is read from.
        """
        c = self.cols
        values = c["value"] if values is None else values
        order = idx[np.lexsort((c["seq"][idx], c["event_day"][idx], self.out[idx]))]
        found = np.zeros(self.n, dtype=bool)
        value, day, seq = (
            np.full(self.n, np.nan),
            np.full(self.n, NO_DAY, dtype=np.int64),
            np.full(self.n, -1, dtype=np.int64),
        )
        row = self.out[order]  # ascending groups; assigning in order leaves the last of each group
        found[row] = True
        value[row], day[row], seq[row] = values[order], c["event_day"][order], c["seq"][order]
        return found, value, day, seq

    def first(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per patient: (found bool, day, seq, count) of the earliest item among ``idx`` and how many there are."""
        c = self.cols
        order = idx[np.lexsort((-c["seq"][idx], -c["event_day"][idx], self.out[idx]))]
        found = np.zeros(self.n, dtype=bool)
        day, seq = np.full(self.n, NO_DAY, dtype=np.int64), np.full(self.n, -1, dtype=np.int64)
        row = self.out[order]
        found[row] = True
        day[row], seq[row] = c["event_day"][order], c["seq"][order]
        count = np.bincount(self.out[idx], minlength=self.n).astype(np.int64)
        return found, day, seq, count

    def current_medication(
        self, concepts: tuple[int, ...], window_days: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per patient: (current, day, seq) of the latest issue of one of ``concepts`` within ``window_days``.

        An issue is current if no end of the same concept is dated after it; between concepts with
        current issues on the same latest day, the first in ``concepts`` wins. One sort for all concepts.
        """
        distinct = list(dict.fromkeys(int(c) for c in concepts))
        if not distinct:
            return np.zeros(self.n, dtype=bool), np.full(self.n, NO_DAY, dtype=np.int64), np.full(self.n, -1, np.int64)
        issued, issue_day, issue_seq = self._last_per_concept(ItemType.MEDICATION, distinct)
        ended, end_day, _ = self._last_per_concept(ItemType.MEDICATION_END, distinct)
        return current_issue(issued, issue_day, issue_seq, ended, end_day, self.day, window_days)

    def _last_per_concept(self, item: ItemType, concepts: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n, C) found, day, seq of each patient's latest item of type ``item`` per concept (as :meth:`last`)."""
        c = self.cols
        column = np.full(int(max(concepts)) + 1, -1, dtype=np.int64)
        column[concepts] = np.arange(len(concepts))
        concept = c["concept"].astype(np.int64)
        idx = np.flatnonzero((c["item"] == item) & (concept < len(column)))
        idx = idx[column[concept[idx]] >= 0]
        j = column[concept[idx]]
        order = np.lexsort((c["seq"][idx], c["event_day"][idx], j, self.out[idx]))
        shape = (self.n, len(concepts))
        found = np.zeros(shape, dtype=bool)
        day, seq = np.full(shape, NO_DAY, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
        at = (self.out[idx][order], j[order])  # groups ascending: assigning in order leaves the last of each
        found[at] = True
        day[at], seq[at] = c["event_day"][idx][order], c["seq"][idx][order]
        return found, day, seq


def grouped_sd(group: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group 0..n-1: (sample SD of ``values`` (k,) in group ``group`` (k,), NaN with fewer than 2; int64 count).

    Sums run in the order given (``np.bincount``): callers pass each group's values in ledger-seq order.
    """
    k = np.bincount(group, minlength=n).astype(np.int64)
    mean = np.bincount(group, values, minlength=n) / np.maximum(k, 1)
    ss = np.bincount(group, (values - mean[group]) ** 2, minlength=n)
    return np.where(k >= 2, np.sqrt(ss / np.maximum(k - 1, 1)), np.nan), k


def current_issue(
    issued: np.ndarray,
    issue_day: np.ndarray,
    issue_seq: np.ndarray,
    ended: np.ndarray,
    end_day: np.ndarray,
    day: int | np.ndarray,
    window_days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per patient: (current, day, seq) of the latest current issue among C drug concepts.

    ``issued``/``issue_day``/``issue_seq`` (n, C): each concept's latest issue; ``ended``/``end_day`` (n, C):
    its latest end; ``day``: today (one or (n,)). An issue is current if issued within ``window_days`` of
    ``day`` and not ended since; between concepts current on the same latest day, the first column wins.
    """
    n = len(issued)
    current = np.zeros(n, dtype=bool)
    latest, seq = np.full(n, NO_DAY, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    for j in range(issued.shape[1]):
        now = (
            issued[:, j]
            & (issue_day[:, j] >= day - window_days)
            & (~ended[:, j] | (end_day[:, j] < issue_day[:, j]))
            & (issue_day[:, j] > latest)
        )
        current |= now
        latest[now], seq[now] = issue_day[now, j], issue_seq[now, j]
    return current, latest, seq
