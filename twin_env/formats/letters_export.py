"""Letters and imaging reports of one patient as plain text, from the record's letter content.

Each discharge or outpatient attendance in the ledger has a letter (:meth:`Record.letter`): its
diagnoses, the medicines started in hospital and the investigations done. This module fills the
PRSB-headed :mod:`twin_env.formats.letters` templates with them; text the twin does not model
(findings, a narrative) is stated plainly as such rather than made up.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from twin_env.formats import letters
from twin_env.formats.nhs_number import format_nhs_number
from twin_env.formats.source import PRACTICE, TRUST, RecordSource
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType
from twin_env.vocab.codes import lookup_code
from twin_env.vocab.concepts import Concept, concept_code
from twin_env.vocab.dates import to_date
from twin_env.vocab.drugs import DRUGS
from twin_env.vocab.services import SERVICES

__all__ = ["SPECIALTY", "imaging_report_text", "letter_text", "letter_title", "letters_text"]

_DRUG_OF = {product: drug for drug in DRUGS.values() for product in drug.products.values()}
#: Specialty that writes about a hospital diagnosis or runs the clinic a referral leads to.
SPECIALTY = {
    Concept.ICD10_MI: "Cardiology",
    Concept.ICD10_HEART_FAILURE: "Cardiology",
    Concept.ICD10_STROKE: "Stroke medicine",
    **{s.referral: s.specialty for s in SERVICES.values() if s.specialty is not None},
}
_METHOD = "21"  # NHS DD admission method of every twin admission (emergency via A&E)
_DESTINATION = "19"  # NHS DD discharge destination: usual place of residence


def _event(source: RecordSource, patient: int, seq: int) -> dict[str, int | float]:
    ledger = source.record.ledger
    row = int(ledger.find(np.array([patient]), np.array([seq]))[0])
    return {name: column[row].item() for name, column in ledger.columns.items()}


def _letter_patient(source: RecordSource, patient: int) -> letters.LetterPatient:
    who = source.identity(patient)
    return letters.LetterPatient(
        name=f"{who.title} {who.given} {who.family}",
        nhs_number=who.nhs_number,
        birth_date=who.birth_date,
        practice_name=PRACTICE.name,
        practice_code=PRACTICE.code,
    )


def _medications(content: tuple[tuple[Concept, float], ...]) -> tuple[letters.MedicationChange, ...]:
    return tuple(
        letters.MedicationChange(
            name=concept_code(concept).display,  # type: ignore[union-attr]
            dose=f"{dose:g} {_DRUG_OF[concept].dose_unit} daily",
            change="started",
            reason="secondary prevention, started in hospital",
        )
        for concept, dose in content
    )


def _diagnoses(content: tuple[Concept, ...]) -> tuple[str, ...]:
    return tuple(f"{concept_code(c).display} (ICD-10 {concept_code(c).code})" for c in content)  # type: ignore[union-attr]


def letter_title(source: RecordSource, event_id: str) -> str:
    """A short title of the letter written for ledger event ``event_id``."""
    kind = source.record.letter(event_id).document
    return "Discharge summary" if kind == Concept.DISCHARGE_SUMMARY else "Outpatient clinic letter"


def letter_text(source: RecordSource, event_id: str) -> str:
    """The plain-text letter written for ledger event ``event_id`` (a discharge or an attendance)."""
    content = source.record.letter(event_id)
    patient = int(event_id.split("-")[0])
    meds = _medications(content.medications)
    gp_actions = ("Continue the medicines started in hospital and review them.",) if meds else ()
    investigations = tuple(concept_code(p).display for p in content.procedures)  # type: ignore[union-attr]
    if content.document == Concept.DISCHARGE_SUMMARY:
        return letters.render_discharge_summary(
            letters.DischargeSummary(
                patient=_letter_patient(source, patient),
                trust_name=TRUST.name,
                specialty=SPECIALTY.get(content.diagnoses[0], "General medicine")
                if content.diagnoses
                else "General medicine",
                consultant=TRUST.clinician,
                admission_date=content.encounter_date,
                discharge_date=content.written,
                admission_method=lookup_code("nhsdd-admission-method", _METHOD).display,
                discharge_destination=lookup_code("nhsdd-discharge-destination", _DESTINATION).display,
                diagnoses=_diagnoses(content.diagnoses),
                clinical_summary=(
                    f"Emergency admission, {(content.written - content.encounter_date).days} days in hospital. "
                    "The twin does not model a clinical narrative."
                ),
                investigations=investigations,
                medications=meds,
                plan=(),
                gp_actions=gp_actions,
                author=TRUST.clinician,
                letter_date=content.written,
            )
        )
    attendance = _event(source, patient, int(event_id.split("-")[1]))
    concept = Concept(int(attendance["concept"]))
    referral_date: dt.date | None = None
    reason = f"{concept_code(concept).display}"  # type: ignore[union-attr]
    if attendance["link"] >= 0:
        origin = _event(source, patient, int(attendance["link"]))
        referral_date = to_date(int(origin["day"]))
        if origin["kind"] == LedgerKind.ADMISSION:
            reason = "Follow-up after emergency admission"
    return letters.render_clinic_letter(
        letters.ClinicLetter(
            patient=_letter_patient(source, patient),
            trust_name=TRUST.name,
            specialty=SPECIALTY.get(concept, "General medicine"),
            clinician=TRUST.clinician,
            clinic_date=content.encounter_date,
            referral_reason=reason,
            referral_date=referral_date,
            diagnoses=_diagnoses(content.diagnoses),
            clinical_summary="Seen in clinic. The twin does not model a clinical narrative.",
            investigations=investigations,
            medications=meds,
            plan=(),
            gp_actions=gp_actions,
            author=TRUST.clinician,
            letter_date=content.written,
        )
    )


def imaging_report_text(
    source: RecordSource, patient: int, event_id: str, study: Concept, performed: dt.date, reported: dt.date
) -> str:
    """A plain-text imaging/diagnostics report (metadata only; the twin does not model findings)."""
    who = source.identity(patient)
    code = concept_code(study)
    return "\n".join(
        [
            f"{code.display.upper()} REPORT",  # type: ignore[union-attr]
            TRUST.name,
            "",
            f"Patient: {who.title} {who.given} {who.family}",
            f"NHS number: {format_nhs_number(who.nhs_number)}",
            f"Procedure: {code.display} (SNOMED CT {code.code})",  # type: ignore[union-attr]
            f"Performed: {performed.isoformat()}",
            f"Reported: {reported.isoformat()}",
            f"Study reference: {event_id}",
            "",
            "Findings: not modelled by the twin.",
            f"Reported by: {TRUST.clinician}",
            "",
        ]
    )


def letters_text(source: RecordSource, patient: int) -> dict[str, str]:
    """Every letter written and imaging report issued for ``patient`` by ``source.end``, keyed by
    a stable file name (``<event id>_discharge_summary.txt``, ``..._clinic_letter.txt``,
    ``..._<procedure>_report.txt``)."""
    out: dict[str, str] = {}
    for item in source.record.letters_view(patient, source.end).documents:
        kind = "discharge_summary" if item.concept == Concept.DISCHARGE_SUMMARY else "clinic_letter"
        out[f"{item.event_id}_{kind}.txt"] = letter_text(source, item.event_id)
    for item in source.record.imaging_view(patient, source.end).of(ItemType.IMAGING_REPORT):
        name = item.concept.name.lower()
        out[f"{item.event_id}_{name}_report.txt"] = imaging_report_text(
            source,
            patient,
            item.event_id,
            item.concept,
            item.date,
            item.available,  # type: ignore[arg-type]
        )
    return out
