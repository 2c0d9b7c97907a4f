"""Plain-dict builders for UK Core flavoured FHIR R4 resources, a Bundle, and bundle validation.

Builders are fast: they build ``dict`` s and never touch a model library (20-50x slower);
:func:`validate_bundle` parses with the FHIR R4 (4.0.1) models of ``fhirclient`` on request and in tests.

Conventions:

- one UK Core release is targeted (:data:`UKCORE_RELEASE`); a resource carries ``meta.profile`` =
  its UK Core profile (:data:`PROFILES`) only when that release has one (RiskAssessment,
  AuditEvent, Provenance and Bundle declare none);
- ids are UUIDs the caller makes with :func:`deterministic_uuid` (uuid5, never uuid4 or the
  clock); a Bundle entry's ``fullUrl`` is ``urn:uuid:<id>`` and every reference is
  ``{"reference": "urn:uuid:<id>"}``;
- clinical codes are given as codes and checked against the packaged table (:mod:`twin_env.vocab.codes`);
  the display is the table's term; a code that is not in the table raises ``KeyError``; values
  that FHIR itself defines (statuses, categories, encounter class) are checked against the FHIR
  value set and raise ``ValueError``;
- dates are ``datetime.date`` or ISO strings; a naive ``datetime`` is taken as UTC (the
  simulated clock); FHIR ``instant`` fields given a date get midnight UTC.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from twin_env.formats.nhs_number import is_synthetic_nhs_number
from twin_env.vocab.codes import (
    UCUM_UNITS,
    Code,
    CodeLookupError,
    current_dmd_code,
    is_known_code,
    loinc_for,
    lookup_code,
)

__all__ = [
    "BUNDLE_TYPES",
    "NAMESPACE",
    "PRACTITIONER_ID_SYSTEM",
    "PROFILES",
    "UKCORE_RELEASE",
    "DateLike",
    "Resource",
    "audit_event",
    "blood_pressure",
    "bundle",
    "condition",
    "deterministic_uuid",
    "device",
    "diagnostic_report",
    "document_reference",
    "dumps",
    "encounter",
    "imaging_study",
    "medication_request",
    "observation",
    "organization",
    "patient",
    "practitioner",
    "provenance",
    "reference",
    "risk_assessment",
    "service_request",
    "validate_bundle",
]

DateLike = str | dt.date
Resource = dict[str, Any]

#: uuid5 namespace of every id the project makes.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:twin-env")

_UKCORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
#: The one UK Core release the output targets (FHIR 4.0.1). Its profiles are the only ones declared:
#: the vital-signs (blood pressure, BMI) and pathology (Observation-Lab, DiagnosticReport-Lab)
#: profiles exist only in UK Core's development line, so those resources declare the base
#: UKCore-Observation / UKCore-DiagnosticReport (docs/record.md, "UK Core release").
UKCORE_RELEASE = "UK Core STU2 (UKCore.R4.STU.02.00.00, FHIR 4.0.1)"
#: Resource -> UK Core profile URL in :data:`UKCORE_RELEASE`.
PROFILES: Mapping[str, str] = MappingProxyType(
    {
        name: _UKCORE + name
        for name in (
            "Patient",
            "Organization",
            "Practitioner",
            "Encounter",
            "Condition",
            "Observation",
            "MedicationRequest",
            "ServiceRequest",
            "DiagnosticReport",
            "ImagingStudy",
            "DocumentReference",
        )
    }
)
#: Identifier system of the synthetic clinicians: a reserved ``.example`` domain (RFC 2606), so it
#: is obviously fictitious and never a GMC, GMP or SDS number.
PRACTITIONER_ID_SYSTEM = "https://fhir.twin-env.example/Id/synthetic-practitioner"
#: Bundle types :func:`bundle` writes: ``collection`` (a set of resources) or ``transaction``
#: (every entry a ``PUT <type>/<id>``, so a server stores it atomically and a reload is idempotent).
BUNDLE_TYPES = ("collection", "transaction")

_SYSTEM_URI = MappingProxyType(
    {
        "snomed": "http://snomed.info/sct",
        "dmd": "https://dmd.nhs.uk",
        "loinc": "http://loinc.org",
        "ukcore-ethnic-category": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
        "ukcore-nhs-number-verification-status": (
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
        ),
    }
)
_NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
_EXT_VERIFICATION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
_EXT_ETHNIC = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
_UCUM = "http://unitsofmeasure.org"
_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
_DICOM = "http://dicom.nema.org/resources/ontology/DCM"

# Value sets defined by FHIR R4 itself (required bindings), code -> display where one is rendered.
_GENDERS = frozenset({"male", "female", "other", "unknown"})
_ENCOUNTER_STATUS = frozenset(
    {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error"}
)
_ENCOUNTER_CLASS = MappingProxyType({"AMB": "ambulatory", "IMP": "inpatient encounter", "EMER": "emergency"})
_CONDITION_CLINICAL = frozenset({"active", "recurrence", "relapse", "inactive", "remission", "resolved"})
_CONDITION_VERIFICATION = frozenset({"unconfirmed", "provisional", "differential", "confirmed", "refuted"})
_CONDITION_CATEGORY = MappingProxyType(
    {"problem-list-item": "Problem List Item", "encounter-diagnosis": "Encounter Diagnosis"}
)
_OBSERVATION_STATUS = frozenset({"registered", "preliminary", "final", "amended", "corrected", "cancelled"})
_OBSERVATION_CATEGORY = MappingProxyType(
    {
        "vital-signs": "Vital Signs",
        "laboratory": "Laboratory",
        "social-history": "Social History",
        "survey": "Survey",
        "exam": "Exam",
    }
)
_REQUEST_STATUS = frozenset({"draft", "active", "on-hold", "revoked", "completed", "entered-in-error"})
_MEDICATION_REQUEST_STATUS = frozenset(
    {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft"}
)
_REPORT_STATUS = frozenset({"registered", "partial", "preliminary", "final", "amended", "corrected", "cancelled"})
# HL7 v2 table 0074 diagnostic service sections used by the twin.
_REPORT_CATEGORY = MappingProxyType(
    {"LAB": "Laboratory", "RAD": "Radiology", "EC": "Electrocardiac", "CUS": "Cardiac Ultrasound"}
)
# DICOM modalities used by the twin's imaging and diagnostics.
_MODALITY = MappingProxyType({"DX": "Digital Radiography", "US": "Ultrasound", "ECG": "Electrocardiography"})
_IMAGING_STATUS = frozenset({"registered", "available", "cancelled"})
_DOCUMENT_STATUS = frozenset({"current", "superseded", "entered-in-error"})
_AUDIT_ACTION = frozenset({"C", "R", "U", "D", "E"})
_AUDIT_OUTCOME = frozenset({"0", "4", "8", "12"})
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# uuid5 without building a uuid.UUID per id: SHA-1 of the namespace bytes then the name (the
# namespace prefix is hashed once); the version nibble becomes 5 and the variant nibble's top
# bits 10 (RFC 4122), as uuid.UUID(bytes=..., version=5) does, done on the hex digits.
_NAMESPACE_SHA1 = hashlib.sha1(NAMESPACE.bytes, usedforsecurity=False)
_VARIANT_HEX = {h: "89ab"[int(h, 16) & 3] for h in "0123456789abcdef"}


def deterministic_uuid(*parts: str) -> str:
    """A stable UUID (uuid5 in :data:`NAMESPACE`) for the given parts, e.g. ("patient", "42").

    Equal to ``str(uuid.uuid5(NAMESPACE, "\\x1f".join(parts)))`` (a test checks it), computed
    without the ``uuid.UUID`` object.
    """
    if not parts:
        raise ValueError("deterministic_uuid needs at least one part")
    digest = _NAMESPACE_SHA1.copy()
    digest.update("\x1f".join(parts).encode("utf-8"))
    x = digest.hexdigest()
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT_HEX[x[16]]}{x[17:20]}-{x[20:32]}"


def reference(resource_id: str) -> dict[str, str]:
    """A reference to the resource with ``resource_id`` inside the same Bundle."""
    return {"reference": "urn:uuid:" + resource_id}


# One encoder for every call (json.dumps would build one per call for non-default options);
# check_circular is off because builders only make trees (a cycle would now end in RecursionError
# rather than json's "Circular reference detected" ValueError). Output is unchanged.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)


def dumps(resource: Mapping[str, Any]) -> str:
    """Serialise a resource or Bundle deterministically (sorted keys, compact, UTF-8 text)."""
    return _ENCODER.encode(resource)


def _choice(value: str, allowed: Iterable[str], field: str) -> str:
    if value not in allowed:
        raise ValueError(f"{field} must be one of {sorted(allowed)}, got {value!r}")
    return value


def _parse(value: str) -> dt.date:
    """An ISO 8601 date (``YYYY-MM-DD``) or date-time string as a date or datetime."""
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 date or date-time, got {value!r}") from None


def _aware(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat(timespec="seconds")


def _date(value: DateLike) -> str:
    """FHIR ``date``."""
    value = _parse(value) if isinstance(value, str) else value
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def _datetime(value: DateLike) -> str:
    """FHIR ``dateTime``: a date stays a date; a time gets a time zone (UTC if naive)."""
    if type(value) is dt.date:  # the common case (record dates): no parsing or zone to add
        return value.isoformat()
    value = _parse(value) if isinstance(value, str) else value
    return _aware(value) if isinstance(value, dt.datetime) else value.isoformat()


def _instant(value: DateLike) -> str:
    """FHIR ``instant``: always a full time with zone; a date means midnight UTC."""
    if type(value) is dt.date:  # the common case: what _aware writes for midnight UTC
        return value.isoformat() + "T00:00:00+00:00"
    value = _parse(value) if isinstance(value, str) else value
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return _aware(value)


def _table_code(system: str, code: str, domains: Iterable[str], field: str) -> Code:
    row = lookup_code(system, code)
    if row.domain not in domains:
        raise CodeLookupError(
            f"{field}: {system} code {code} ({row.concept!r}) is in domain {row.domain!r}; "
            f"expected one of {sorted(domains)}"
        )
    return row


def _coding(row: Code) -> dict[str, str]:
    return {"system": _SYSTEM_URI[row.system], "code": row.code, "display": row.display}


def _concept(*rows: Code) -> dict[str, Any]:
    return {"coding": [_coding(r) for r in rows], "text": rows[0].display}


# The code table is frozen, so a code checked once (in the table, in an allowed domain) is
# remembered with the (system URI, code, display) of each coding its CodeableConcept carries.
# Only the strings are cached: every call builds fresh dicts, so callers may change what they get.
_Codings = tuple[tuple[str, str, str], ...]
_CHECKED: dict[tuple[str, str, tuple[str, ...], bool], _Codings] = {}


def _codings(system: str, code: str, domains: tuple[str, ...], field: str, loinc: bool = False) -> _Codings:
    """The codings for ``code`` (checked as :func:`_table_code` does), plus its LOINC if ``loinc``."""
    key = (system, code, domains, loinc)
    found = _CHECKED.get(key)
    if found is None:
        rows = [_table_code(system, code, domains, field)]
        if loinc:
            equivalent = loinc_for(rows[0].concept)
            if equivalent is not None:
                rows.append(equivalent)
        found = _CHECKED[key] = tuple((_SYSTEM_URI[r.system], r.code, r.display) for r in rows)
    return found


def _concept_of(codings: _Codings) -> dict[str, Any]:
    """A CodeableConcept (fresh dicts) from cached codings; the text is the first display."""
    return {
        "coding": [{"system": s, "code": c, "display": d} for s, c, d in codings],
        "text": codings[0][2],
    }


def _fixed_concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _base(resource_type: str, resource_id: str, profile: str | None) -> Resource:
    """A resource; ``profile`` (a key of :data:`PROFILES`) or None where the pinned UK Core has none."""
    res: Resource = {"resourceType": resource_type, "id": resource_id}
    if profile is not None:
        res["meta"] = {"profile": [PROFILES[profile]]}
    return res


def _quantity(value: float, unit: str, field: str) -> dict[str, Any]:
    if not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number, got {value!r}")
    _choice(unit, UCUM_UNITS, f"{field} unit (UCUM)")
    return {"value": value, "unit": UCUM_UNITS[unit], "system": _UCUM, "code": unit}


def _put(resource: Resource, key: str, value: Any) -> None:
    """Set an optional element only when it has a value."""
    if value is not None:
        resource[key] = value


def _ref(resource_id: str | None) -> dict[str, str] | None:
    return None if resource_id is None else reference(resource_id)


def patient(
    *,
    id: str,
    nhs_number: str,
    family: str,
    given: Sequence[str],
    gender: str,
    birth_date: DateLike,
    ethnic_category: str | None = None,
    prefix: str | None = None,
    deceased: DateLike | None = None,
    general_practice_id: str | None = None,
) -> Resource:
    """UK Core Patient with a verified synthetic NHS number and, if given, the ethnic category letter."""
    if not is_synthetic_nhs_number(nhs_number):
        raise ValueError(f"nhs_number must be a valid NHS number in the 999 test range, got {nhs_number!r}")
    verified = lookup_code("ukcore-nhs-number-verification-status", "01")
    res = _base("Patient", id, "Patient")
    if ethnic_category is not None:
        ethnic = lookup_code("ukcore-ethnic-category", ethnic_category)
        res["extension"] = [{"url": _EXT_ETHNIC, "valueCodeableConcept": _concept(ethnic)}]
    res["identifier"] = [
        {
            "extension": [{"url": _EXT_VERIFICATION, "valueCodeableConcept": {"coding": [_coding(verified)]}}],
            "system": _NHS_NUMBER_SYSTEM,
            "value": nhs_number,
        }
    ]
    name: dict[str, Any] = {"use": "official", "family": family, "given": list(given)}
    _put(name, "prefix", None if prefix is None else [prefix])
    res["name"] = [name]
    res["gender"] = _choice(gender, _GENDERS, "gender")
    res["birthDate"] = _date(birth_date)
    _put(res, "deceasedDateTime", None if deceased is None else _datetime(deceased))
    _put(res, "generalPractitioner", None if general_practice_id is None else [reference(general_practice_id)])
    return res


def organization(*, id: str, ods_code: str, name: str) -> Resource:
    """UK Core Organization identified by an ODS-style code (use obviously fictitious codes)."""
    res = _base("Organization", id, "Organization")
    res["identifier"] = [{"system": _ODS_SYSTEM, "value": ods_code}]
    res["active"] = True
    res["name"] = name
    return res


def practitioner(
    *, id: str, family: str, given: Sequence[str], prefix: str = "Dr", identifier: str | None = None
) -> Resource:
    """UK Core Practitioner; ``identifier`` is a synthetic one in :data:`PRACTITIONER_ID_SYSTEM`
    (no GMC or GMP number is made up, so none can be a real clinician's)."""
    res = _base("Practitioner", id, "Practitioner")
    _put(res, "identifier", None if identifier is None else [{"system": PRACTITIONER_ID_SYSTEM, "value": identifier}])
    res["name"] = [{"family": family, "given": list(given), "prefix": [prefix]}]
    return res


def encounter(
    *,
    id: str,
    patient_id: str,
    encounter_class: str,
    start: DateLike,
    end: DateLike | None = None,
    status: str = "finished",
    practitioner_id: str | None = None,
    organization_id: str | None = None,
) -> Resource:
    """UK Core Encounter; ``encounter_class`` is v3-ActCode AMB (GP/outpatient), IMP or EMER."""
    _choice(encounter_class, _ENCOUNTER_CLASS, "encounter_class")
    res = _base("Encounter", id, "Encounter")
    res["status"] = _choice(status, _ENCOUNTER_STATUS, "status")
    res["class"] = {
        "system": _TERMINOLOGY + "v3-ActCode",
        "code": encounter_class,
        "display": _ENCOUNTER_CLASS[encounter_class],
    }
    res["subject"] = reference(patient_id)
    _put(res, "participant", None if practitioner_id is None else [{"individual": reference(practitioner_id)}])
    period = {"start": _datetime(start)}
    _put(period, "end", None if end is None else _datetime(end))
    res["period"] = period
    _put(res, "serviceProvider", _ref(organization_id))
    return res


def condition(
    *,
    id: str,
    patient_id: str,
    code: str,
    recorded_date: DateLike,
    onset: DateLike | None = None,
    abatement: DateLike | None = None,
    clinical_status: str = "active",
    verification_status: str = "confirmed",
    category: str = "problem-list-item",
    encounter_id: str | None = None,
    recorder_id: str | None = None,
) -> Resource:
    """UK Core Condition coded in SNOMED CT (domain ``condition`` of the code table)."""
    codings = _codings("snomed", code, ("condition",), "Condition.code")
    _choice(category, _CONDITION_CATEGORY, "category")
    res = _base("Condition", id, "Condition")
    res["clinicalStatus"] = _fixed_concept(
        _TERMINOLOGY + "condition-clinical",
        _choice(clinical_status, _CONDITION_CLINICAL, "clinical_status"),
        clinical_status.capitalize(),
    )
    res["verificationStatus"] = _fixed_concept(
        _TERMINOLOGY + "condition-ver-status",
        _choice(verification_status, _CONDITION_VERIFICATION, "verification_status"),
        verification_status.capitalize(),
    )
    res["category"] = [_fixed_concept(_TERMINOLOGY + "condition-category", category, _CONDITION_CATEGORY[category])]
    res["code"] = _concept_of(codings)
    res["subject"] = reference(patient_id)
    _put(res, "encounter", _ref(encounter_id))
    _put(res, "onsetDateTime", None if onset is None else _datetime(onset))
    _put(res, "abatementDateTime", None if abatement is None else _datetime(abatement))
    res["recordedDate"] = _datetime(recorded_date)
    _put(res, "recorder", _ref(recorder_id))
    return res


def _observation_code(code: str, field: str) -> dict[str, Any]:
    """SNOMED CT observable (or smoking finding), with the LOINC equivalent where the table has one.

    A lab analyte the table has no SNOMED CT observable for (NT-proBNP) is coded by its LOINC code alone.
    """
    if not is_known_code("snomed", code) and is_known_code("loinc", code):
        return _concept_of(_codings("loinc", code, ("loinc",), field))
    return _concept_of(_codings("snomed", code, ("observable", "smoking"), field, loinc=True))


_OBSERVATION_CATEGORY_SYSTEM = _TERMINOLOGY + "observation-category"


def _category(category: str) -> list[dict[str, Any]]:
    display = _OBSERVATION_CATEGORY.get(category)
    if display is None:
        _choice(category, _OBSERVATION_CATEGORY, "category")
    return [{"coding": [{"system": _OBSERVATION_CATEGORY_SYSTEM, "code": category, "display": display}]}]


def observation(
    *,
    id: str,
    patient_id: str,
    code: str,
    effective: DateLike,
    category: str,
    value: float | None = None,
    unit: str | None = None,
    status: str = "final",
    issued: DateLike | None = None,
    encounter_id: str | None = None,
    performer_id: str | None = None,
    device_id: str | None = None,
) -> Resource:
    """UK Core Observation: a SNOMED CT observable with a UCUM quantity, or a coded finding (no value).

    Every one declares UKCore-Observation (the pinned release has no lab or BMI profile). For
    blood pressure use :func:`blood_pressure`. ``device_id``: the Device that took it (home readings).
    """
    if (value is None) != (unit is None):
        raise ValueError("value and unit must be given together")
    res = _base("Observation", id, "Observation")
    res["status"] = _choice(status, _OBSERVATION_STATUS, "status")
    res["category"] = _category(category)
    res["code"] = _observation_code(code, "Observation.code")
    res["subject"] = reference(patient_id)
    _put(res, "encounter", _ref(encounter_id))
    res["effectiveDateTime"] = _datetime(effective)
    _put(res, "issued", None if issued is None else _instant(issued))
    _put(res, "performer", None if performer_id is None else [reference(performer_id)])
    if value is not None and unit is not None:
        res["valueQuantity"] = _quantity(value, unit, "value")
    _put(res, "device", _ref(device_id))
    return res


def device(*, id: str, patient_id: str, name: str, kind: str) -> Resource:
    """A Device the patient holds (a home BP monitor, later a wearable): ``name`` and ``kind`` as text.

    No profile is declared and no device-type code is given: neither is on the project's
    reference sheets (:data:`PROFILES` lists the pinned release's profiles this module uses).
    """
    res = _base("Device", id, None)
    res["status"] = "active"
    res["deviceName"] = [{"name": name, "type": "user-friendly-name"}]
    res["type"] = {"text": kind}
    res["patient"] = reference(patient_id)
    return res


#: UK Core blood pressure example: panel 75367002 with components 72313002 and 1091811000000102.
_BP_PANEL, _BP_SYSTOLIC, _BP_DIASTOLIC = "75367002", "72313002", "1091811000000102"
#: What UK Core's blood pressure profile (development line) fixes: the component ``code.text`` it
#: slices on and the unit text of mm[Hg]. Written although the pinned release lacks the profile,
#: so the panel meets it as well as UKCore-Observation.
BP_COMPONENT_TEXT = {_BP_SYSTOLIC: "Systolic blood pressure", _BP_DIASTOLIC: "Diastolic blood pressure"}
BP_UNIT_TEXT = "millimeter of mercury"


def _bp_component(code: str, value_mmhg: float, field: str) -> dict[str, Any]:
    quantity = _quantity(value_mmhg, "mm[Hg]", field)
    quantity["unit"] = BP_UNIT_TEXT
    return {"code": {**_observation_code(code, field), "text": BP_COMPONENT_TEXT[code]}, "valueQuantity": quantity}


def blood_pressure(
    *,
    id: str,
    patient_id: str,
    effective: DateLike,
    systolic_mmhg: float,
    diastolic_mmhg: float,
    status: str = "final",
    encounter_id: str | None = None,
    performer_id: str | None = None,
) -> Resource:
    """UK Core blood pressure Observation (UKCore-Observation): a panel with systolic and diastolic
    components whose texts and unit are those UK Core's blood pressure profile fixes."""
    res = _base("Observation", id, "Observation")
    res["status"] = _choice(status, _OBSERVATION_STATUS, "status")
    res["category"] = _category("vital-signs")
    res["code"] = _observation_code(_BP_PANEL, "Observation.code")
    res["subject"] = reference(patient_id)
    _put(res, "encounter", _ref(encounter_id))
    res["effectiveDateTime"] = _datetime(effective)
    _put(res, "performer", None if performer_id is None else [reference(performer_id)])
    res["component"] = [
        _bp_component(_BP_SYSTOLIC, systolic_mmhg, "systolic_mmhg"),
        _bp_component(_BP_DIASTOLIC, diastolic_mmhg, "diastolic_mmhg"),
    ]
    return res


#: dm+d id as given (current or previous) -> codings of the current VMP.
_DMD_CODINGS: dict[str, _Codings] = {}


def medication_request(
    *,
    id: str,
    patient_id: str,
    dmd_code: str,
    authored_on: DateLike,
    dosage_text: str,
    repeat: bool,
    status: str = "active",
    requester_id: str | None = None,
    encounter_id: str | None = None,
) -> Resource:
    """UK Core MedicationRequest for a dm+d VMP (a previous VMP id is accepted; the current id is written).

    ``repeat`` sets courseOfTherapyType: continuous (repeat prescription) or acute. ``substitution``
    (which UK Core MedicationRequest requires) allows any product of the VMP: a VMP is generic.
    """
    codings = _DMD_CODINGS.get(dmd_code)
    if codings is None:
        codings = _DMD_CODINGS[dmd_code] = _codings(
            "dmd", current_dmd_code(dmd_code), ("dmd",), "medicationCodeableConcept"
        )
    res = _base("MedicationRequest", id, "MedicationRequest")
    res["status"] = _choice(status, _MEDICATION_REQUEST_STATUS, "status")
    res["intent"] = "order"
    therapy = ("continuous", "Continuous long term therapy") if repeat else ("acute", "Short course (acute) therapy")
    res["courseOfTherapyType"] = _fixed_concept(_TERMINOLOGY + "medicationrequest-course-of-therapy", *therapy)
    res["medicationCodeableConcept"] = _concept_of(codings)
    res["subject"] = reference(patient_id)
    _put(res, "encounter", _ref(encounter_id))
    res["authoredOn"] = _datetime(authored_on)
    _put(res, "requester", _ref(requester_id))
    res["dosageInstruction"] = [{"text": dosage_text}]
    res["substitution"] = {"allowedBoolean": True}
    return res


def service_request(
    *,
    id: str,
    patient_id: str,
    code: str,
    authored_on: DateLike,
    status: str = "active",
    requester_id: str | None = None,
    performer_id: str | None = None,
    encounter_id: str | None = None,
    reason_ids: Sequence[str] = (),
) -> Resource:
    """UK Core ServiceRequest (a referral or a test/imaging request) coded in SNOMED CT."""
    codings = _codings("snomed", code, ("referral", "procedure"), "ServiceRequest.code")
    res = _base("ServiceRequest", id, "ServiceRequest")
    res["status"] = _choice(status, _REQUEST_STATUS, "status")
    res["intent"] = "order"
    res["code"] = _concept_of(codings)
    res["subject"] = reference(patient_id)
    _put(res, "encounter", _ref(encounter_id))
    res["authoredOn"] = _datetime(authored_on)
    _put(res, "requester", _ref(requester_id))
    _put(res, "performer", None if performer_id is None else [reference(performer_id)])
    _put(res, "reasonReference", [reference(r) for r in reason_ids] or None)
    return res


def diagnostic_report(
    *,
    id: str,
    patient_id: str,
    title: str,
    category: str,
    effective: DateLike,
    issued: DateLike,
    code: str | None = None,
    result_ids: Sequence[str] = (),
    imaging_study_ids: Sequence[str] = (),
    based_on_ids: Sequence[str] = (),
    performer_id: str | None = None,
    conclusion: str | None = None,
    status: str = "final",
) -> Resource:
    """UK Core DiagnosticReport. ``code`` is a SNOMED CT procedure/observable from the table
    (its text is ``title``); without one the report is named by ``title`` only.
    """
    _choice(category, _REPORT_CATEGORY, "category")
    res = _base("DiagnosticReport", id, "DiagnosticReport")
    _put(res, "basedOn", [reference(r) for r in based_on_ids] or None)
    res["status"] = _choice(status, _REPORT_STATUS, "status")
    res["category"] = [_fixed_concept(_TERMINOLOGY + "v2-0074", category, _REPORT_CATEGORY[category])]
    if code is None:
        res["code"] = {"text": title}
    else:
        res["code"] = {
            **_concept_of(_codings("snomed", code, ("procedure", "observable"), "code")),
            "text": title,
        }
    res["subject"] = reference(patient_id)
    res["effectiveDateTime"] = _datetime(effective)
    res["issued"] = _instant(issued)
    _put(res, "performer", None if performer_id is None else [reference(performer_id)])
    _put(res, "result", [reference(r) for r in result_ids] or None)
    _put(res, "imagingStudy", [reference(r) for r in imaging_study_ids] or None)
    _put(res, "conclusion", conclusion)
    return res


def imaging_study(
    *,
    id: str,
    patient_id: str,
    procedure_code: str,
    modality: str,
    started: DateLike,
    description: str,
    number_of_instances: int = 1,
    status: str = "available",
    based_on_id: str | None = None,
    encounter_id: str | None = None,
) -> Resource:
    """UK Core ImagingStudy (study metadata: DICOM modality DX/US/ECG, one series).

    The Study Instance UID is ``urn:oid:2.25.<uuid as integer>`` of ``id``, so it is deterministic.
    """
    _choice(modality, _MODALITY, "modality")
    codings = _codings("snomed", procedure_code, ("procedure",), "procedureCode")
    res = _base("ImagingStudy", id, "ImagingStudy")
    res["identifier"] = [{"system": "urn:dicom:uid", "value": f"urn:oid:2.25.{uuid.UUID(id).int}"}]
    res["status"] = _choice(status, _IMAGING_STATUS, "status")
    res["modality"] = [{"system": _DICOM, "code": modality, "display": _MODALITY[modality]}]
    res["subject"] = reference(patient_id)
    _put(res, "encounter", _ref(encounter_id))
    res["started"] = _datetime(started)
    _put(res, "basedOn", None if based_on_id is None else [reference(based_on_id)])
    res["numberOfSeries"] = 1
    res["numberOfInstances"] = number_of_instances
    res["procedureCode"] = [_concept_of(codings)]
    res["description"] = description
    return res


def document_reference(
    *,
    id: str,
    patient_id: str,
    type_code: str,
    date: DateLike,
    text: str,
    title: str,
    author_id: str | None = None,
    custodian_id: str | None = None,
    encounter_id: str | None = None,
    status: str = "current",
) -> Resource:
    """UK Core DocumentReference holding a plain-text letter or report as a base64 attachment."""
    codings = _codings("snomed", type_code, ("document",), "DocumentReference.type")
    res = _base("DocumentReference", id, "DocumentReference")
    res["status"] = _choice(status, _DOCUMENT_STATUS, "status")
    res["type"] = _concept_of(codings)
    res["subject"] = reference(patient_id)
    res["date"] = _instant(date)
    _put(res, "author", None if author_id is None else [reference(author_id)])
    _put(res, "custodian", _ref(custodian_id))
    res["description"] = title
    res["content"] = [
        {
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": "en-GB",
                "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                "title": title,
            }
        }
    ]
    _put(res, "context", None if encounter_id is None else {"encounter": [reference(encounter_id)]})
    return res


def risk_assessment(
    *,
    id: str,
    patient_id: str,
    occurrence: DateLike,
    outcome: str,
    probability: float,
    years: int,
    code: str | None = None,
    method: str | None = None,
    basis_ids: Sequence[str] = (),
    note: str | None = None,
    performer_id: str | None = None,
) -> Resource:
    """UK Core RiskAssessment: probability (0-1) of ``outcome`` within ``years`` (e.g. QRISK3)."""
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability!r}")
    res = _base("RiskAssessment", id, None)  # no RiskAssessment profile in the pinned UK Core
    res["status"] = "final"
    _put(res, "method", None if method is None else {"text": method})
    _put(res, "code", None if code is None else _concept_of(_codings("snomed", code, ("observable",), "code")))
    res["subject"] = reference(patient_id)
    res["occurrenceDateTime"] = _datetime(occurrence)
    _put(res, "performer", _ref(performer_id))
    _put(res, "basis", [reference(b) for b in basis_ids] or None)
    res["prediction"] = [
        {
            "outcome": {"text": outcome},
            "probabilityDecimal": probability,
            "whenRange": {"high": {"value": years, "unit": "years", "system": _UCUM, "code": "a"}},
        }
    ]
    _put(res, "note", None if note is None else [{"text": note}])
    return res


def audit_event(
    *,
    id: str,
    recorded: DateLike,
    action: str,
    outcome: str,
    agent_name: str,
    observer_id: str,
    entity_ids: Sequence[str],
    description: str,
    agent_id: str | None = None,
) -> Resource:
    """UK Core AuditEvent on the patient record (DICOM 110110 Patient Record).

    ``action`` is C/R/U/D/E; ``outcome`` 0 success, 4 minor failure, 8 serious failure, 12 major failure.
    """
    res = _base("AuditEvent", id, None)  # no AuditEvent profile in the pinned UK Core
    res["type"] = {"system": _DICOM, "code": "110110", "display": "Patient Record"}
    res["action"] = _choice(action, _AUDIT_ACTION, "action")
    res["recorded"] = _instant(recorded)
    res["outcome"] = _choice(outcome, _AUDIT_OUTCOME, "outcome")
    res["outcomeDesc"] = description
    agent: dict[str, Any] = {"name": agent_name, "requestor": True}
    _put(agent, "who", _ref(agent_id))
    res["agent"] = [agent]
    res["source"] = {"observer": reference(observer_id)}
    res["entity"] = [{"what": reference(e)} for e in entity_ids]
    return res


def provenance(
    *,
    id: str,
    target_ids: Sequence[str],
    recorded: DateLike,
    agent_id: str,
    source_ids: Sequence[str] = (),
    activity: str | None = None,
) -> Resource:
    """UK Core Provenance: ``agent_id`` recorded ``target_ids`` from ``source_ids`` (e.g. a letter)."""
    if not target_ids:
        raise ValueError("provenance needs at least one target")
    res = _base("Provenance", id, None)  # no Provenance profile in the pinned UK Core
    res["target"] = [reference(t) for t in target_ids]
    res["recorded"] = _instant(recorded)
    _put(res, "activity", None if activity is None else {"text": activity})
    res["agent"] = [{"who": reference(agent_id)}]
    _put(res, "entity", [{"role": "source", "what": reference(s)} for s in source_ids] or None)
    return res


def bundle(*, id: str, resources: Iterable[Resource], type: str = "collection") -> Resource:
    """A Bundle of ``type`` (:data:`BUNDLE_TYPES`); each entry's fullUrl is ``urn:uuid:<resource id>``.

    In a transaction every entry is ``PUT <resourceType>/<id>``: the ids are deterministic, so a
    server creates the resource (client-assigned id) or updates it on a reload, never duplicates
    it; references stay ``urn:uuid:<id>``, which the server rewrites to ``<resourceType>/<id>``.
    """
    _choice(type, BUNDLE_TYPES, "bundle type")
    transaction = type == "transaction"
    entries = []
    for res in resources:
        if not _UUID.match(res.get("id", "")):
            raise ValueError(f"{res.get('resourceType')} id {res.get('id')!r} is not a lowercase UUID")
        entry: dict[str, Any] = {"fullUrl": f"urn:uuid:{res['id']}", "resource": res}
        if transaction:
            entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        entries.append(entry)
    out = _base("Bundle", id, None)  # no Bundle profile in the pinned UK Core
    out["type"] = type
    out["entry"] = entries
    return out


def _references(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                _references(value, found)
    elif isinstance(node, list):
        for item in node:
            _references(item, found)


def validate_bundle(bundle: Mapping[str, Any]) -> None:
    """Parse ``bundle`` and every resource in it with the FHIR R4 (4.0.1) models of ``fhirclient``
    in strict mode, and check every reference resolves to a fullUrl of the bundle.

    Strict parsing rejects an unknown element, a wrong type or cardinality, a missing required
    (1..1) element and a malformed date, dateTime or instant. It checks no profile and no code
    binding. Raises ``ValueError`` naming the first problem. Slow: for tests and on request.
    """
    from fhirclient.models.bundle import Bundle  # slow import: on demand only
    from fhirclient.models.fhirabstractbase import FHIRValidationError

    try:
        Bundle(dict(bundle), strict=True)
    except FHIRValidationError as exc:
        raise ValueError(f"not valid FHIR R4: {' '.join(str(exc).split())}") from None
    full_urls: set[str] = set()
    for entry in bundle.get("entry", []):
        if entry["fullUrl"] in full_urls:
            raise ValueError(f"duplicate fullUrl {entry['fullUrl']} in the bundle")
        full_urls.add(entry["fullUrl"])
    for entry in bundle.get("entry", []):
        found: list[str] = []
        _references(entry["resource"], found)
        for ref in found:
            if ref not in full_urls:
                raise ValueError(
                    f"{entry['resource']['resourceType']} {entry['resource']['id']}: "
                    f"reference {ref} does not resolve to a fullUrl in the bundle"
                )
