"""Typed, per-patient views of a system's record as of a date (what renderers and readers use)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from twin_env.record.artefacts import Artefact
from twin_env.record.store import ItemType
from twin_env.vocab.codes import Code
from twin_env.vocab.concepts import Concept, concept_code, unit_of
from twin_env.vocab.dates import to_date


@dataclasses.dataclass(frozen=True, slots=True)
class RecordItem:
    """One item as a system shows it.

    ``event_id`` is the ledger event it came from (``"<patient>-<seq>"``); ``link_event_id`` the
    ledger event that event belongs to (the consultation of a reading, the order of a lab result,
    the admission of a discharge or hospital diagnosis), or None. ``value`` is as recorded (None
    if the item has no value), in ``unit`` (UCUM; empty if none). ``date`` is the effective date,
    ``available`` the date the system shows it.
    """

    event_id: str
    link_event_id: str | None
    item: ItemType
    concept: Concept
    code: Code | None
    value: float | None
    unit: str
    date: dt.date
    available: dt.date | None
    flags: Artefact


@dataclasses.dataclass(frozen=True)
class PatientView:
    """What ``system`` shows for ``patient`` as of ``as_of``: its items in effective-date order."""

    system: str
    patient: int
    as_of: dt.date
    items: tuple[RecordItem, ...]

    def of(self, *types: ItemType) -> tuple[RecordItem, ...]:
        return tuple(i for i in self.items if i.item in types)

    # GP system
    @property
    def encounters(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.ENCOUNTER)

    @property
    def problems(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.PROBLEM)

    @property
    def observations(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.OBSERVATION)

    @property
    def medications(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.MEDICATION, ItemType.MEDICATION_END)

    @property
    def referrals(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.REFERRAL)

    @property
    def documents(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.DOCUMENT)

    # PAS, pathology, imaging
    @property
    def episodes(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.ADMISSION, ItemType.DISCHARGE, ItemType.DIAGNOSIS, ItemType.ATTENDANCE)

    @property
    def lab_orders(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.LAB_ORDER)

    @property
    def lab_results(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.LAB_RESULT)

    @property
    def imaging(self) -> tuple[RecordItem, ...]:
        return self.of(ItemType.IMAGING_STUDY, ItemType.IMAGING_REPORT)


def build_items(columns: dict[str, np.ndarray], rows: np.ndarray, links: np.ndarray) -> tuple[RecordItem, ...]:
    """RecordItems for store ``rows`` (k,); ``links`` (k,) are the ledger ``link`` seqs (-1 none)."""
    items = []
    for r, link in zip(rows.tolist(), links.tolist()):
        patient, concept = int(columns["patient"][r]), Concept(int(columns["concept"][r]))
        value = float(columns["value"][r])
        items.append(
            RecordItem(
                event_id=f"{patient}-{int(columns['seq'][r])}",
                link_event_id=None if link < 0 else f"{patient}-{link}",
                item=ItemType(int(columns["item"][r])),
                concept=concept,
                code=concept_code(concept),
                value=None if np.isnan(value) else value,
                unit=unit_of(concept),
                date=to_date(int(columns["event_day"][r])),
                available=to_date(int(columns["available_day"][r])),
                flags=Artefact(int(columns["flags"][r])),
            )
        )
    return tuple(items)
