"""Harms and complications leave their trace: admissions with ICD-10 diagnoses and bloods, GP problems, drug stops.

The twin in main draws none of these events yet, so the tests inject them into the first step's
:class:`StepEvents` of a small simulation and follow what care and the record make of them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from twin_env.formats.export import RecordSource, fhir_bundle, hl7_messages
from twin_env.formats.fhir_resources import validate_bundle
from twin_env.formats.opensafely_tables import opensafely_tables
from twin_env.record import Concept, ItemType, LedgerKind
from twin_env.simulation import Simulation
from twin_env.simulation.truth import EVENT_CONCEPT
from twin_env.twin import EventKind
from twin_env.twin.state import TREATMENT_FIELDS

N = 1200
_BLOCKS = (  # event kind injected into rows [start, start + size) at the first step
    (EventKind.HIP_FRACTURE, 0, 60),
    (EventKind.HYPERKALAEMIA, 60, 60),
    (EventKind.HYPONATRAEMIA, 120, 60),
    (EventKind.ACUTE_KIDNEY_INJURY, 180, 60),
    (EventKind.DIABETIC_KETOACIDOSIS, 240, 30),
    (EventKind.AMPUTATION, 270, 30),
    (EventKind.HYPOTENSION_SYNCOPE, 300, 400),
    (EventKind.GOUT, 700, 30),
    (EventKind.RETINOPATHY, 730, 30),
)
_ACEI = TREATMENT_FIELDS.index("dose_acei")


def _plan(sim: Simulation) -> tuple[np.ndarray, np.ndarray]:
    kind = np.zeros(N, dtype=np.int8)
    stopped = np.full(N, -1, dtype=np.int8)
    for event, start, size in _BLOCKS:
        kind[start : start + size] = event
    on_acei = np.flatnonzero(sim._care.rx_concept["dose_acei"] > 0)
    cough = on_acei[on_acei >= 800][:25]
    kind[cough] = EventKind.ACEI_COUGH
    stopped[cough] = _ACEI
    return kind, stopped


def _simulate(steps: int = 4) -> Simulation:
    sim = Simulation.from_population(N, 11, min_age_years=55, max_age_years=85, artefacts=False)
    kind, stopped = _plan(sim)
    original = sim.simulator.step
    calls = []

    def step(state: Any, dt_years: float) -> Any:
        events = original(state, dt_years)
        if calls:
            return events
        calls.append(1)
        free = (events.kind == EventKind.NONE) & ~events.died & (kind > 0)
        return dataclasses.replace(
            events,
            kind=np.where(free, kind, events.kind).astype(events.kind.dtype),
            treatment_stopped=np.where(free & (stopped >= 0), stopped, events.treatment_stopped).astype(np.int8),
        )

    sim.simulator.step = step  # type: ignore[method-assign]
    for _ in range(steps):
        sim.step()
    return sim


@pytest.fixture(scope="module")
def run() -> Simulation:
    return _simulate()


def _injected(led: dict[str, np.ndarray], event: EventKind) -> np.ndarray:
    """Patients whose injected event was logged as true (an ACUTE_EVENT row in the ledger)."""
    rows = (led["kind"] == LedgerKind.ACUTE_EVENT) & (led["concept"] == EVENT_CONCEPT[event])
    return np.unique(led["patient"][rows])


@pytest.mark.parametrize(
    ("event", "icd"),
    [
        (EventKind.HIP_FRACTURE, Concept.ICD10_HIP_FRACTURE),
        (EventKind.HYPERKALAEMIA, Concept.ICD10_HYPERKALAEMIA),
        (EventKind.HYPONATRAEMIA, Concept.ICD10_HYPONATRAEMIA),
        (EventKind.ACUTE_KIDNEY_INJURY, Concept.ICD10_ACUTE_KIDNEY_INJURY),
        (EventKind.DIABETIC_KETOACIDOSIS, Concept.ICD10_DIABETIC_KETOACIDOSIS),
        (EventKind.AMPUTATION, Concept.ICD10_DIABETES_PERIPHERAL),
    ],
)
def test_hospital_events_are_admitted_and_discharged_with_their_icd10_diagnosis(
    run: Simulation, event: EventKind, icd: Concept
) -> None:
    sim = run
    led = sim.ledger.columns
    patients = _injected(led, event)
    assert patients.size > 0
    admitted = np.unique(led["patient"][led["kind"] == LedgerKind.ADMISSION])
    assert np.isin(patients, admitted).all()
    dx = (led["kind"] == LedgerKind.DIAGNOSIS) & (led["concept"] == icd)
    discharged = np.unique(led["patient"][dx])
    assert discharged.size > 0 and np.isin(discharged, patients).all()
    pas = sim.record.stores["pas"].columns
    coded = np.unique(pas["patient"][(pas["item"] == ItemType.DIAGNOSIS) & (pas["concept"] == icd)])
    assert np.isin(coded, discharged).all() and coded.size > 0


def _admission_results(sim: Simulation, concept: Concept, patients: np.ndarray) -> np.ndarray:
    """Ledger rows of ``concept`` results of ``patients`` whose sample was taken on admission (not pre-discharge)."""
    led = sim.ledger.columns
    rows = np.flatnonzero(
        (led["kind"] == LedgerKind.TEST_RESULT) & (led["concept"] == concept) & np.isin(led["patient"], patients)
    )
    order = sim.ledger.find(led["patient"][rows], led["link"][rows])
    linked = led["link"][order] >= 0
    admission = sim.ledger.find(led["patient"][rows[linked]], led["link"][order[linked]])
    at_admission = led["kind"][admission] == LedgerKind.ADMISSION
    # the first order linked to an admission is its admission bloods; later ones are pre-discharge bloods
    first_order = {}
    for o, a in zip(order[linked][at_admission].tolist(), admission[at_admission].tolist()):
        first_order[a] = min(o, first_order.get(a, o))
    on_admission = at_admission.copy()
    on_admission[at_admission] = [
        first_order[a] == o for o, a in zip(order[linked][at_admission], admission[at_admission])
    ]
    return rows[linked][on_admission]


def test_admission_bloods_show_the_event(run: Simulation) -> None:
    sim = run
    led = sim.ledger.columns
    for event, concept, check in (
        (EventKind.HYPERKALAEMIA, Concept.POTASSIUM, lambda v: v >= 6.0),
        (EventKind.HYPONATRAEMIA, Concept.SODIUM, lambda v: v < 130.0),
    ):
        patients = _injected(led, event)
        rows = _admission_results(sim, concept, patients)
        assert rows.size == patients.size, event
        assert check(led["value"][rows]).all(), event
    hyponatraemia = _injected(led, EventKind.HYPONATRAEMIA)
    sodium = (led["kind"] == LedgerKind.TEST_RESULT) & (led["concept"] == Concept.SODIUM)
    assert not (sodium & ~np.isin(led["patient"], hyponatraemia)).any()
    # AKI: the admission eGFR is below the patient's level (creatinine at least 1.5x baseline)
    aki = _injected(led, EventKind.ACUTE_KIDNEY_INJURY)
    rows = _admission_results(sim, Concept.EGFR, aki)
    assert rows.size >= aki.size  # and the twin's own AKIs and other admissions with bloods
    level = sim.state.egfr_ml_min_1_73m2[led["patient"][rows]]
    assert (led["value"][rows] < level * 0.8).mean() > 0.9


def test_a_share_of_syncope_is_admitted_and_the_rest_seen_by_the_gp(run: Simulation) -> None:
    sim = run
    led = sim.ledger.columns
    event = (led["kind"] == LedgerKind.ACUTE_EVENT) & (led["concept"] == Concept.SYNCOPE)
    patients, day = led["patient"][event], led["day"][event]
    admission = led["kind"] == LedgerKind.ADMISSION
    on_the_day = set(zip(led["patient"][admission].tolist(), led["day"][admission].tolist()))
    admitted = np.array([(p, d) in on_the_day for p, d in zip(patients.tolist(), day.tolist())])
    coded = (led["kind"] == LedgerKind.DIAGNOSIS) & (led["concept"] == Concept.SYNCOPE)
    coded_on = set(zip(led["patient"][coded].tolist(), led["day"][coded].tolist()))
    gp = np.array([(p, d) in coded_on for p, d in zip(patients.tolist(), day.tolist())])
    assert patients.size > 300
    assert 0.4 < admitted.mean() < 0.6  # syncope_admitted_probability 0.5
    assert not (admitted & gp).any()
    assert (admitted | gp).all()


def test_gp_events_are_coded_problems_in_the_gp_record(run: Simulation) -> None:
    sim = run
    led, gp = sim.ledger.columns, sim.record.stores["gp"].columns
    for event, problem in ((EventKind.GOUT, Concept.GOUT), (EventKind.RETINOPATHY, Concept.DIABETIC_RETINOPATHY)):
        patients = _injected(led, event)
        coded = np.unique(gp["patient"][(gp["item"] == ItemType.PROBLEM) & (gp["concept"] == problem)])
        assert patients.size > 0 and np.array_equal(np.intersect1d(patients, coded), patients), event


def test_a_drug_intolerance_ends_the_prescription_and_says_why(run: Simulation) -> None:
    sim = run
    led, gp = sim.ledger.columns, sim.record.stores["gp"].columns
    patients = _injected(led, EventKind.ACEI_COUGH)
    assert patients.size > 5
    ramipril = (Concept.RAMIPRIL_2_5MG, Concept.RAMIPRIL_5MG, Concept.RAMIPRIL_10MG, Concept.LOSARTAN_50MG)
    ended = gp["patient"][(gp["item"] == ItemType.MEDICATION_END) & np.isin(gp["concept"], ramipril)]
    intolerance = gp["patient"][(gp["item"] == ItemType.PROBLEM) & (gp["concept"] == Concept.DRUG_INTOLERANCE)]
    cough = gp["patient"][(gp["item"] == ItemType.PROBLEM) & (gp["concept"] == Concept.COUGH)]
    for who in (ended, intolerance, cough):
        assert np.isin(patients, who).all()
    stopped = led["patient"][led["kind"] == LedgerKind.TREATMENT_STOPPED]
    assert np.isin(patients, stopped).all() and np.isin(intolerance, stopped).all()
    assert not np.isin(_injected(led, EventKind.RETINOPATHY), intolerance).any()  # not a drug harm


def test_every_format_writes_the_new_events(run: Simulation) -> None:
    sim = run
    source = RecordSource.from_simulation(sim)
    led = sim.ledger.columns
    hip = _injected(led, EventKind.HIP_FRACTURE)
    discharged = np.unique(led["patient"][(led["kind"] == LedgerKind.DIAGNOSIS) & np.isin(led["patient"], hip)])
    patients = [int(discharged[0]), int(_injected(led, EventKind.HYPONATRAEMIA)[0])]
    patients.append(int(_injected(led, EventKind.ACEI_COUGH)[0]))
    for patient in patients:
        validate_bundle(fhir_bundle(source, patient))
    hl7 = "".join(str(m) for m in hl7_messages(source, patients[0]))
    assert "S720" in hl7  # DG1: ICD-10 in UK hospital style
    assert hl7_messages(source, patients[1])
    text = str(fhir_bundle(source, patients[0]))
    assert "S72.0" in text or "S720" in text or "5913000" in text
    assert "1000661000000107" in str(fhir_bundle(source, patients[1]))  # serum sodium
    apcs = opensafely_tables(source)["apcs"]
    assert apcs.to_string().count("S720") >= 1


def test_injected_events_are_deterministic() -> None:
    a, b = _simulate(steps=2), _simulate(steps=2)
    for name, column in a.ledger.columns.items():
        assert np.array_equal(column, b.ledger.columns[name], equal_nan=True), name
