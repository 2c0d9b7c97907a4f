"""What the GP record shows for one patient on the decision date: the only thing rules may read.

Built from the GP system's store (items with ``available_day <= day``), never from the twin.
Each item keeps its ledger event id (``"<patient>-<seq>"``), which rules cite as evidence.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from typing import NamedTuple

import numpy as np

from twin_env.care.drugs import DRUGS
from twin_env.record.concepts import Concept
from twin_env.record.store import ItemType, SystemStore

_ITEM_TYPES: dict[int, ItemType] = {int(t): t for t in ItemType}
_CONCEPTS: dict[int, Concept] = {int(c): c for c in Concept}
#: dm+d concept -> drug name of the catalogue.
DRUG_OF_CONCEPT: dict[Concept, str] = {c: d.name for d in DRUGS.values() for c in d.products.values()}


class SnapshotItem(NamedTuple):
    """One visible GP item: ledger event id, type, concept, value (NaN if none), effective day (a tuple: cheap to build)."""

    id: str
    item: ItemType
    concept: Concept
    value: float
    day: int
    available_day: int
    flags: int


@dataclasses.dataclass(frozen=True)
class RecordSnapshot:
    """The GP record of ``patient`` as of ``day`` (days since 1970-01-01), items by effective date.

    ``age_years`` is registration data; ``medication_window_days`` how recently a drug must have
    been issued (and not ended) to count as current, as in the env.
    """

    patient: int
    day: int
    age_years: float
    items: tuple[SnapshotItem, ...]
    medication_window_days: float

    @classmethod
    def from_store(cls, store: SystemStore, patient: int, day: int, age_years: float, medication_window_days: float,
                   first_seq: int = 0) -> RecordSnapshot:
        """``first_seq``: the patient's first event seq (a rolling vector-env record reuses ids across episodes)."""
        cols = store.columns
        rows = store.rows_of(patient, day)
        rows = rows[cols["seq"][rows] >= first_seq]
        # items by (effective day, seq, item type, concept, available day)
        rows = rows[np.lexsort(tuple(cols[k][rows] for k in ("available_day", "concept", "item", "seq", "event_day")))]
        fields = zip(*(cols[k][rows].tolist() for k in ("seq", "item", "concept", "value", "event_day", "available_day", "flags")))
        items = tuple(SnapshotItem(f"{patient}-{seq}", _ITEM_TYPES[item], _CONCEPTS[concept], value, event_day, available_day, flags)
                      for seq, item, concept, value, event_day, available_day, flags in fields)
        return cls(patient, day, float(age_years), items, medication_window_days)

    def of(self, item: ItemType, concepts: frozenset[Concept] | None = None) -> tuple[SnapshotItem, ...]:
        return tuple(i for i in self.items if i.item == item and (concepts is None or i.concept in concepts))

    def latest(self, concept: Concept) -> SnapshotItem | None:
        """The latest (by effective date) recorded observation of ``concept``, or None."""
        found = self.of(ItemType.OBSERVATION, frozenset((concept,)))
        return found[-1] if found else None

    def death(self) -> SnapshotItem | None:
        found = self.of(ItemType.DEATH)
        return found[0] if found else None

    @functools.cached_property
    def current_drugs(self) -> dict[str, SnapshotItem]:
        """Drug name -> its last issue, for drugs issued within the window and not ended since."""
        last: dict[str, SnapshotItem] = {}
        for it in self.items:
            drug = DRUG_OF_CONCEPT.get(it.concept)
            if drug is None:
                continue
            if it.item == ItemType.MEDICATION:
                last[drug] = it
            elif it.item == ItemType.MEDICATION_END:
                last.pop(drug, None)
        return {d: it for d, it in last.items() if it.day >= self.day - self.medication_window_days}

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of (patient, day, items); see ``docs/safety.md``."""
        rows = [[i.id, int(i.item), int(i.concept), None if math.isnan(i.value) else i.value, i.day, i.available_day, i.flags] for i in self.items]
        text = json.dumps({"day": self.day, "items": rows, "patient": self.patient}, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

