"""The twin's events as the ledger's truth: onsets, acute events and deaths, on their dates."""

from __future__ import annotations

import numpy as np

from twin_env.record.ledger import Ledger, LedgerKind
from twin_env.twin.events import EventKind, StepEvents
from twin_env.vocab.concepts import Concept

_ONSET = {EventKind.TYPE2_DIABETES: Concept.TYPE2_DIABETES, EventKind.ATRIAL_FIBRILLATION: Concept.ATRIAL_FIBRILLATION}
_ACUTE = {  # event kind -> concept of the acute event
    EventKind.MYOCARDIAL_INFARCTION: Concept.ACUTE_MI,
    EventKind.STROKE: Concept.STROKE,
    EventKind.HEART_FAILURE: Concept.HEART_FAILURE,
    EventKind.ANGINA: Concept.ANGINA,
    EventKind.TIA: Concept.TIA,
}


def log_events(ledger: Ledger, events: StepEvents, day: np.ndarray) -> None:
    """Log one step's true ``events`` of N rows, each on its ``day`` (N,) (days since 1970-01-01)."""
    kind = events.kind
    onset_rows = {
        Concept.ESSENTIAL_HYPERTENSION: np.flatnonzero(events.hypertension_onset),
        Concept.CKD_STAGE_3: np.flatnonzero(events.ckd_onset),
    }
    for k, concept in _ONSET.items():
        onset_rows[concept] = np.flatnonzero(kind == k)
    for concept, rows in onset_rows.items():
        ledger.append(rows, LedgerKind.ONSET, concept, day[rows])
    acute = np.flatnonzero(np.isin(kind, list(_ACUTE)))
    *kinds, last = _ACUTE
    concept = np.select([kind[acute] == k for k in kinds], [_ACUTE[k] for k in kinds], _ACUTE[last])
    ledger.append(acute, LedgerKind.ACUTE_EVENT, concept, day[acute])
    died = np.flatnonzero(events.died)
    ledger.append(died, LedgerKind.DEATH, Concept.DEATH, day[died], value=(kind[died] != EventKind.DEATH_NON_CVD) * 1.0)
