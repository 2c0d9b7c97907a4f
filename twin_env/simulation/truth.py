"""The twin's events as the ledger's truth: onsets, acute events, harms, complications and deaths, on their dates.

A death's ledger ``value`` is its :class:`twin_env.twin.mortality.DeathCause` (0 other, 1 cardiovascular
as before, 2 renal, 3 diabetes), the cause the twin's mortality model counts it under.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.event_concepts import EVENT_CONCEPT
from twin_env.record.ledger import Ledger, LedgerKind
from twin_env.twin.events import EventKind, StepEvents
from twin_env.twin.mortality import CAUSES, cause_of_death
from twin_env.vocab.concepts import Concept

_ONSET = {EventKind.TYPE2_DIABETES: Concept.TYPE2_DIABETES, EventKind.ATRIAL_FIBRILLATION: Concept.ATRIAL_FIBRILLATION}
_CONCEPT_OF_KIND = np.zeros(len(EventKind), dtype=np.int16)
_CONCEPT_OF_KIND[list(EVENT_CONCEPT)] = list(EVENT_CONCEPT.values())
_CAUSE_OF_KIND = np.array([CAUSES.index(cause_of_death(kind)) for kind in EventKind], dtype=np.float64)


def death_cause(kind: np.ndarray) -> np.ndarray:
    """:class:`~twin_env.twin.mortality.DeathCause` codes (k,) float64 of deaths whose step event was ``kind`` (k,)."""
    return _CAUSE_OF_KIND[np.asarray(kind, dtype=np.intp)]


def log_events(ledger: Ledger, events: StepEvents, day: np.ndarray) -> None:
    """Log one step's true ``events`` of N rows, each on its ``day`` (N,) (days since 1970-01-01).

    Onsets are ONSET rows; every other event with a concept (acute CVD events, harms,
    complications) is an ACUTE_EVENT row; deaths are DEATH rows whose value is the cause.
    """
    kind = events.kind
    if not (kind.any() or events.died.any() or events.hypertension_onset.any() or events.ckd_onset.any()):
        return  # nothing happened: every append below would be empty (most steps of a small batch)
    onset_rows = {
        Concept.ESSENTIAL_HYPERTENSION: np.flatnonzero(events.hypertension_onset),
        Concept.CKD_STAGE_3: np.flatnonzero(events.ckd_onset),
    }
    for k, concept in _ONSET.items():
        onset_rows[concept] = np.flatnonzero(kind == k)
    for concept, rows in onset_rows.items():
        ledger.append(rows, LedgerKind.ONSET, concept, day[rows])
    concept = _CONCEPT_OF_KIND[kind]
    acute = np.flatnonzero(concept)
    ledger.append(acute, LedgerKind.ACUTE_EVENT, concept[acute], day[acute])
    died = np.flatnonzero(events.died)
    ledger.append(died, LedgerKind.DEATH, Concept.DEATH, day[died], value=death_cause(kind[died]))
