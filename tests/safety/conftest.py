"""Shared helpers: constructed GP record snapshots and shielded env rollouts."""

from __future__ import annotations

import math

from twin_env.record.gp.snapshot import RecordSnapshot, SnapshotItem
from twin_env.record.store import ItemType
from twin_env.vocab.concepts import Concept

DAY = 18_500  # 2020-08-26
SHORT = {"horizon_years": 1.0}


def item(seq: int, kind: ItemType, concept: Concept, value: float = math.nan, days_ago: int = 10) -> SnapshotItem:
    return SnapshotItem(f"7-{seq}", kind, concept, value, DAY - days_ago, DAY - days_ago, 0)


def snapshot(*items: SnapshotItem, age: float = 60.0) -> RecordSnapshot:
    return RecordSnapshot.from_items(7, DAY, age, sorted(items, key=lambda i: (i.day, i.id)), 56.0)


def egfr(value: float, seq: int = 1, days_ago: int = 30) -> SnapshotItem:
    return item(seq, ItemType.OBSERVATION, Concept.EGFR, value, days_ago)


def potassium(value: float, seq: int = 2, days_ago: int = 30) -> SnapshotItem:
    return item(seq, ItemType.OBSERVATION, Concept.POTASSIUM, value, days_ago)


def on(concept: Concept, dose: float = 1.0, seq: int = 3, days_ago: int = 20) -> SnapshotItem:
    return item(seq, ItemType.MEDICATION, concept, dose, days_ago)
