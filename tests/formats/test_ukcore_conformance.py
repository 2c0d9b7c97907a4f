"""UK Core findings of issue 20, one test per profile constraint, on a small simulated record."""

from __future__ import annotations

from typing import Any

import pytest

from twin_env.formats.export import RecordSource, fhir_bundle
from twin_env.formats.fhir_resources import PRACTITIONER_ID_SYSTEM, PROFILES, UKCORE_RELEASE
from twin_env.formats.source import PRACTICE, TRUST
from twin_env.simulation import simulate
from twin_env.vocab.codes import lookup_code

_SNOMED = "http://snomed.info/sct"


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    sim = simulate(30, 11, 4.0, min_age_years=50, max_age_years=80)
    source = RecordSource.from_simulation(sim)
    return [e["resource"] for p in source.patients for e in fhir_bundle(source, p)["entry"]]


def _of(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    found = [r for r in resources if r["resourceType"] == kind]
    assert found, f"no {kind} in the sample"
    return found


def _bp_panels(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in _of(resources, "Observation") if r["code"]["coding"][0]["code"] == "75367002"]


def test_only_profiles_of_the_pinned_release_are_declared(resources: list[dict[str, Any]]) -> None:
    """STU2 has no vital-signs or lab profiles: nothing declares BloodPressure, BMI or *-Lab."""
    assert "STU2" in UKCORE_RELEASE
    declared = {p for r in resources for p in r.get("meta", {}).get("profile", [])}
    assert declared <= set(PROFILES.values())
    assert not any(("VitalSigns" in p or p.endswith("-Lab")) for p in PROFILES.values())


def test_bp_component_code_text_is_what_the_bp_profile_slices_on(resources: list[dict[str, Any]]) -> None:
    """UK Core BP profile: component sliced (closed) on code.text = "Systolic blood pressure" /
    "Diastolic blood pressure"."""
    panels = _bp_panels(resources)
    assert panels
    for bp in panels:
        assert [c["code"]["text"] for c in bp["component"]] == ["Systolic blood pressure", "Diastolic blood pressure"]


def test_bp_unit_text_is_the_fixed_one(resources: list[dict[str, Any]]) -> None:
    """UK Core BP profile: component.valueQuantity unit "millimeter of mercury", UCUM mm[Hg]."""
    for bp in _bp_panels(resources):
        for component in bp["component"]:
            quantity = component["valueQuantity"]
            assert (quantity["unit"], quantity["system"], quantity["code"]) == (
                "millimeter of mercury", "http://unitsofmeasure.org", "mm[Hg]",
            )  # fmt: skip
        assert bp["meta"]["profile"] == [PROFILES["Observation"]]  # no BP profile in STU2


def test_medication_request_has_substitution(resources: list[dict[str, Any]]) -> None:
    """UK Core MedicationRequest: substitution 1..1 with allowed[x] (a VMP may be any of its products)."""
    for med in _of(resources, "MedicationRequest"):
        assert med["substitution"] == {"allowedBoolean": True}


def test_ethnic_category_display_is_the_code_systems(resources: list[dict[str, Any]]) -> None:
    """Extension-UKCore-EthnicCategory: coding display as UKCore-EthnicCategoryEngland has it."""
    assert lookup_code("ukcore-ethnic-category", "A").display == "White - British"
    assert lookup_code("ukcore-ethnic-category", "L").display == "Asian or Asian British - Any other Asian background"
    for patient in _of(resources, "Patient"):
        (coding,) = patient["extension"][0]["valueCodeableConcept"]["coding"]
        assert coding["display"] == lookup_code("ukcore-ethnic-category", coding["code"]).display
        assert " - " in coding["display"]


def test_lab_reports_are_coded_and_performed_by_the_lab(resources: list[dict[str, Any]]) -> None:
    """DiagnosticReport of category LAB: code has a SNOMED CT coding (not text only); performer set."""
    labs = [r for r in _of(resources, "DiagnosticReport") if r["category"][0]["coding"][0]["code"] == "LAB"]
    assert labs
    for report in labs:
        (coding,) = report["code"]["coding"]
        assert coding["system"] == _SNOMED
        assert coding["display"] == lookup_code("snomed", coding["code"]).display
        assert report["performer"]
        assert report["meta"]["profile"] == [PROFILES["DiagnosticReport"]]  # no DiagnosticReport-Lab in STU2


def test_lab_observations_have_the_lab_as_performer(resources: list[dict[str, Any]]) -> None:
    """Lab Observations name their performer: the trust's laboratory (Organization)."""
    trust = next(r for r in _of(resources, "Organization") if r["identifier"][0]["value"] == TRUST.code)
    labs = [r for r in _of(resources, "Observation") if r["category"][0]["coding"][0]["code"] == "laboratory"]
    assert labs
    for obs in labs:
        assert obs["performer"] == [{"reference": f"urn:uuid:{trust['id']}"}]


def test_bmi_is_coded_as_uk_cores_bmi_example(resources: list[dict[str, Any]]) -> None:
    """BMI: vital-signs category, SNOMED 60621009 + LOINC 39156-5, UCUM kg/m2 (what UK Core's BMI
    profile fixes); it declares UKCore-Observation because STU2 has no BMI profile."""
    bmis = [r for r in _of(resources, "Observation") if r["code"]["coding"][0]["code"] == "60621009"]
    assert bmis
    for bmi in bmis:
        assert [c["code"] for c in bmi["code"]["coding"]] == ["60621009", "39156-5"]
        assert bmi["category"][0]["coding"][0]["code"] == "vital-signs"
        assert bmi["valueQuantity"]["code"] == "kg/m2"
        assert bmi["meta"]["profile"] == [PROFILES["Observation"]]


def test_practitioner_has_a_synthetic_identifier(resources: list[dict[str, Any]]) -> None:
    """Practitioner.identifier: one, in the project's obviously fictitious system (never a GMC number)."""
    for gp in _of(resources, "Practitioner"):
        assert gp["identifier"] == [{"system": PRACTITIONER_ID_SYSTEM, "value": f"{PRACTICE.code}-GP1"}]
        assert ".example/" in PRACTITIONER_ID_SYSTEM


def test_organisations_and_names_are_obviously_synthetic(resources: list[dict[str, Any]]) -> None:
    codes = {r["identifier"][0]["value"] for r in _of(resources, "Organization")}
    assert codes == {"TWINP01", "TWINT1"}
    for person in _of(resources, "Patient") + _of(resources, "Practitioner"):
        assert person["name"][0]["family"].startswith("Twin-")
