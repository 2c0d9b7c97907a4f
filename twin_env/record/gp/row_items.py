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
"""

from __future__ import annotations

import numpy as np

from twin_env.record.store import ItemType
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NO_DAY

__all__ = ["DrugIssues", "FirstItem", "LatestItem", "Readings", "item_key"]

_NONE_LATEST = np.iinfo(np.int64).min  # no item held (any key is later)
_NONE_FIRST = np.iinfo(np.int64).max  # no item held (any key is earlier)
_N_CONCEPTS = max(Concept) + 1


def item_key(items: dict[str, np.ndarray], at: np.ndarray) -> np.ndarray:
    """(k,) int64 ``event_day << 32 | seq`` of the items at positions ``at``."""
    return items["event_day"][at].astype(np.int64) << 32 | items["seq"][at].astype(np.int64)


def _day_seq(key: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(day, seq) int64 of ``key`` where ``found``, else (NO_DAY, -1)."""
    return np.where(found, key >> 32, NO_DAY), np.where(found, key & 0xFFFFFFFF, -1)


def _matching(items: dict[str, np.ndarray], item: int, concepts: np.ndarray | None) -> np.ndarray:
    """Positions of items of type ``item`` whose concept is marked in ``concepts`` (a (max concept + 1,) bool
    table; None: any concept)."""
    sel = items["item"] == item
    if concepts is not None:
        sel &= concepts[items["concept"]]
    return np.flatnonzero(sel)


def _concept_table(concepts: tuple[int, ...] | None) -> np.ndarray | None:
    """A (max concept + 1,) bool table marking ``concepts`` (None: any concept)."""
    if concepts is None:
        return None
    table = np.zeros(_N_CONCEPTS, dtype=bool)
    table[list(concepts)] = True
    return table


def _last_of_each(row: np.ndarray) -> np.ndarray:
    """Positions (into ``row`` (k,)) of the last occurrence of each distinct row."""
    return len(row) - 1 - np.unique(row[::-1], return_index=True)[1]


class LatestItem:
    """Each row's latest item (by event day, then seq) of type ``item`` with one of ``concepts``.

    ``lookup`` (indexed by concept): the value held is ``lookup[concept]`` instead of the recorded value.
    """

    def __init__(self, n: int, item: ItemType, concepts: tuple[int, ...], lookup: np.ndarray | None = None) -> None:
        self.item, self.concepts, self.lookup = int(item), _concept_table(concepts), lookup
        self.key = np.full(n, _NONE_LATEST, dtype=np.int64)
        self.value = np.full(n, np.nan)

    def fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        at = _matching(items, self.item, self.concepts)
        if at.size == 0:
            return
        last = _last_of_each(row[at])
        at = at[last]
        r, key = row[at], item_key(items, at)
        newer = key >= self.key[r]  # an equal key (the same event filed again) replaces, as the later item
        r, at = r[newer], at[newer]
        self.key[r] = key[newer]
        values = items["value"][at] if self.lookup is None else self.lookup[items["concept"][at]]
        self.value[r] = values

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
        self.item, self.concepts = int(item), _concept_table(concepts)
        self.key = np.full(n, _NONE_FIRST, dtype=np.int64)
        self.count = np.zeros(n, dtype=np.int64)

    def fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        at = _matching(items, self.item, self.concepts)
        if at.size == 0:
            return
        r = row[at]
        np.add.at(self.count, r, 1)
        first = np.unique(r, return_index=True)[1]
        r, key = r[first], item_key(items, at[first])
        earlier = key < self.key[r]
        self.key[r[earlier]] = key[earlier]

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
        j = self.column[items["concept"]]
        for item, held in ((ItemType.MEDICATION, self.issue), (ItemType.MEDICATION_END, self.end)):
            at = np.flatnonzero((items["item"] == item) & (j >= 0))
            if at.size == 0:
                continue
            cell = row[at] * held.shape[1] + j[at]
            at = at[_last_of_each(cell)]
            r, c, key = row[at], j[at], item_key(items, at)
            newer = key >= held[r, c]
            held[r[newer], c[newer]] = key[newer]

    def forget(self, rows: np.ndarray) -> None:
        self.issue[rows], self.end[rows] = _NONE_LATEST, _NONE_LATEST

    def at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(k, C) of ``rows``: issued, issue day, issue seq, ended, end day (as ``GpItems._last_per_concept``)."""
        issue, end = self.issue[rows], self.end[rows]
        issued, ended = issue != _NONE_LATEST, end != _NONE_LATEST
        issue_day, issue_seq = _day_seq(issue, issued)
        return issued, issue_day, issue_seq, ended, _day_seq(end, ended)[0]
