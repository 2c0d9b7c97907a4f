"""HL7 v2.4 messages from the hospital PAS (ADT A01, A03, A04) and pathology (ORU^R01).

Messages are built from templates (string building; hl7apy validates them in the tests only).
Segments are separated by ``\\r``; :func:`hl7_file` joins messages with newlines.

Conventions (see ``docs/record.md``):

- PID-3 carries the NHS number ``<nhs>^^^NHS^NH`` and the hospital number ``<no>^^^<TRUST>^MR``.
- PD1-3 carries the registered practice's ODS code in XON.1 (v2.4's XON.3 ID number is numeric;
  v2.5 adds XON.10 for alphanumeric ids).
- PV1-2 is the HL7 patient class (table 0004: I, O, E). **PV1-4 carries the NHS Data Dictionary
  ADMISSION METHOD** (e.g. 21 emergency via A&E, 11 elective waiting list), not HL7 table 0007;
  PV1-14 the NHS DD source of admission, PV1-36 the NHS DD discharge method and PV1-37 the NHS DD
  discharge destination. Outpatient and ED attendances (A04) leave them empty.
- DG1-3 is ICD-10 5th edition in UK hospital style: no dot, 3-character codes padded with X
  (``I219^Acute myocardial infarction, unspecified^I10``); DG1-15 priority 1 is the primary diagnosis.
- OBX-3 is SNOMED CT (``SCT``) with LOINC (``LN``) as the alternate code where the table has one;
  OBX-6 is the UCUM unit.
- Times are local simulated times ``YYYYMMDDHHMMSS``; control ids come from the caller.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from twin_env.formats.nhs_number import is_synthetic_nhs_number
from twin_env.vocab.codes import UCUM_UNITS, icd10_hospital_format, is_known_code, loinc_for, lookup_code

__all__ = [
    "VERSION",
    "AdtVisit",
    "Hl7Patient",
    "LabReport",
    "LabResult",
    "MessageHeader",
    "adt_a01",
    "adt_a03",
    "adt_a04",
    "escape",
    "hl7_file",
    "oru_r01",
    "unescape",
]

VERSION = "2.4"
_MAX_CONTROL_ID = 20  # MSH-10 length in v2.4
_ENCODING_CHARACTERS = "^~\\&"
_SEXES = frozenset({"F", "M", "U", "O", "A", "N"})  # HL7 table 0001
_ABNORMAL_FLAGS = frozenset({"", "L", "H", "LL", "HH", "N", "A"})  # HL7 table 0078 (subset)
_ESCAPES = (
    ("\\", "\\E\\"),
    ("|", "\\F\\"),
    ("^", "\\S\\"),
    ("&", "\\T\\"),
    ("~", "\\R\\"),
    ("\n", "\\.br\\"),
)


@dataclass(frozen=True, slots=True)
class MessageHeader:
    """MSH: who sends to whom, when, and the caller's deterministic message control id."""

    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    control_id: str
    timestamp: dt.datetime


@dataclass(frozen=True, slots=True)
class Hl7Patient:
    """PID and PD1 content. ``sex`` is HL7 table 0001 (F, M, U); ``ethnic_category`` an NHS DD letter."""

    nhs_number: str
    hospital_number: str
    trust_code: str
    family: str
    given: str
    birth_date: dt.date
    sex: str
    title: str = ""
    ethnic_category: str = ""
    practice_code: str = ""


@dataclass(frozen=True, slots=True)
class AdtVisit:
    """PV1 and DG1 content for an admission, discharge or attendance.

    ``patient_class`` is HL7 table 0004; ``admission_method``, ``source_of_admission``,
    ``discharge_method`` and ``discharge_destination`` are NHS Data Dictionary codes;
    ``diagnoses`` are ICD-10 codes from the code table, primary first.
    """

    patient_class: str
    location: str
    visit_number: str
    admit_time: dt.datetime
    discharge_time: dt.datetime | None = None
    admission_method: str = ""
    source_of_admission: str = ""
    discharge_method: str = ""
    discharge_destination: str = ""
    diagnoses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabResult:
    """One OBX: a SNOMED CT observable from the code table, a numeric value and a UCUM unit."""

    code: str
    value: float
    unit: str
    reference_range: str = ""
    abnormal_flag: str = ""


@dataclass(frozen=True, slots=True)
class LabReport:
    """ORC + OBR + OBX: one request (``title`` names the panel) and its results."""

    placer_order_number: str
    filler_order_number: str
    title: str
    collected: dt.datetime
    reported: dt.datetime
    results: tuple[LabResult, ...]
    comment: str = ""


def escape(text: str) -> str:
    """Escape HL7 delimiters in free text (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``; newlines as ``\\.br\\``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def unescape(text: str) -> str:
    """Invert :func:`escape`."""
    out: list[str] = []
    reverse = {escaped[1:-1]: raw for raw, escaped in _ESCAPES}
    parts = text.split("\\")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced HL7 escape in {text!r}")
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
        elif part in reverse:
            out.append(reverse[part])
        else:
            raise ValueError(f"unknown HL7 escape \\{part}\\ in {text!r}")
    return "".join(out)


def _ts(value: dt.date | dt.datetime | None) -> str:
    """HL7 TS: YYYYMMDD for a date, YYYYMMDDHHMMSS for a datetime."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d%H%M%S")
    return value.strftime("%Y%m%d")


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"result value must be finite, got {value!r}")
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _segment(name: str, fields: Mapping[int, str]) -> str:
    """A segment from {field number: already-encoded value}; trailing empty fields are dropped."""
    values = [""] * max(fields)
    for number, value in fields.items():
        values[number - 1] = value
    return "|".join([name, *values]).rstrip("|")


def _check(value: str, allowed: Iterable[str], field: str) -> str:
    if value not in allowed:
        raise ValueError(f"{field} must be one of {sorted(allowed)}, got {value!r}")
    return value


def _nhsdd(system: str, code: str) -> str:
    """An NHS Data Dictionary code from the table, or empty."""
    return lookup_code(system, code).code if code else ""


def _msh(header: MessageHeader, message_type: str) -> str:
    if not 0 < len(header.control_id) <= _MAX_CONTROL_ID:
        raise ValueError(f"control_id must be 1-{_MAX_CONTROL_ID} characters (MSH-10), got {header.control_id!r}")
    return "|".join(
        [
            "MSH",
            _ENCODING_CHARACTERS,
            escape(header.sending_application),
            escape(header.sending_facility),
            escape(header.receiving_application),
            escape(header.receiving_facility),
            _ts(header.timestamp),
            "",
            message_type,
            escape(header.control_id),
            "P",
            VERSION,
        ]
    )


def _pid(patient: Hl7Patient) -> str:
    if not is_synthetic_nhs_number(patient.nhs_number):
        raise ValueError(f"nhs_number must be a valid NHS number in the 999 test range, got {patient.nhs_number!r}")
    hospital_number = f"{escape(patient.hospital_number)}^^^{escape(patient.trust_code)}^MR"
    fields = {
        1: "1",
        3: f"{patient.nhs_number}^^^NHS^NH~{hospital_number}",
        5: f"{escape(patient.family)}^{escape(patient.given)}^^^{escape(patient.title)}".rstrip("^"),
        7: _ts(patient.birth_date),
        8: _check(patient.sex, _SEXES, "sex"),
    }
    if patient.ethnic_category:
        ethnic = lookup_code("ukcore-ethnic-category", patient.ethnic_category)
        fields[22] = f"{ethnic.code}^{escape(ethnic.display)}"
    return _segment("PID", fields)


def _pd1(patient: Hl7Patient) -> list[str]:
    if not patient.practice_code:
        return []
    return [_segment("PD1", {3: escape(patient.practice_code)})]


def _pv1(visit: AdtVisit, trust_code: str) -> str:
    patient_class = lookup_code("hl7v2-0004", visit.patient_class).code
    return _segment(
        "PV1",
        {
            1: "1",
            2: patient_class,
            3: f"{escape(visit.location)}^^^{escape(trust_code)}",
            4: _nhsdd("nhsdd-admission-method", visit.admission_method),
            14: _nhsdd("nhsdd-source-of-admission", visit.source_of_admission),
            19: escape(visit.visit_number),
            36: _nhsdd("nhsdd-discharge-method", visit.discharge_method),
            37: _nhsdd("nhsdd-discharge-destination", visit.discharge_destination),
            44: _ts(visit.admit_time),
            45: _ts(visit.discharge_time),
        },
    )


def _dg1(diagnoses: Sequence[str], diagnosis_type: str) -> list[str]:
    segments = []
    for priority, code in enumerate(diagnoses, start=1):
        row = lookup_code("icd10", code)
        ce = f"{icd10_hospital_format(row.code)}^{escape(row.term)}^I10"
        segments.append(_segment("DG1", {1: str(priority), 3: ce, 6: diagnosis_type, 15: str(priority)}))
    return segments


def _adt(
    header: MessageHeader,
    patient: Hl7Patient,
    visit: AdtVisit,
    event: str,
    structure: str,
    diagnosis_type: str,
) -> str:
    event_time = visit.discharge_time if event == "A03" else visit.admit_time
    segments = [
        _msh(header, f"ADT^{event}^{structure}"),
        _segment("EVN", {1: event, 2: _ts(header.timestamp), 6: _ts(event_time)}),
        _pid(patient),
        *_pd1(patient),
        _pv1(visit, patient.trust_code),
        *_dg1(visit.diagnoses, diagnosis_type),
    ]
    return "\r".join(segments)


def adt_a01(header: MessageHeader, patient: Hl7Patient, visit: AdtVisit) -> str:
    """ADT^A01^ADT_A01: admit an inpatient. Needs an NHS DD admission method (PV1-4)."""
    if not visit.admission_method:
        raise ValueError("an A01 admission needs visit.admission_method (NHS Data Dictionary code, PV1-4)")
    return _adt(header, patient, visit, "A01", "ADT_A01", "A")


def adt_a03(header: MessageHeader, patient: Hl7Patient, visit: AdtVisit) -> str:
    """ADT^A03^ADT_A03: discharge. Needs the discharge time; DG1 carries the final diagnoses."""
    if visit.discharge_time is None:
        raise ValueError("an A03 discharge needs visit.discharge_time")
    return _adt(header, patient, visit, "A03", "ADT_A03", "F")


def adt_a04(header: MessageHeader, patient: Hl7Patient, visit: AdtVisit) -> str:
    """ADT^A04^ADT_A01: register an outpatient or ED attendance (patient class O or E)."""
    return _adt(header, patient, visit, "A04", "ADT_A01", "W")


def _obx(set_id: int, result: LabResult, observed: dt.datetime) -> str:
    if not is_known_code("snomed", result.code) and is_known_code("loinc", result.code):
        row = lookup_code("loinc", result.code)  # an analyte with no SNOMED CT observable (NT-proBNP)
        identifier = f"{row.code}^{escape(row.display)}^LN"
    else:
        row = lookup_code("snomed", result.code)
        if row.domain != "observable":
            raise ValueError(f"OBX-3: SNOMED code {result.code} ({row.concept!r}) is not an observable")
        identifier = f"{row.code}^{escape(row.display)}^SCT"
        loinc = loinc_for(row.concept)
        if loinc is not None:
            identifier += f"^{loinc.code}^{escape(loinc.display)}^LN"
    _check(result.unit, UCUM_UNITS, "unit (UCUM)")
    return _segment(
        "OBX",
        {
            1: str(set_id),
            2: "NM",
            3: identifier,
            5: _number(result.value),
            6: f"{escape(result.unit)}^{escape(UCUM_UNITS[result.unit])}^UCUM",
            7: escape(result.reference_range),
            8: _check(result.abnormal_flag, _ABNORMAL_FLAGS, "abnormal_flag"),
            11: "F",
            14: _ts(observed),
        },
    )


def oru_r01(header: MessageHeader, patient: Hl7Patient, report: LabReport) -> str:
    """ORU^R01^ORU_R01: a pathology report with one OBX per result (and an NTE if commented)."""
    if not report.results:
        raise ValueError("a lab report needs at least one result")
    placer, filler = escape(report.placer_order_number), escape(report.filler_order_number)
    segments = [
        _msh(header, "ORU^R01^ORU_R01"),
        _pid(patient),
        *_pd1(patient),
        _segment("ORC", {1: "RE", 2: placer, 3: filler, 5: "CM"}),
        _segment(
            "OBR",
            {
                1: "1",
                2: placer,
                3: filler,
                4: f"^{escape(report.title)}",
                7: _ts(report.collected),
                22: _ts(report.reported),
                25: "F",
            },
        ),
    ]
    if report.comment:
        segments.append(_segment("NTE", {1: "1", 3: escape(report.comment)}))
    segments += [_obx(i, result, report.collected) for i, result in enumerate(report.results, start=1)]
    return "\r".join(segments)


def hl7_file(messages: Iterable[str]) -> str:
    """Several messages as one file: one message per line (segments within a message stay ``\\r``)."""
    return "".join(message + "\n" for message in messages)
