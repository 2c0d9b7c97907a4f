"""The record: the ledger of true events, the systems of record (GP, PAS, pathology, imaging,
letters) with their recording artefacts, and readers of what each system shows at a date
(the GP record's readers, under one visibility rule, are in :mod:`twin_env.record.gp`).

Imports only ``record``, ``vocab``, ``equations`` and twin data types; never ``care``, ``models``,
``safety`` or ``envs``.
"""

from twin_env.record.artefacts import Artefact, ArtefactConfig
from twin_env.record.gp import GpItems, GpRecordTable, RecordSnapshot, Registration
from twin_env.record.ledger import Ledger, LedgerKind
from twin_env.record.record import SYSTEMS, Letter, Record
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.views import PatientView, RecordItem
from twin_env.vocab.concepts import OBSERVATIONS, Concept, concept_code
from twin_env.vocab.dates import NEVER, NO_DAY

__all__ = [
    "NEVER",
    "NO_DAY",
    "OBSERVATIONS",
    "SYSTEMS",
    "Artefact",
    "ArtefactConfig",
    "Concept",
    "GpItems",
    "GpRecordTable",
    "ItemType",
    "Ledger",
    "LedgerKind",
    "Letter",
    "PatientView",
    "Record",
    "RecordItem",
    "RecordSnapshot",
    "Registration",
    "SystemStore",
    "concept_code",
]
