"""The record: the ledger of true events, the systems of record (GP, PAS, pathology, imaging,
letters) with their recording artefacts, and readers of what each system shows at a date.

May import twin data types; never imports ``envs``.
"""

from twin_env.record.artefacts import Artefact, ArtefactConfig
from twin_env.record.ledger import Ledger, LedgerKind
from twin_env.record.record import SYSTEMS, Letter, Record
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.views import PatientView, RecordItem
from twin_env.vocab.concepts import OBSERVATIONS, Concept, concept_code
from twin_env.vocab.dates import NEVER

__all__ = [
    "NEVER",
    "OBSERVATIONS",
    "SYSTEMS",
    "Artefact",
    "ArtefactConfig",
    "Concept",
    "ItemType",
    "Ledger",
    "LedgerKind",
    "Letter",
    "PatientView",
    "Record",
    "RecordItem",
    "SystemStore",
    "concept_code",
]
