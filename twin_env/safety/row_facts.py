"""The record facts safety rules read, kept per row of a GP record table as its items become visible.

A :class:`~twin_env.record.gp.snapshot.RecordSnapshot` answers a rule's predicates for one patient by
reading all of the patient's items. :class:`RowFacts` answers them for every row of a
:class:`~twin_env.record.gp.table.GpRecordTable` at once from per-row arrays folded in as items become
visible (:meth:`~twin_env.record.gp.table.GpRecordTable.listen`): the latest observation of each concept a
rule reads, the last day each concept was recorded, coded problems, referrals, a recorded death and each
catalogue drug's last issue or end. "Latest" and "last" follow the snapshot's order (effective day, seq,
item type, concept, available day), and every fold keeps a maximum, so folding an item twice changes
nothing. Rows the table clears (a new patient) start afresh; the items the table already shows when the facts
are built are handed over by the table's listener registration.
"""

from __future__ import annotations

import numpy as np

from twin_env.record.gp.coding import DRUG_OF, MEDICATIONS, SERVICE_OF
from twin_env.record.gp.table import GpRecordTable
from twin_env.record.store import ItemType
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NO_DAY

__all__ = ["RowFacts"]

_NONE = np.iinfo(np.int64).min  # the key of "no item held"
_SIZE = int(max(Concept)) + 1


def _columns(concepts: frozenset[Concept]) -> tuple[np.ndarray, int]:
    """(C,) intp lookup concept -> column (-1 if not held) and the number of columns."""
    lookup = np.full(_SIZE, -1, dtype=np.intp)
    for i, c in enumerate(sorted(concepts)):
        lookup[int(c)] = i
    return lookup, len(concepts)


def _event_key(event_day: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """(k,) int64 ordering items by (effective day, seq), as the snapshot sorts them."""
    return event_day.astype(np.int64) * (1 << 32) + seq.astype(np.int64)


def _keep_last(
    held_keys: tuple[np.ndarray, ...],
    held: tuple[np.ndarray, ...],
    at: tuple[np.ndarray, np.ndarray],
    keys: tuple[np.ndarray, ...],
    values: tuple[np.ndarray, ...],
) -> None:
    """Write each cell's last item (largest ``keys``, compared in order) where it is at or after the held one.

    ``held_keys``/``held``: (N, m) arrays; ``at``: (k,) rows and columns; ``keys``/``values``: (k,) per item.
    """
    if len(at[0]) == 0:
        return
    cell = at[0] * held_keys[0].shape[1] + at[1]
    order = np.lexsort((*reversed(keys), cell))  # by cell, then keys ascending
    cell = cell[order]
    last = order[np.append(cell[1:] != cell[:-1], True)]
    r, c = at[0][last], at[1][last]
    later = np.zeros(len(last), dtype=bool)
    tied = np.ones(len(last), dtype=bool)
    for held_key, key in zip(held_keys, keys):  # lexicographic: later if a key is larger and every earlier key tied
        new, old = key[last], held_key[r, c]
        later |= tied & (new > old)
        tied &= new == old
    write = later | tied
    r, c, last = r[write], c[write], last[write]
    for array, new in zip((*held_keys, *held), (*keys, *values)):
        array[r, c] = new[last]


class RowFacts:
    """Per-row facts of the N rows of ``table`` (patient id = ``table.first_id + row``) for predicates.

    Args:
        table: the GP table whose items are folded in (this registers a listener on it: it hands over the items
            it already shows, then each batch as it shows it, and the rows it clears).
        latest: observation concepts whose latest value is kept (``latest``).
        recorded: concepts whose last effective day over any item type is kept (``recorded_within``).
        problems: concepts whose coded problem is kept (``problem``).

    Arrays (all (N, ...)): ``value`` (latest observation, NaN if none; columns ``latest`` sorted),
    ``recorded_day`` (``NO_DAY`` if none), ``problem`` (bool), ``referral_day`` (per referral service,
    :data:`~twin_env.record.gp.coding.SERVICES` order), ``death`` (bool), and per catalogue drug
    (:data:`~twin_env.record.gp.coding.MEDICATIONS` order) ``issued`` (bool: the last item is an issue),
    ``dose`` and ``drug_day`` (its value and effective day).
    """

    def __init__(
        self,
        table: GpRecordTable,
        latest: frozenset[Concept] = frozenset(),
        recorded: frozenset[Concept] = frozenset(),
        problems: frozenset[Concept] = frozenset(),
    ) -> None:
        n = len(table.episode_seq)
        self.table = table
        self.latest_col, m_latest = _columns(latest)
        self.recorded_col, m_recorded = _columns(recorded)
        self.problem_col, m_problem = _columns(problems)
        self.value = np.full((n, m_latest), np.nan)
        self._value_key = (np.full((n, m_latest), _NONE), np.full((n, m_latest), _NONE))
        self.recorded_day = np.full((n, m_recorded), NO_DAY, dtype=np.int64)
        self.problem = np.zeros((n, m_problem), dtype=bool)
        self.referral_day = np.full((n, int(SERVICE_OF.max()) + 1), NO_DAY, dtype=np.int64)
        self.death = np.zeros(n, dtype=bool)
        d = len(MEDICATIONS)
        self._drug_key = (np.full((n, d), _NONE), np.full((n, d), _NONE), np.full((n, d), _NONE))
        self.issued = np.zeros((n, d), dtype=bool)
        self.dose = np.full((n, d), np.nan)
        self.drug_day = np.full((n, d), NO_DAY, dtype=np.int64)
        table.listen(self._fold, self._forget)  # given what the table shows so far, then each batch as it shows

    def _forget(self, rows: np.ndarray) -> None:
        """Forget ``rows`` (the table cleared them: a new patient in them)."""
        for array, empty in (
            (self.value, np.nan), *((k, _NONE) for k in self._value_key), (self.recorded_day, NO_DAY),
            (self.problem, False), (self.referral_day, NO_DAY), (self.death, False),
            *((k, _NONE) for k in self._drug_key), (self.issued, False), (self.dose, np.nan), (self.drug_day, NO_DAY),
        ):  # fmt: skip
            array[rows] = empty

    def _fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        """Fold visible items (k,) of batch ``row`` (k,), in any order, into the per-row facts."""
        if len(row) == 0:
            return
        kind, concept = items["item"], items["concept"].astype(np.intp)
        eday, key = items["event_day"].astype(np.int64), _event_key(items["event_day"], items["seq"])
        avail = items["available_day"].astype(np.int64)
        col = self.latest_col[concept]
        sel = np.flatnonzero((kind == ItemType.OBSERVATION) & (col >= 0))
        _keep_last(self._value_key, (self.value,), (row[sel], col[sel]), (key[sel], avail[sel]), (items["value"][sel],))
        col = self.recorded_col[concept]
        sel = col >= 0
        np.maximum.at(self.recorded_day, (row[sel], col[sel]), eday[sel])
        col = self.problem_col[concept]
        sel = (kind == ItemType.PROBLEM) & (col >= 0)
        self.problem[row[sel], col[sel]] = True
        service = SERVICE_OF[concept].astype(np.intp)
        sel = (kind == ItemType.REFERRAL) & (service >= 0)
        np.maximum.at(self.referral_day, (row[sel], service[sel]), eday[sel])
        self.death[row[kind == ItemType.DEATH]] = True
        drug = DRUG_OF[concept].astype(np.intp)
        sel = np.flatnonzero(((kind == ItemType.MEDICATION) | (kind == ItemType.MEDICATION_END)) & (drug >= 0))
        if sel.size:
            kind_concept = kind[sel].astype(np.int64) * _SIZE + concept[sel]
            _keep_last(
                self._drug_key,
                (self.issued, self.dose, self.drug_day),
                (row[sel], drug[sel]),
                (key[sel], kind_concept, avail[sel]),
                (kind[sel] == ItemType.MEDICATION, items["value"][sel], eday[sel]),
            )
