"""Per-row answers about GP items, kept up to date as items become visible (fed by ``GpRecordTable.listen``).

Each class holds one answer for every row of a GP record table and folds in each batch of newly
visible items, in effective-date order (event day, then ledger seq), as the table passes them:
O(items that became visible), never a patient's history. They answer what :class:`~.items.GpItems`
answers from the whole history, for the same items:

- :class:`LatestItem`: the latest item of a type and concept set (as ``GpItems.last``);
- :class:`FirstItem`: the earliest one and how many there are (as ``GpItems.first``);
- :class:`Readings`: every reading of a concept set, one per ledger event (``GpItems.one_per_event``),
  for windowed statistics (the SD of recent readings);
- :class:`DrugIssues`: each drug concept's latest issue and latest end (as ``GpItems.current_medication``).

Items are keyed by ``event_day << 32 | seq`` (int64; ordering by key is ordering by (day, seq)).
``forget(rows)`` empties rows given a new patient. Items are (k,) store columns with ``row`` (k,).
The item-by-item folds of the first, latest and drug answers are compiled loops
(:mod:`.row_items_kernel`, numba, imported on first use).
"""

from __future__ import annotations

import numpy as np

from twin_env.record.store import ItemType
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NO_DAY

__all__ = ["DrugIssues", "FirstItem", "LatestItem", "Readings"]

_NONE_LATEST = np.iinfo(np.int64).min  # no item held (any key is later)
_NONE_FIRST = np.iinfo(np.int64).max  # no item held (any key is earlier)
_N_CONCEPTS = max(Concept) + 1


def _day_seq(key: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(day, seq) int64 of ``key`` where ``found``, else (NO_DAY, -1)."""
    return np.where(found, key >> 32, NO_DAY), np.where(found, key & 0xFFFFFFFF, -1)


def _matching(items: dict[str, np.ndarray], item: int, concepts: np.ndarray) -> np.ndarray:
    """Positions of items of type ``item`` whose concept is marked in ``concepts`` (a (max concept + 1,) bool table)."""
    return np.flatnonzero((items["item"] == item) & concepts[items["concept"]])


def _concept_table(concepts: tuple[int, ...]) -> np.ndarray:
    """A (max concept + 1,) bool table marking ``concepts``."""
    table = np.zeros(_N_CONCEPTS, dtype=bool)
    table[list(concepts)] = True
    return table


class LatestItem:
    """Each row's latest item (by event day, then seq) of type ``item`` with one of ``concepts``.

    ``lookup`` (indexed by concept): the value held is ``lookup[concept]`` instead of the recorded value.
    """

    def __init__(self, n: int, item: ItemType, concepts: tuple[int, ...], lookup: np.ndarray | None = None) -> None:
        self.item, self.concepts = int(item), _concept_table(concepts)
        self.lookup = np.zeros(0) if lookup is None else np.asarray(lookup, dtype=np.float64)
        self.key = np.full(n, _NONE_LATEST, dtype=np.int64)
        self.value = np.full(n, np.nan)

    def fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        from twin_env.record.gp.row_items_kernel import fold_latest  # noqa: PLC0415 (numba: compiled on first use)

        fold_latest(
            row, items["item"], items["concept"], items["event_day"], items["seq"], items["value"], self.item,
            self.concepts, self.lookup, self.key, self.value,
        )  # fmt: skip

    def forget(self, rows: np.ndarray) -> None:
        self.key[rows], self.value[rows] = _NONE_LATEST, np.nan

    def at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(found bool, value float64 (NaN none), day, seq) of ``rows`` (k,)."""
        key = self.key[rows]
        found = key != _NONE_LATEST
        return (found, np.where(found, self.value[rows], np.nan), *_day_seq(key, found))


class FirstItem:
    """Each row's earliest item (by event day, then seq) of type ``item`` with one of ``concepts`` (None: any),
    and how many such items are visible."""

    def __init__(self, n: int, item: ItemType, concepts: tuple[int, ...] | None) -> None:
        self.item = int(item)
        self.concepts = np.zeros(0, dtype=bool) if concepts is None else _concept_table(concepts)
        self.key = np.full(n, _NONE_FIRST, dtype=np.int64)
        self.count = np.zeros(n, dtype=np.int64)

    def fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        from twin_env.record.gp.row_items_kernel import fold_first  # noqa: PLC0415 (numba: compiled on first use)

        fold_first(
            row, items["item"], items["concept"], items["event_day"], items["seq"], self.item, self.concepts,
            self.key, self.count,
        )  # fmt: skip

    def forget(self, rows: np.ndarray) -> None:
        self.key[rows], self.count[rows] = _NONE_FIRST, 0

    def at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(found bool, day, seq, count) of ``rows`` (k,)."""
        key = self.key[rows]
        found = key != _NONE_FIRST
        return (found, *_day_seq(key, found), self.count[rows])


class Readings:
    """Each row's observations of ``concepts``, one per ledger event (the first filed), kept in growable
    (N, capacity) buffers: effective day, seq, value."""

    def __init__(self, n: int, concepts: tuple[int, ...], capacity: int = 16) -> None:
        self.concepts = _concept_table(concepts)
        self.size = np.zeros(n, dtype=np.int64)
        self.day = np.zeros((n, capacity), dtype=np.int64)
        self.seq = np.zeros((n, capacity), dtype=np.int64)
        self.value = np.zeros((n, capacity))

    def fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        at = _matching(items, int(ItemType.OBSERVATION), self.concepts)
        if at.size == 0:
            return
        r, seq = row[at], items["seq"][at].astype(np.int64)
        first = np.sort(np.unique(r.astype(np.int64) << 32 | seq, return_index=True)[1])  # once per event
        r, seq, at = r[first], seq[first], at[first]
        held = np.arange(self.day.shape[1]) < self.size[r][:, None]
        new = ~((self.seq[r] == seq[:, None]) & held).any(axis=1)  # an event already held is not read again
        r, seq, at = r[new], seq[new], at[new]
        if r.size == 0:
            return
        order = np.argsort(r, kind="stable")
        r, seq, at = r[order], seq[order], at[order]
        starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        slot = self.size[r] + np.arange(r.size) - np.repeat(starts, np.diff(np.r_[starts, r.size]))
        self._grow(int(slot.max()) + 1)
        self.day[r, slot], self.seq[r, slot] = items["event_day"][at], seq
        self.value[r, slot] = items["value"][at]
        np.add.at(self.size, r, 1)

    def _grow(self, capacity: int) -> None:
        """Make room for ``capacity`` readings per row (doubling)."""
        held = self.day.shape[1]
        if capacity <= held:
            return
        wider = max(capacity, 2 * held)
        for name in ("day", "seq", "value"):
            old = getattr(self, name)
            new = np.zeros((len(old), wider), dtype=old.dtype)
            new[:, :held] = old
            setattr(self, name, new)

    def forget(self, rows: np.ndarray) -> None:
        self.size[rows] = 0

    def since(self, rows: np.ndarray, day: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The readings of ``rows`` (k,) effective on or after ``day`` ((k,) or None: all), as flat (m,) arrays
        ordered by request position, then seq: (position in ``rows``, effective day, seq, value)."""
        keep = np.arange(self.day.shape[1]) < self.size[rows][:, None]
        if day is not None:
            keep &= self.day[rows] >= day[:, None]
        pos, slot = np.nonzero(keep)
        r = rows[pos]
        seq = self.seq[r, slot]
        order = np.lexsort((seq, pos))
        return pos[order], self.day[r, slot][order], seq[order], self.value[r, slot][order]


class DrugIssues:
    """Each row's latest issue (MEDICATION) and latest end (MEDICATION_END) of each of ``concepts`` (C,)."""

    def __init__(self, n: int, concepts: tuple[int, ...]) -> None:
        self.column = np.full(_N_CONCEPTS, -1, dtype=np.int64)
        self.column[list(concepts)] = np.arange(len(concepts))
        self.issue = np.full((n, len(concepts)), _NONE_LATEST, dtype=np.int64)
        self.end = np.full((n, len(concepts)), _NONE_LATEST, dtype=np.int64)

    def fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        from twin_env.record.gp.row_items_kernel import fold_issues  # noqa: PLC0415 (numba: compiled on first use)

        fold_issues(
            row, items["item"], items["concept"], items["event_day"], items["seq"], int(ItemType.MEDICATION),
            int(ItemType.MEDICATION_END), self.column, self.issue, self.end,
        )  # fmt: skip

    def forget(self, rows: np.ndarray) -> None:
        self.issue[rows], self.end[rows] = _NONE_LATEST, _NONE_LATEST

    def at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(k, C) of ``rows``: issued, issue day, issue seq, ended, end day (as ``GpItems._last_per_concept``)."""
        issue, end = self.issue[rows], self.end[rows]
        issued, ended = issue != _NONE_LATEST, end != _NONE_LATEST
        issue_day, issue_seq = _day_seq(issue, issued)
        return issued, issue_day, issue_seq, ended, _day_seq(end, ended)[0]
