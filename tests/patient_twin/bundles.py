"""Small hand-built FHIR R4 Bundles for the reader's tests (fictitious people only)."""

from __future__ import annotations

from typing import Any

LOINC, SCT, UCUM = "http://loinc.org", "http://snomed.info/sct", "http://unitsofmeasure.org"
PATIENT_ID = "pat-1"


def patient(**changes: Any) -> dict[str, Any]:
    res = {"resourceType": "Patient", "id": PATIENT_ID, "gender": "male", "birthDate": "1962-01-20"}
    res.update(changes)
    return {k: v for k, v in res.items() if v is not None}


def observation(
    code: str,
    value: Any = None,
    unit: str | None = None,
    *,
    system: str = LOINC,
    date: str = "2024-03-01",
    id: str = "o1",
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": date,
    }
    if value is not None:
        res["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    return res


def condition(code: str, *, system: str = SCT, id: str = "c1", **changes: Any) -> dict[str, Any]:
    res = {
        "resourceType": "Condition",
        "id": id,
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "onsetDateTime": "2020-05-01",
    }
    res.update(changes)
    return res


def bundle(*resources: dict[str, Any], with_patient: bool = True) -> dict[str, Any]:
    found = ([patient()] if with_patient else []) + list(resources)
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in found]}
