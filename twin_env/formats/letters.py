"""Plain-text discharge summaries and outpatient clinic letters with PRSB headings.

Headings follow the PRSB eDischarge Summary and Outpatient Letter standards (v2.2, 2023). In FHIR
these headings map to the UK Core RecordStandardHeadings code system; the packaged code table has
no codes from it, so letters carry the heading titles only (no codes are made up).

Rendering is deterministic: no clock, no locale (month names are fixed English).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from twin_env.formats.nhs_number import format_nhs_number

__all__ = [
    "DISCHARGE_SUMMARY_HEADINGS",
    "OUTPATIENT_LETTER_HEADINGS",
    "ClinicLetter",
    "DischargeSummary",
    "LetterPatient",
    "MedicationChange",
    "render_clinic_letter",
    "render_discharge_summary",
]

#: PRSB eDischarge Summary headings used, in the order they are rendered.
DISCHARGE_SUMMARY_HEADINGS = (
    "Patient demographics",
    "GP practice",
    "Admission details",
    "Discharge details",
    "Diagnoses",
    "Clinical summary",
    "Investigation results",
    "Medications and medical devices",
    "Plan and requested actions",
    "Person completing record",
)
#: PRSB Outpatient Letter headings used, in the order they are rendered.
OUTPATIENT_LETTER_HEADINGS = (
    "Patient demographics",
    "GP practice",
    "Referral details",
    "Encounter details",
    "Diagnoses",
    "Clinical summary",
    "Investigation results",
    "Medications and medical devices",
    "Plan and requested actions",
    "Person completing record",
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_CHANGES = frozenset({"started", "stopped", "changed", "continued"})


@dataclass(frozen=True, slots=True)
class LetterPatient:
    """Patient header of a letter."""

    name: str
    nhs_number: str
    birth_date: dt.date
    practice_name: str
    practice_code: str


@dataclass(frozen=True, slots=True)
class MedicationChange:
    """A medication line: ``change`` is started, stopped, changed or continued."""

    name: str
    dose: str
    change: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.change not in _CHANGES:
            raise ValueError(f"change must be one of {sorted(_CHANGES)}, got {self.change!r}")


@dataclass(frozen=True, slots=True)
class DischargeSummary:
    """Content of an eDischarge summary. Tuples of text are rendered as bullet points, in order."""

    patient: LetterPatient
    trust_name: str
    specialty: str
    consultant: str
    admission_date: dt.date
    discharge_date: dt.date
    admission_method: str
    discharge_destination: str
    diagnoses: tuple[str, ...]
    clinical_summary: str
    investigations: tuple[str, ...]
    medications: tuple[MedicationChange, ...]
    plan: tuple[str, ...]
    gp_actions: tuple[str, ...]
    author: str
    letter_date: dt.date


@dataclass(frozen=True, slots=True)
class ClinicLetter:
    """Content of an outpatient clinic letter."""

    patient: LetterPatient
    trust_name: str
    specialty: str
    clinician: str
    clinic_date: dt.date
    referral_reason: str
    referral_date: dt.date | None
    diagnoses: tuple[str, ...]
    clinical_summary: str
    investigations: tuple[str, ...]
    medications: tuple[MedicationChange, ...]
    plan: tuple[str, ...]
    gp_actions: tuple[str, ...]
    author: str
    letter_date: dt.date


def _date(value: dt.date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _section(heading: str, lines: Sequence[str]) -> str:
    return "\n".join([heading, "-" * len(heading), *lines]) + "\n"


def _bullets(items: Sequence[str]) -> list[str]:
    return [f"- {item}" for item in items] if items else ["None."]


def _medications(meds: Sequence[MedicationChange]) -> list[str]:
    lines = [f"- {m.name}, {m.dose}: {m.change.upper()}" + (f" ({m.reason})" if m.reason else "") for m in meds]
    return lines or ["None."]


def _demographics(patient: LetterPatient) -> list[str]:
    return [
        f"Name: {patient.name}",
        f"NHS number: {format_nhs_number(patient.nhs_number)}",
        f"Date of birth: {_date(patient.birth_date)}",
    ]


def _practice(patient: LetterPatient) -> list[str]:
    return [f"{patient.practice_name} ({patient.practice_code})"]


def _plan(plan: Sequence[str], gp_actions: Sequence[str]) -> list[str]:
    return ["Plan:", *_bullets(plan), "", "Actions for GP:", *_bullets(gp_actions)]


def _render(title: str, trust_name: str, headings: Sequence[str], bodies: Sequence[list[str]]) -> str:
    sections = (_section(h, lines) for h, lines in zip(headings, bodies, strict=True))
    return "\n".join([f"{title}\n{trust_name}\n", *sections])


def render_discharge_summary(letter: DischargeSummary) -> str:
    """The discharge summary as plain text under :data:`DISCHARGE_SUMMARY_HEADINGS`."""
    body = (
        _demographics(letter.patient),
        _practice(letter.patient),
        [
            f"Date of admission: {_date(letter.admission_date)}",
            f"Method of admission: {letter.admission_method}",
            f"Specialty: {letter.specialty}",
            f"Responsible consultant: {letter.consultant}",
        ],
        [
            f"Date of discharge: {_date(letter.discharge_date)}",
            f"Discharge destination: {letter.discharge_destination}",
        ],
        _bullets(letter.diagnoses),
        [letter.clinical_summary],
        _bullets(letter.investigations),
        _medications(letter.medications),
        _plan(letter.plan, letter.gp_actions),
        [letter.author, f"Date: {_date(letter.letter_date)}"],
    )
    return _render("DISCHARGE SUMMARY", letter.trust_name, DISCHARGE_SUMMARY_HEADINGS, body)


def render_clinic_letter(letter: ClinicLetter) -> str:
    """The outpatient clinic letter as plain text under :data:`OUTPATIENT_LETTER_HEADINGS`."""
    referral = [f"Reason for referral: {letter.referral_reason}"]
    if letter.referral_date is not None:
        referral.append(f"Date of referral: {_date(letter.referral_date)}")
    body = (
        _demographics(letter.patient),
        _practice(letter.patient),
        referral,
        [f"Seen in {letter.specialty} clinic on {_date(letter.clinic_date)} by {letter.clinician}"],
        _bullets(letter.diagnoses),
        [letter.clinical_summary],
        _bullets(letter.investigations),
        _medications(letter.medications),
        _plan(letter.plan, letter.gp_actions),
        [letter.author, f"Date: {_date(letter.letter_date)}"],
    )
    return _render("OUTPATIENT CLINIC LETTER", letter.trust_name, OUTPATIENT_LETTER_HEADINGS, body)
