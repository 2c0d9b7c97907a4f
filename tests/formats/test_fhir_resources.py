"""UK Core flavoured FHIR builders: one of every resource in a Bundle that the R4 models parse."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from twin_env.formats import fhir_resources as fhir
from twin_env.formats.fhir_resources import PROFILES, deterministic_uuid, validate_bundle
from twin_env.vocab.codes import CodeLookupError, is_known_code

LETTER = "Discharge summary\nDiagnoses: Acute myocardial infarction | ^ & ~ \\ é"


def _id(*parts: str) -> str:
    return deterministic_uuid("test", *parts)


PATIENT, PRACTICE, TRUST, GP, ENCOUNTER = (
    _id("patient"),
    _id("practice"),
    _id("trust"),
    _id("gp"),
    _id("encounter"),
)


def build_all() -> list[dict[str, Any]]:
    """One of every resource type the renderer makes, all referring to each other."""
    return [
        fhir.patient(
            id=PATIENT,
            nhs_number="9990000018",
            family="Doe",
            given=["Jane"],
            prefix="Mrs",
            gender="female",
            birth_date=dt.date(1958, 4, 12),
            ethnic_category="H",
            general_practice_id=PRACTICE,
        ),
        fhir.organization(id=PRACTICE, ods_code="TWINP01", name="Twin Practice One"),
        fhir.organization(id=TRUST, ods_code="TWINT1", name="Twin Hospitals NHS Trust"),
        fhir.practitioner(id=GP, family="Who", given=["Ann"]),
        fhir.encounter(
            id=ENCOUNTER,
            patient_id=PATIENT,
            encounter_class="AMB",
            start=dt.datetime(2024, 3, 1, 9, 30),
            end="2024-03-01T09:40:00",
            practitioner_id=GP,
            organization_id=PRACTICE,
        ),
        fhir.condition(
            id=_id("condition"),
            patient_id=PATIENT,
            code="59621000",
            onset="2024-03-01",
            recorded_date="2024-03-01",
            encounter_id=ENCOUNTER,
            recorder_id=GP,
        ),
        fhir.blood_pressure(
            id=_id("bp"),
            patient_id=PATIENT,
            effective="2024-03-01",
            systolic_mmhg=152,
            diastolic_mmhg=94,
            encounter_id=ENCOUNTER,
            performer_id=GP,
        ),
        fhir.observation(
            id=_id("bmi"),
            patient_id=PATIENT,
            code="60621009",
            effective="2024-03-01",
            category="vital-signs",
            value=31.2,
            unit="kg/m2",
            encounter_id=ENCOUNTER,
        ),
        fhir.observation(
            id=_id("smoking"),
            patient_id=PATIENT,
            code="8517006",
            effective="2024-03-01",
            category="social-history",
        ),
        fhir.observation(
            id=_id("hba1c"),
            patient_id=PATIENT,
            code="999791000000106",
            effective="2024-03-02",
            category="laboratory",
            value=48.0,
            unit="mmol/mol",
            issued="2024-03-03",
            performer_id=TRUST,
        ),
        fhir.medication_request(
            id=_id("med"),
            patient_id=PATIENT,
            dmd_code="319283006",
            authored_on="2024-03-01",
            dosage_text="One tablet once a day",
            repeat=True,
            requester_id=GP,
            encounter_id=ENCOUNTER,
        ),
        fhir.service_request(
            id=_id("referral"),
            patient_id=PATIENT,
            code="183519002",
            authored_on="2024-03-01",
            requester_id=GP,
            performer_id=TRUST,
            encounter_id=ENCOUNTER,
            reason_ids=[_id("condition")],
        ),
        fhir.service_request(
            id=_id("cxr-request"),
            patient_id=PATIENT,
            code="399208008",
            authored_on="2024-03-01",
            requester_id=GP,
        ),
        fhir.imaging_study(
            id=_id("cxr"),
            patient_id=PATIENT,
            procedure_code="399208008",
            modality="DX",
            started=dt.datetime(2024, 3, 4, 11, 0),
            description="Chest X-ray PA",
            based_on_id=_id("cxr-request"),
        ),
        fhir.diagnostic_report(
            id=_id("cxr-report"),
            patient_id=PATIENT,
            code="399208008",
            title="Chest X-ray report",
            category="RAD",
            effective="2024-03-04",
            issued="2024-03-05",
            imaging_study_ids=[_id("cxr")],
            based_on_ids=[_id("cxr-request")],
            performer_id=TRUST,
            conclusion="No acute abnormality.",
        ),
        fhir.diagnostic_report(
            id=_id("lab-report"),
            patient_id=PATIENT,
            title="HbA1c",
            category="LAB",
            effective="2024-03-02",
            issued=dt.datetime(2024, 3, 3, 14, 5),
            result_ids=[_id("hba1c")],
            performer_id=TRUST,
        ),
        fhir.document_reference(
            id=_id("letter"),
            patient_id=PATIENT,
            type_code="373942005",
            date="2024-03-10",
            text=LETTER,
            title="Discharge summary",
            author_id=GP,
            custodian_id=TRUST,
            encounter_id=ENCOUNTER,
        ),
        fhir.risk_assessment(
            id=_id("qrisk"),
            patient_id=PATIENT,
            occurrence="2024-03-01",
            code="1085871000000105",
            outcome="Heart attack or stroke",
            probability=0.123,
            years=10,
            method="QRISK3-2017",
            basis_ids=[_id("bp"), _id("bmi")],
            note="Disclaimer text",
            performer_id=GP,
        ),
        fhir.audit_event(
            id=_id("audit"),
            recorded=dt.datetime(2024, 3, 1, 9, 41),
            action="C",
            outcome="0",
            agent_name="policy:guideline",
            agent_id=GP,
            observer_id=PRACTICE,
            entity_ids=[PATIENT, _id("med")],
            description="prescribe amlodipine: allowed",
        ),
        fhir.provenance(
            id=_id("provenance"),
            target_ids=[_id("condition")],
            recorded="2024-03-12",
            agent_id=GP,
            source_ids=[_id("letter")],
            activity="coded from discharge summary",
        ),
    ]


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return fhir.bundle(id=_id("bundle"), resources=build_all())


def _codings(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield node
        for value in node.values():
            yield from _codings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _codings(item)


def test_bundle_parses_with_r4_and_references_resolve(bundle: dict[str, Any]) -> None:
    validate_bundle(bundle)


def test_every_resource_type_is_present(bundle: dict[str, Any]) -> None:
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert types == {
        "Patient", "Organization", "Practitioner", "Encounter", "Condition", "Observation",
        "MedicationRequest", "ServiceRequest", "ImagingStudy", "DiagnosticReport", "DocumentReference",
        "RiskAssessment",
        "AuditEvent", "Provenance",
    }  # fmt: skip


def test_profiles_are_the_pinned_uk_core_ones(bundle: dict[str, Any]) -> None:
    """Every profile declared is the resource type's own UK Core STU2 profile; types STU2 has no
    profile for (RiskAssessment, AuditEvent, Provenance, Bundle) declare none."""
    assert "meta" not in bundle
    for entry in bundle["entry"]:
        res = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{res['id']}"
        if res["resourceType"] in ("RiskAssessment", "AuditEvent", "Provenance"):
            assert "meta" not in res
            continue
        assert res["meta"]["profile"] == [PROFILES[res["resourceType"]]]
        assert PROFILES[res["resourceType"]].endswith("/StructureDefinition/UKCore-" + res["resourceType"])


def test_clinical_codes_are_all_in_the_table(bundle: dict[str, Any]) -> None:
    systems = {
        "http://snomed.info/sct": "snomed",
        "https://dmd.nhs.uk": "dmd",
        "http://loinc.org": "loinc",
        "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland": "ukcore-ethnic-category",
        "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland": (
            "ukcore-nhs-number-verification-status"
        ),
    }
    seen = set()
    for coding in _codings(bundle):
        if coding["system"] in systems:
            seen.add(coding["system"])
            assert is_known_code(systems[coding["system"]], coding["code"]), coding
    assert seen == set(systems)


def test_observation_codes_carry_loinc_and_ucum(bundle: dict[str, Any]) -> None:
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    hba1c = by_id[_id("hba1c")]
    assert [c["code"] for c in hba1c["code"]["coding"]] == ["999791000000106", "59261-8"]
    assert hba1c["valueQuantity"] == {"value": 48.0, "unit": "mmol/mol", "system": "http://unitsofmeasure.org",
                                      "code": "mmol/mol"}  # fmt: skip
    assert hba1c["meta"]["profile"] == [PROFILES["Observation"]]
    bp = by_id[_id("bp")]
    assert [c["code"]["coding"][0]["code"] for c in bp["component"]] == ["72313002", "1091811000000102"]
    assert [c["valueQuantity"]["value"] for c in bp["component"]] == [152, 94]
    assert bp["meta"]["profile"] == [PROFILES["Observation"]]


def test_patient_identifier_and_extensions(bundle: dict[str, Any]) -> None:
    patient = bundle["entry"][0]["resource"]
    (identifier,) = patient["identifier"]
    assert identifier["system"] == "https://fhir.nhs.uk/Id/nhs-number"
    assert identifier["value"] == "9990000018"
    assert identifier["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "01"
    assert patient["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "H"


def test_previous_dmd_id_is_written_as_current(bundle: dict[str, Any]) -> None:
    med = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest")
    assert med["medicationCodeableConcept"]["coding"][0]["code"] == "39732011000001102"


def test_document_attachment_round_trips(bundle: dict[str, Any]) -> None:
    doc = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference")
    attachment = doc["content"][0]["attachment"]
    assert attachment["contentType"].startswith("text/plain")
    assert base64.b64decode(attachment["data"]).decode("utf-8") == LETTER


def test_dates_and_instants() -> None:
    enc = fhir.encounter(id=ENCOUNTER, patient_id=PATIENT, encounter_class="IMP", start=dt.datetime(2024, 3, 1, 9, 30))
    assert enc["period"] == {"start": "2024-03-01T09:30:00+00:00"}
    audit = next(r for r in build_all() if r["resourceType"] == "AuditEvent")
    assert audit["recorded"] == "2024-03-01T09:41:00+00:00"
    prov = next(r for r in build_all() if r["resourceType"] == "Provenance")
    assert prov["recorded"] == "2024-03-12T00:00:00+00:00"
    with pytest.raises(ValueError, match="expected an ISO 8601 date"):
        fhir.condition(id=_id("c"), patient_id=PATIENT, code="59621000", recorded_date="2024-13-01")


def test_rendering_is_deterministic() -> None:
    first = fhir.dumps(fhir.bundle(id=_id("bundle"), resources=build_all()))
    second = fhir.dumps(fhir.bundle(id=_id("bundle"), resources=build_all()))
    assert first == second
    assert first == json.dumps(json.loads(first), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_deterministic_uuid() -> None:
    assert deterministic_uuid("a", "b") == str(uuid.uuid5(fhir.NAMESPACE, "a\x1fb"))
    assert deterministic_uuid("a", "b") != deterministic_uuid("ab")
    assert uuid.UUID(deterministic_uuid("x")).version == 5
    with pytest.raises(ValueError, match="at least one part"):
        deterministic_uuid()


def test_broken_reference_is_named(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    broken["entry"] = [e for e in broken["entry"] if e["resource"]["id"] != PRACTICE]
    with pytest.raises(ValueError, match=f"urn:uuid:{PRACTICE}"):
        validate_bundle(broken)


def test_structural_errors_fail_r4(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    broken["entry"][0]["resource"]["birthDate"] = "12/04/1958"
    with pytest.raises(ValueError, match="birthDate"):
        validate_bundle(broken)
    unknown = copy.deepcopy(bundle)
    unknown["entry"][0]["resource"]["favouriteColour"] = "blue"
    with pytest.raises(ValueError, match="favouriteColour"):
        validate_bundle(unknown)
    missing = copy.deepcopy(bundle)
    observation = next(e["resource"] for e in missing["entry"] if e["resource"]["resourceType"] == "Observation")
    del observation["status"]  # Observation.status is 1..1 in R4
    with pytest.raises(ValueError, match="status"):
        validate_bundle(missing)


def test_unknown_or_misplaced_codes_raise() -> None:
    with pytest.raises(CodeLookupError, match="183519002"):
        fhir.service_request(id=_id("s"), patient_id=PATIENT, code="183519001", authored_on="2024-03-01")
    with pytest.raises(CodeLookupError, match="domain 'referral'"):
        fhir.condition(id=_id("c"), patient_id=PATIENT, code="183519002", recorded_date="2024-03-01")
    with pytest.raises(KeyError):
        fhir.medication_request(
            id=_id("m"),
            patient_id=PATIENT,
            dmd_code="1",
            authored_on="2024-03-01",
            dosage_text="x",
            repeat=False,
        )


def test_bad_values_raise_with_allowed_values() -> None:
    with pytest.raises(ValueError, match="999 test range"):
        fhir.patient(id=PATIENT, nhs_number="4010232137", family="X", given=[], gender="male", birth_date="1950-01-01")
    with pytest.raises(ValueError, match="gender must be one of"):
        fhir.patient(id=PATIENT, nhs_number="9990000018", family="X", given=[], gender="M", birth_date="1950-01-01")
    with pytest.raises(ValueError, match="UCUM"):
        fhir.observation(id=_id("o"), patient_id=PATIENT, code="27113001", effective="2024-01-01",
                         category="vital-signs", value=80.0, unit="kilograms")  # fmt: skip
    with pytest.raises(ValueError, match="finite"):
        fhir.blood_pressure(
            id=_id("b"),
            patient_id=PATIENT,
            effective="2024-01-01",
            systolic_mmhg=float("nan"),
            diastolic_mmhg=80,
        )
    with pytest.raises(ValueError, match="lowercase UUID"):
        fhir.bundle(id=_id("b"), resources=[fhir.practitioner(id="gp-1", family="X", given=[])])


def test_deterministic_uuid_matches_uuid5_for_many_inputs() -> None:
    """The fast uuid5 (hashlib on the hex digest) equals the standard library's, any text."""
    samples = [("patient", str(i)) for i in range(500)] + [
        ("observation", "12-345", "0"),
        ("é", "€", "𝄞"),
        ("",),
        ("a\x1fb",),
    ]
    for parts in samples:
        assert deterministic_uuid(*parts) == str(uuid.uuid5(fhir.NAMESPACE, "\x1f".join(parts)))


def test_cached_codes_give_fresh_dicts_and_still_check_domains() -> None:
    """Code lookups are cached, but every resource gets its own dicts and a bad code still raises."""
    first = fhir.observation(id=_id("o1"), patient_id=PATIENT, code="27113001", effective="2024-01-01",
                             category="vital-signs", value=80.0, unit="kg")  # fmt: skip
    expected = copy.deepcopy(first["code"])
    first["code"]["coding"][0]["display"] = "changed by a caller"
    first["category"][0]["coding"].clear()
    second = fhir.observation(id=_id("o2"), patient_id=PATIENT, code="27113001", effective="2024-01-01",
                              category="vital-signs", value=80.0, unit="kg")  # fmt: skip
    assert second["code"] == expected
    assert second["category"][0]["coding"][0]["code"] == "vital-signs"
    for _ in range(2):  # the second time the code is known to the cache of the other domain
        with pytest.raises(CodeLookupError, match="domain 'referral'"):
            fhir.condition(id=_id("c"), patient_id=PATIENT, code="183519002", recorded_date="2024-03-01")
        fhir.service_request(id=_id("s"), patient_id=PATIENT, code="183519002", authored_on="2024-03-01")
    with pytest.raises(ValueError, match="category must be one of"):
        fhir.observation(id=_id("o3"), patient_id=PATIENT, code="27113001", effective="2024-01-01",
                         category="vitals")  # fmt: skip


def test_dumps_matches_json_dumps() -> None:
    """The shared encoder writes exactly what json.dumps with the documented options writes."""
    resources = build_all()
    expected = json.dumps(
        fhir.bundle(id=_id("bundle"), resources=resources),
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
    )  # fmt: skip
    assert fhir.dumps(fhir.bundle(id=_id("bundle"), resources=resources)) == expected
    with pytest.raises(ValueError):
        fhir.dumps({"value": float("nan")})
