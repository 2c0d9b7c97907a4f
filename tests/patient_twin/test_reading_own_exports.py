"""The project's own GP exports read back: what read_record finds equals what the record layer holds."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from twin_env import read_record
from twin_env.formats.fhir_bundle import fhir_bundle
from twin_env.formats.source import RecordSource
from twin_env.patient_twin.reading_medications import medication_window_days
from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.record.store import ItemType
from twin_env.simulation import Simulation, simulate
from twin_env.twin.treatment import field_value
from twin_env.vocab.concepts import SMOKING_CATEGORY, Concept
from twin_env.vocab.drugs import DRUGS

VARIABLE = {
    Concept.SBP: "sbp_mmhg",
    Concept.DBP: "dbp_mmhg",
    Concept.HBA1C: "hba1c_mmol_mol",
    Concept.TOTAL_CHOLESTEROL: "total_chol_mmol_l",
    Concept.HDL_CHOLESTEROL: "hdl_mmol_l",
    Concept.LDL_CHOLESTEROL: "ldl_mmol_l",
    Concept.EGFR: "egfr_ml_min_1_73m2",
    Concept.POTASSIUM: "potassium_mmol_l",
    Concept.URINE_ACR: "acr_mg_mmol",
    Concept.BMI: "bmi_kg_m2",
    Concept.HOME_SBP: "sbp_mmhg",
    Concept.HOME_DBP: "dbp_mmhg",
}
CONDITION = {
    Concept.ESSENTIAL_HYPERTENSION: "hypertension",
    Concept.HYPERTENSIVE_DISORDER: "hypertension",
    Concept.TYPE2_DIABETES: "type2_diabetes",
    Concept.CKD_STAGE_3: "ckd_3_5",
    Concept.ACUTE_MI: "myocardial_infarction",
    Concept.MYOCARDIAL_INFARCTION: "myocardial_infarction",
    Concept.ANGINA: "chd",
    Concept.STROKE: "stroke_tia",
    Concept.TIA: "stroke_tia",
    Concept.HEART_FAILURE: "heart_failure",
    Concept.ATRIAL_FIBRILLATION: "atrial_fibrillation",
}


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(12, 11, 4.0, min_age_years=55, max_age_years=80)


@pytest.fixture(scope="module")
def source(sim: Simulation) -> RecordSource:
    return RecordSource.from_simulation(sim)


def test_every_export_reads_and_matches_the_record(sim: Simulation, source: RecordSource) -> None:
    as_of = source.end
    params = sim.simulator.params
    checked = collections.Counter()
    for patient in source.patients:
        record = read_record(fhir_bundle(source, patient), as_of=as_of)
        who = source.identity(patient)
        row = patient - sim.record.first_id
        assert (record.birth_date, record.female, record.as_of) == (who.birth_date, who.female, as_of)
        assert record.ethnicity == int(sim.state.ethnicity[row])
        gp, home = sim.record.gp_view(patient, as_of), sim.record.home_view(patient, as_of)
        expected = sorted(
            (VARIABLE[i.concept], i.date, i.value)
            for i in gp.observations + home.of(ItemType.HOME_READING)
            if i.concept in VARIABLE
        )
        assert sorted((m.variable, m.date, m.value) for m in record.measurements) == expected
        home_days = {(VARIABLE[i.concept], i.date) for i in home.of(ItemType.HOME_READING)}
        assert {(m.variable, m.date) for m in record.measurements if m.setting == "home"} == home_days
        assert {d.condition for d in record.diagnoses} == {
            CONDITION[i.concept] for i in gp.problems if i.concept in CONDITION
        }
        smoking = sorted(
            (i.date, int(SMOKING_CATEGORY[i.concept])) for i in gp.observations if SMOKING_CATEGORY[i.concept] >= 0
        )
        assert [(s.date, s.category) for s in record.smoking] == smoking
        day = (as_of - dt.date(1970, 1, 1)).days
        snap = RecordSnapshot.from_record(
            sim.record, patient, day, float(sim.state.age_years[row]), medication_window_days()
        )
        current = {DRUGS[d].field: field_value(DRUGS[d], it.value, params) for d, it in snap.current_drugs.items()}
        assert {p.treatment_field: p.value for p in record.prescriptions} == pytest.approx(current)
        checked.update(measurements=len(record.measurements), diagnoses=len(record.diagnoses))
        checked.update(prescriptions=len(record.prescriptions), smoking=len(record.smoking))
    assert min(checked.values()) > 0, checked  # the cohort exercises every part


def test_nothing_is_dropped_silently(source: RecordSource) -> None:
    """Every entry of an export is either used or listed as ignored with a reason."""
    for patient in list(source.patients)[:4]:
        bundle = fhir_bundle(source, patient)
        record = read_record(bundle)
        refs = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
        listed = set(record.reading.used) | {i.resource for i in record.reading.ignored}
        assert listed == refs
        assert all(i.why for i in record.reading.ignored)


def test_as_of_defaults_to_the_latest_entry_and_drops_later_ones(source: RecordSource) -> None:
    bundle = fhir_bundle(source, source.patients[0])
    full = read_record(bundle)
    assert full.as_of <= source.end
    earlier = read_record(bundle, as_of=full.as_of - dt.timedelta(days=365))
    assert all(m.date <= earlier.as_of for m in earlier.measurements)
    assert len(earlier.measurements) < len(full.measurements)
    assert any("after as_of" in i.why for i in earlier.reading.ignored)


def test_reading_is_deterministic(source: RecordSource) -> None:
    bundle = fhir_bundle(source, source.patients[1])
    assert read_record(bundle) == read_record(bundle)
