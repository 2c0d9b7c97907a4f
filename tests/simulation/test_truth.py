"""The truth ledger: every event kind is logged with its concept, every death with its cause."""

from __future__ import annotations

import numpy as np

from twin_env.record.ledger import Ledger, LedgerKind
from twin_env.simulation.truth import EVENT_CONCEPT, death_cause, log_events
from twin_env.twin.events import DEATH_KINDS, EventKind, StepEvents
from twin_env.twin.mortality import DeathCause
from twin_env.vocab.concepts import Concept, concept_code

_ONSETS = (EventKind.NONE, EventKind.TYPE2_DIABETES, EventKind.ATRIAL_FIBRILLATION)


def _events(kind: list[EventKind], fatal: list[bool]) -> StepEvents:
    k = np.array(kind, dtype=np.int8)
    f = np.array(fatal, dtype=bool)
    n = k.size
    return StepEvents(
        kind=k,
        fatal=f,
        died=f | np.isin(k, DEATH_KINDS),
        hypertension_onset=np.zeros(n, dtype=bool),
        ckd_onset=np.zeros(n, dtype=bool),
        treatment_stopped=np.full(n, -1, dtype=np.int8),
        age_years=np.full(n, 70.0),
    )


def test_every_event_kind_has_a_coded_concept_or_is_an_onset_or_death() -> None:
    for kind in EventKind:
        if kind in _ONSETS or kind in DEATH_KINDS:
            assert kind not in EVENT_CONCEPT
        else:
            assert concept_code(EVENT_CONCEPT[kind]) is not None, kind


def test_new_events_are_logged_with_their_concepts() -> None:
    kinds = [k for k in EventKind if k in EVENT_CONCEPT]
    ledger = Ledger(len(kinds))
    log_events(ledger, _events(kinds, [False] * len(kinds)), np.arange(len(kinds), dtype=np.int32) + 18_000)
    led = ledger.columns
    assert (led["kind"] == LedgerKind.ACUTE_EVENT).all()
    assert led["concept"].tolist() == [EVENT_CONCEPT[k] for k in kinds]
    assert led["patient"].tolist() == list(range(len(kinds)))


def test_deaths_carry_their_cause() -> None:
    cases = {
        (EventKind.DEATH_NON_CVD, False): DeathCause.OTHER,
        (EventKind.DEATH_HEART_FAILURE, False): DeathCause.CVD,
        (EventKind.DEATH_CVD_NON_ACUTE, False): DeathCause.CVD,
        (EventKind.MYOCARDIAL_INFARCTION, True): DeathCause.CVD,
        (EventKind.DEATH_RENAL, False): DeathCause.RENAL,
        (EventKind.ACUTE_KIDNEY_INJURY, True): DeathCause.OTHER,
        (EventKind.DEATH_DIABETES, False): DeathCause.DIABETES,
        (EventKind.SEVERE_HYPOGLYCAEMIA, True): DeathCause.DIABETES,
        (EventKind.HIP_FRACTURE, True): DeathCause.OTHER,
        (EventKind.HYPERKALAEMIA, True): DeathCause.OTHER,
    }
    kinds = [k for k, _ in cases]
    ledger = Ledger(len(cases))
    log_events(ledger, _events(kinds, [f for _, f in cases]), np.full(len(cases), 18_000, dtype=np.int32))
    led = ledger.columns
    deaths = led["kind"] == LedgerKind.DEATH
    assert (led["concept"][deaths] == Concept.DEATH).all()
    assert led["patient"][deaths].tolist() == list(range(len(cases)))
    assert led["value"][deaths].tolist() == [float(c) for c in cases.values()]
    # a fatal event is logged as the event, then the death
    fatal_hip = led["patient"] == kinds.index(EventKind.HIP_FRACTURE)
    assert led["kind"][fatal_hip].tolist() == [LedgerKind.ACUTE_EVENT, LedgerKind.DEATH]


def test_cause_codes_keep_the_old_cardiovascular_flag() -> None:
    assert death_cause(np.array([EventKind.DEATH_NON_CVD, EventKind.STROKE])).tolist() == [0.0, 1.0]
