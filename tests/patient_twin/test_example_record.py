"""The shipped example record: UK Core, a fictitious 62-year-old with raised BP, read as the docs say."""

from __future__ import annotations

import json
from pathlib import Path

from twin_env import read_record
from twin_env.formats.fhir_resources import validate_bundle
from twin_env.formats.nhs_number import is_synthetic_nhs_number

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "patient_record.json"


def test_example_is_a_valid_synthetic_uk_core_bundle() -> None:
    bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    validate_bundle(bundle)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert is_synthetic_nhs_number(patient["identifier"][0]["value"])
    assert patient["name"][0]["family"].startswith("Twin-")


def test_example_reads_as_documented() -> None:
    record = read_record(EXAMPLE)
    assert int(record.age_years) == 62 and record.female and record.ethnicity == 1
    clinic = [v for d, v in record.values("sbp_mmhg") if d < record.as_of]
    assert clinic == [152.0, 148.0, 156.0]
    assert {m.setting for m in record.measurements if m.variable == "sbp_mmhg"} == {"clinic", "home"}
    assert record.values("hba1c_mmol_mol")[0][1] == 41.0
    assert [(p.treatment_field, p.value) for p in record.prescriptions] == [("statin_ldl_reduction", 0.43)]
    assert record.diagnoses == ()
    ignored = {i.resource.split("/")[0] for i in record.reading.ignored}
    assert ignored == {"Organization", "Practitioner", "Encounter", "Condition", "ServiceRequest"}
