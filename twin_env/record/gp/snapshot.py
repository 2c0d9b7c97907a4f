"""What the GP record shows for one patient on a day, item by item with ledger ids: the reader for rules.

Built from the GP system's store (items visible by :mod:`twin_env.record.gp.visibility`), never
from the twin. Each item keeps its ledger event id (``"<patient>-<seq>"``), which safety rules cite
as evidence; :attr:`RecordSnapshot.digest` pins the whole snapshot in audit logs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from twin_env.record.gp.coding import DRUG_OF_CONCEPT
from twin_env.record.gp.visibility import visible
from twin_env.record.store import ItemType, SystemStore
from twin_env.vocab.concepts import Concept

if TYPE_CHECKING:
    from twin_env.record.record import Record

__all__ = ["DRUG_OF_CONCEPT", "RecordSnapshot", "SnapshotItem"]

_ITEM_TYPES: dict[int, ItemType] = {int(t): t for t in ItemType}
_CONCEPTS: dict[int, Concept] = {int(c): c for c in Concept}


class SnapshotItem(NamedTuple):
    """One visible GP item: ledger event id, type, concept, value (NaN if none), days (a tuple: cheap to build)."""

    id: str
    item: ItemType
    concept: Concept
    value: float
    day: int
    available_day: int
    flags: int


#: Snapshot columns, in :class:`SnapshotItem` field order (``seq`` stands for the id).
_COLUMNS = ("seq", "item", "concept", "value", "event_day", "available_day", "flags")
_DRUG_CONCEPTS = np.array(sorted(int(c) for c in DRUG_OF_CONCEPT), dtype=np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class RecordSnapshot:
    """The GP record of ``patient`` as of ``day`` (days since 1970-01-01), items by effective date.

    ``columns`` holds the visible items as (k,) arrays named by :data:`_COLUMNS`, sorted by
    (effective day, seq, item type, concept, available day); rules query them through
    :meth:`of`, :meth:`latest`, :meth:`recorded_within`, :meth:`death` and :attr:`current_drugs`,
    which build :class:`SnapshotItem` tuples only for what they return (a patient has hundreds
    of items, a rule reads a few). ``age_years`` is registration data;
    ``medication_window_days`` how recently a drug must have been issued (and not ended) to
    count as current, as in the env.
    """

    patient: int
    day: int
    age_years: float
    columns: dict[str, np.ndarray]
    medication_window_days: float

    @classmethod
    def from_store(
        cls, store: SystemStore, patient: int, day: int, age_years: float, medication_window_days: float,
        first_seq: int = 0,
    ) -> RecordSnapshot:  # fmt: skip
        """``first_seq``: the patient's first event seq (a rolling vector-env record reuses ids across episodes)."""
        return cls._from_rows(store, store.rows_of(patient), patient, day, age_years, medication_window_days, first_seq)

    @classmethod
    def _from_rows(
        cls, store: SystemStore, rows: np.ndarray, patient: int, day: int, age_years: float,
        medication_window_days: float, first_seq: int,
    ) -> RecordSnapshot:  # fmt: skip
        """The snapshot from ``rows`` (indices into ``store.columns``) holding at least the patient's visible items."""
        cols = store.columns
        rows = rows[visible(cols["available_day"][rows], cols["seq"][rows], day, first_seq)]
        rows = rows[np.lexsort(tuple(cols[k][rows] for k in ("available_day", "concept", "item", "seq", "event_day")))]
        return cls(patient, day, float(age_years), {k: cols[k][rows] for k in _COLUMNS}, medication_window_days)

    @classmethod
    def from_record(
        cls, record: Record, patient: int, day: int, age_years: float, medication_window_days: float
    ) -> RecordSnapshot:
        """The snapshot of ``patient`` (id) of ``record``: its current patient's items (:attr:`Record.episode_seq`)."""
        first_seq = int(record.episode_seq[patient - record.first_id])
        store, rows = record.stores["gp"], record.patient_rows("gp", np.array([patient]))  # O(the patient's items)
        return cls._from_rows(store, rows, patient, day, age_years, medication_window_days, first_seq)

    @classmethod
    def from_items(
        cls, patient: int, day: int, age_years: float, items: Sequence[SnapshotItem], medication_window_days: float
    ) -> RecordSnapshot:
        """A snapshot of ``items`` (already in effective-date order; ids ``"<patient>-<seq>"``)."""
        rows = [
            (int(i.id.rsplit("-", 1)[1]), int(i.item), int(i.concept), i.value, i.day, i.available_day, i.flags)
            for i in items
        ]
        columns = {
            k: np.array([r[j] for r in rows], dtype=np.float64 if k == "value" else np.int64)
            for j, k in enumerate(_COLUMNS)
        }
        return cls(patient, day, float(age_years), columns, medication_window_days)

    def _items(self, where: np.ndarray | slice) -> tuple[SnapshotItem, ...]:
        """SnapshotItems of the rows ``where`` selects (a bool mask, indices or a slice), in snapshot order."""
        c = self.columns
        fields = zip(*(c[k][where].tolist() for k in _COLUMNS))
        return tuple(
            SnapshotItem(f"{self.patient}-{seq}", _ITEM_TYPES[item], _CONCEPTS[concept], value, day, available, flags)
            for seq, item, concept, value, day, available, flags in fields
        )

    @functools.cached_property
    def items(self) -> tuple[SnapshotItem, ...]:
        """Every visible item, in snapshot order."""
        return self._items(slice(None))

    def _where(self, item: ItemType | None, concepts: frozenset[Concept] | None = None) -> np.ndarray:
        """(k,) bool: rows of type ``item`` (any if None) with one of ``concepts`` (any if None)."""
        c = self.columns
        where = np.ones(len(c["item"]), dtype=bool) if item is None else c["item"] == int(item)
        if concepts is not None:
            where &= np.isin(c["concept"], [int(k) for k in concepts])
        return where

    def of(self, item: ItemType, concepts: frozenset[Concept] | None = None) -> tuple[SnapshotItem, ...]:
        """Items of type ``item`` (and of one of ``concepts``, if given)."""
        return self._items(self._where(item, concepts))

    def recorded_within(self, concepts: frozenset[Concept], days: float) -> tuple[SnapshotItem, ...]:
        """Items of any type with one of ``concepts`` whose effective day is at most ``days`` before the snapshot's."""
        return self._items(self._where(None, concepts) & (self.columns["event_day"] >= self.day - days))

    def latest(self, concept: Concept) -> SnapshotItem | None:
        """The latest (by effective date) recorded observation of ``concept``, or None."""
        found = np.flatnonzero(self._where(ItemType.OBSERVATION, frozenset((concept,))))
        return self._items(found[-1:])[0] if found.size else None

    def death(self) -> SnapshotItem | None:
        """The first recorded death, or None."""
        found = np.flatnonzero(self._where(ItemType.DEATH))
        return self._items(found[:1])[0] if found.size else None

    @functools.cached_property
    def current_drugs(self) -> dict[str, SnapshotItem]:
        """Drug name -> its last issue, for drugs issued within the window and not ended since."""
        last: dict[str, SnapshotItem] = {}
        for it in self._items(np.isin(self.columns["concept"], _DRUG_CONCEPTS)):
            drug = DRUG_OF_CONCEPT[it.concept]
            if it.item == ItemType.MEDICATION:
                last[drug] = it
            elif it.item == ItemType.MEDICATION_END:
                last.pop(drug, None)
        return {d: it for d, it in last.items() if it.day >= self.day - self.medication_window_days}

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of (patient, day, items); see ``docs/safety.md``."""
        rows = [
            [i.id, int(i.item), int(i.concept), _json_value(i.value), i.day, i.available_day, i.flags]
            for i in self.items
        ]
        doc = {"day": self.day, "items": rows, "patient": self.patient}
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_value(value: float) -> float | None:
    """A recorded value for canonical JSON: None for NaN (no value)."""
    return None if math.isnan(value) else value
