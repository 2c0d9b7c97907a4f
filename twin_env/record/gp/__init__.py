"""Readers of the GP record: what the practice's system shows now, under one visibility rule.

- :mod:`~twin_env.record.gp.visibility`: the rule (available by the day; the row's current patient);
- :class:`GpRecordTable` (``table``): per-row arrays folded in incrementally, O(N) to read each step
  (observation encoder, action masks, policies);
- :class:`RecordSnapshot` (``snapshot``): one patient's visible items with ledger ids and a digest
  (safety rules, audit logs, timelines);
- :class:`GpItems` (``items``): n patients' visible items with windowed per-patient queries (model
  input contracts);
- :class:`Registration` (``registration``): registration demographics;
- ``coding``: the column orders (problems, medications, services) and concept lookups they share.
"""

from twin_env.record.gp.coding import DRUG_OF_CONCEPT, MEDICATIONS, PROBLEMS, SERVICES
from twin_env.record.gp.items import GpItems
from twin_env.record.gp.registration import Registration
from twin_env.record.gp.snapshot import RecordSnapshot, SnapshotItem
from twin_env.record.gp.table import GpRecordTable
from twin_env.record.gp.visibility import visible

__all__ = [
    "DRUG_OF_CONCEPT",
    "MEDICATIONS",
    "PROBLEMS",
    "SERVICES",
    "GpItems",
    "GpRecordTable",
    "RecordSnapshot",
    "Registration",
    "SnapshotItem",
    "visible",
]
