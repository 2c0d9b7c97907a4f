"""An episode that starts from a given patient's record: one posterior sample, with the record's history.

``simulation_from_record(bundle, seed, config)`` reads the record (:func:`twin_env.patient_twin.reading.read_record`),
draws one posterior sample of the patient's latent state (:func:`twin_env.patient_twin.posterior.twin_from_record`,
seeded by ``seed``) and starts a one-row :class:`~twin_env.simulation.Simulation` on the record's date: the
record's coded conditions the sample has are its baseline problems, the sample's medicines its repeat
prescriptions (:mod:`twin_env.care.baseline`), and the latest value of each measured variable is written
into the GP record on its own date (clinic readings under a consultation, laboratory results under a
test order of their panel; home and ambulatory BP left out), so the observation shows what the record shows.
"""

from __future__ import annotations

import os

import numpy as np

from twin_env.envs.config import EnvConfig
from twin_env.patient_twin.diagnosed import recorded_diagnoses
from twin_env.patient_twin.posterior import twin_from_record
from twin_env.patient_twin.reading import read_record
from twin_env.patient_twin.record import PatientRecord
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import day_number
from twin_env.vocab.panels import ANALYTES

#: Clinic measurements: record variable -> concept of its observation.
CLINIC_CONCEPTS: dict[str, Concept] = {"sbp_mmhg": Concept.SBP, "dbp_mmhg": Concept.DBP, "bmi_kg_m2": Concept.BMI}
#: Settings of a clinic value (home and ambulatory BP are not clinic readings: not written).
CLINIC: tuple[str, ...] = ("clinic", "unknown")
#: Laboratory measurements: record variable -> (panel order concept, result concept).
LAB_CONCEPTS: dict[str, tuple[int, Concept]] = {
    field: (int(panel), concept) for panel, rows in ANALYTES.items() for concept, field, _ in rows
}


def simulation_from_record(
    bundle: dict | str | os.PathLike | PatientRecord, seed: int, config: EnvConfig
) -> Simulation:
    """A one-row Simulation of one posterior sample (``seed``) of the patient in ``bundle``, on the record's date.

    ``bundle``: a FHIR R4 Bundle (dict or JSON file) or an already read :class:`PatientRecord`. Raises a
    one-line ``ValueError`` for a record it cannot read or a patient the twin cannot hold.
    """
    record = bundle if isinstance(bundle, PatientRecord) else read_record(bundle)
    state = twin_from_record(record, n_samples=1, seed=seed).state
    sim = Simulation(state, recorded_diagnoses(record, state), start_date=record.as_of, artefacts=config.artefacts)
    write_latest_results(sim, record)
    return sim


def write_latest_results(sim: Simulation, record: PatientRecord) -> None:
    """Log the latest value of each measured variable of ``record`` for row 0 of ``sim`` on its own date.

    Clinic values (SBP, DBP, BMI; home and ambulatory readings are left out) of one date share one
    consultation; each laboratory value has its own order of its panel.
    The record's systems read them as history already reported (no delay, error or gap).
    """
    row = np.zeros(1, dtype=np.intp)
    consultations: dict[int, np.ndarray] = {}
    for variable, concept in CLINIC_CONCEPTS.items():
        values = sorted(
            (m.date, m.value) for m in record.measurements if m.variable == variable and m.setting in CLINIC
        )
        if not values:
            continue
        day = day_number(values[-1][0])
        if day not in consultations:
            consultations[day] = sim.ledger.append(row, LedgerKind.CONSULTATION, Concept.CONSULTATION, day)
        sim.ledger.append(row, LedgerKind.OBSERVATION, concept, day, value=values[-1][1], link=consultations[day])
    for variable, (panel, concept) in LAB_CONCEPTS.items():
        values = record.values(variable)
        if not values:
            continue
        day = day_number(values[-1][0])
        order = sim.ledger.append(row, LedgerKind.TEST_ORDER, panel, day)
        sim.ledger.append(row, LedgerKind.TEST_RESULT, concept, day, value=values[-1][1], link=order)
    sim.record.ingest_history()
    sim.record.advance(sim.days)
