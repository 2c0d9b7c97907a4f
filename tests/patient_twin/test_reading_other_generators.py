"""Records the project never wrote: a Synthea-style US Core Bundle and hand-built UK Core entries."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.patient_twin.bundles import SCT, bundle, condition, observation, patient
from twin_env import read_record
from twin_env.patient_twin.record import PatientRecord

FIXTURE = Path(__file__).parent / "fixtures" / "synthea_style_bundle.json"


@pytest.fixture(scope="module")
def synthea() -> PatientRecord:
    return read_record(FIXTURE)


def _why(record: PatientRecord, resource: str) -> str:
    return " / ".join(i.why for i in record.reading.ignored if i.resource == resource)


def _values(record: PatientRecord, variable: str) -> dict[dt.date, float]:
    return dict(record.values(variable))


def test_synthea_demographics_and_as_of(synthea: PatientRecord) -> None:
    assert (synthea.birth_date, synthea.female, synthea.as_of) == (dt.date(1961, 5, 14), True, dt.date(2024, 6, 5))
    assert synthea.ethnicity == 1  # US Core White -> QRISK3 1
    assert synthea.imd_quintile is None


def test_synthea_units_are_converted(synthea: PatientRecord) -> None:
    day = dt.date(2024, 6, 5)
    assert _values(synthea, "hba1c_mmol_mol")[day] == pytest.approx(10.929 * (6.6 - 2.15))
    assert _values(synthea, "total_chol_mmol_l")[day] == pytest.approx(215 / 38.67)
    assert _values(synthea, "hdl_mmol_l")[day] == pytest.approx(48 / 38.67)
    assert _values(synthea, "ldl_mmol_l")[day] == pytest.approx(130 / 38.67)
    assert _values(synthea, "acr_mg_mmol")[day] == pytest.approx(12 / 8.84)
    assert _values(synthea, "potassium_mmol_l")[day] == 4.4
    assert _values(synthea, "bmi_kg_m2") == {dt.date(2023, 6, 7): pytest.approx(82.5 / 1.64**2), day: 31.2}
    assert _values(synthea, "sbp_mmhg") == {dt.date(2021, 6, 2): 146, dt.date(2023, 6, 7): 151, day: 148}
    assert {m.setting for m in synthea.measurements if m.variable == "sbp_mmhg"} == {"clinic"}


def test_synthea_egfr_from_creatinine_by_ckd_epi_2021(synthea: PatientRecord) -> None:
    age = (dt.date(2024, 6, 5) - dt.date(1961, 5, 14)).days / 365.25
    # Inker 2021, female, creatinine 0.9 mg/dL (above kappa 0.7): 142 (Scr/0.7)^-1.2 0.9938^age 1.012
    expected = 142 * (0.9 / 0.7) ** -1.2 * 0.9938**age * 1.012
    assert _values(synthea, "egfr_ml_min_1_73m2") == {
        dt.date(2023, 6, 7): 78.0,
        dt.date(2024, 6, 5): pytest.approx(expected),
    }


def test_synthea_problems_medicines_and_smoking(synthea: PatientRecord) -> None:
    assert {d.condition for d in synthea.diagnoses} == {"hypertension", "chd", "type2_diabetes"}
    assert {p.treatment_field: p.value for p in synthea.prescriptions} == {
        "dose_acei": 1.0,  # lisinopril 10 mg once a day: one standard dose
        "statin_ldl_reduction": 0.32,  # simvastatin 20 mg (statin_ldl_reduction.csv)
        "metformin_mg_day": 1000.0,  # two 500 mg tablets a day
    }
    assert [(s.date, s.category) for s in synthea.smoking] == [(dt.date(2021, 6, 2), 0), (dt.date(2024, 6, 5), 3)]


def test_synthea_ignored_entries_say_why(synthea: PatientRecord) -> None:
    entries = json.loads(FIXTURE.read_text())["entry"]
    refs = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries}
    ignored = {i.resource for i in synthea.reading.ignored}
    assert set(synthea.reading.used) | ignored == refs
    why = {(i.resource.rsplit("-", 1)[1], i.why.split(":")[0]) for i in synthea.reading.ignored}
    for expected in [
        ("000000000010", "resource type Encounter not used by the twin"),
        ("000000000060", "resource type Procedure not used by the twin"),
        ("000000000061", "resource type Immunization not used by the twin"),
        ("000000000064", "resource type Claim not used by the twin"),
        ("000000000022", "clinicalStatus 'resolved'"),
        ("000000000025", "verificationStatus 'refuted'"),
        ("000000000041", "code not in the project's code table (twin_env/data/codes.csv)"),
        ("000000000047", "unit 'g/dL' cannot be converted to hba1c_mmol_mol; allowed"),
        ("000000000051", "status 'stopped' (2016-01-12)"),
        ("000000000054", "a completed acute course"),
    ]:
        assert expected in why


def test_home_and_ambulatory_codes_set_the_setting() -> None:
    home = observation("413606001", 141, "mm[Hg]", system=SCT, id="h")
    ambulatory = observation("314446007", 137, "mm[Hg]", system=SCT, id="a")
    clinic = observation("8480-6", 152, "mm[Hg]", id="c")
    record = read_record(bundle(home, ambulatory, clinic))
    assert sorted((m.setting, m.value) for m in record.measurements) == [
        ("ambulatory", 137),
        ("clinic", 152),
        ("home", 141),
    ]


def test_ethnicity_uk_core_and_us_core() -> None:
    uk = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
    letter = {
        "url": uk,
        "valueCodeableConcept": {
            "coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", "code": "N"}]
        },
    }
    one = observation("8480-6", 130, "mm[Hg]")
    assert (
        read_record(bundle(one) | {"entry": [{"resource": patient(extension=[letter])}, {"resource": one}]}).ethnicity
        == 7
    )

    def race(*codes: str) -> dict:
        parts = [
            {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": c}}
            for c in codes
        ]
        return {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", "extension": parts}

    def read(ext: dict) -> PatientRecord:
        return read_record(
            {"resourceType": "Bundle", "entry": [{"resource": patient(extension=[ext])}, {"resource": one}]}
        )

    assert read(race("2106-3", "2054-5")).ethnicity == 9  # more than one OMB category: Mixed, QRISK3 Other
    black = read(race("2054-5"))
    assert black.ethnicity is None
    assert any("spans QRISK3 groups 6, 7 and 9" in i.why for i in black.reading.ignored)


def test_icd10_ckd_stage_decides_ckd_3_5() -> None:
    icd = "http://hl7.org/fhir/sid/icd-10"
    record = read_record(bundle(condition("N18.4", system=icd, id="a"), observation("8480-6", 130, "mm[Hg]")))
    assert [d.condition for d in record.diagnoses] == ["ckd_3_5"]
    record = read_record(bundle(condition("N18.2", system=icd, id="b"), observation("8480-6", 130, "mm[Hg]")))
    assert record.diagnoses == ()
    assert "stage 3-5" in _why(record, "Condition/b")


def test_medication_statement_and_medication_reference() -> None:
    med = {
        "resourceType": "Medication",
        "id": "m1",
        "code": {"coding": [{"system": "https://dmd.nhs.uk", "code": "39732011000001102"}]},
    }
    taking = {
        "resourceType": "MedicationStatement",
        "id": "s1",
        "status": "active",
        "medicationReference": {"reference": "Medication/m1"},
        "subject": {"reference": "Patient/pat-1"},
        "effectiveDateTime": "2024-01-10",
    }
    record = read_record(bundle(med, taking))
    assert [(p.treatment_field, p.value, p.start) for p in record.prescriptions] == [
        ("dose_ccb", 1.0, dt.date(2024, 1, 10))
    ]


def test_a_resource_about_someone_else_is_noted() -> None:
    other = observation("8480-6", 130, "mm[Hg]", id="x") | {"subject": {"reference": "Patient/someone-else"}}
    record = read_record(bundle(other, observation("8480-6", 120, "mm[Hg]", id="y")))
    assert [m.value for m in record.measurements] == [120]
    assert _why(record, "Observation/x") == "its subject is not the record's Patient"
