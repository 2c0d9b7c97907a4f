"""Plain-text discharge summaries and clinic letters with PRSB headings."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from twin_env.formats.letters import (
    DISCHARGE_SUMMARY_HEADINGS,
    OUTPATIENT_LETTER_HEADINGS,
    ClinicLetter,
    DischargeSummary,
    LetterPatient,
    MedicationChange,
    render_clinic_letter,
    render_discharge_summary,
)

PATIENT = LetterPatient("Mrs Jane Doe", "9990000018", dt.date(1958, 4, 12), "Twin Practice One", "TWINP01")
MEDS = (
    MedicationChange("Atorvastatin 80mg tablets", "80 mg at night", "started", "secondary prevention after MI"),
    MedicationChange("Ibuprofen 400mg tablets", "400 mg three times a day", "stopped", "ischaemic heart disease"),
    MedicationChange("Amlodipine 5mg tablets", "5 mg once a day", "continued"),
)
DISCHARGE = DischargeSummary(
    patient=PATIENT,
    trust_name="Twin Hospitals NHS Trust",
    specialty="Cardiology",
    consultant="Dr A Heart",
    admission_date=dt.date(2024, 3, 1),
    discharge_date=dt.date(2024, 3, 5),
    admission_method="Emergency admission via emergency department",
    discharge_destination="Usual place of residence",
    diagnoses=("Acute myocardial infarction", "Essential hypertension"),
    clinical_summary="Admitted with central chest pain; NSTEMI treated medically.",
    investigations=("Troponin raised", "ECG: ST depression V4-V6"),
    medications=MEDS,
    plan=("Cardiac rehabilitation referral made",),
    gp_actions=("Please check renal function and potassium in 2 weeks",),
    author="Dr B Junior, FY1",
    letter_date=dt.date(2024, 3, 5),
)
CLINIC = ClinicLetter(
    patient=PATIENT,
    trust_name="Twin Hospitals NHS Trust",
    specialty="Cardiology",
    clinician="Dr A Heart",
    clinic_date=dt.date(2024, 5, 1),
    referral_reason="Exertional chest pain",
    referral_date=dt.date(2024, 4, 2),
    diagnoses=("Stable angina",),
    clinical_summary="Typical angina; echocardiogram normal.",
    investigations=(),
    medications=(),
    plan=(),
    gp_actions=(),
    author="Dr A Heart, Consultant Cardiologist",
    letter_date=dt.date(2024, 5, 3),
)


def _headings(text: str) -> list[str]:
    lines = text.splitlines()
    return [lines[i - 1] for i, line in enumerate(lines) if line and set(line) == {"-"}]


def test_discharge_summary_has_prsb_headings_in_order() -> None:
    text = render_discharge_summary(DISCHARGE)
    assert text.startswith("DISCHARGE SUMMARY\nTwin Hospitals NHS Trust\n")
    assert _headings(text) == list(DISCHARGE_SUMMARY_HEADINGS)


def test_clinic_letter_has_prsb_headings_in_order() -> None:
    text = render_clinic_letter(CLINIC)
    assert text.startswith("OUTPATIENT CLINIC LETTER\n")
    assert _headings(text) == list(OUTPATIENT_LETTER_HEADINGS)
    assert "Date of referral: 2 April 2024" in text
    assert "Seen in Cardiology clinic on 1 May 2024 by Dr A Heart" in text


def test_content_is_rendered() -> None:
    text = render_discharge_summary(DISCHARGE)
    assert "NHS number: 999 000 0018" in text
    assert "Date of birth: 12 April 1958" in text
    assert "Twin Practice One (TWINP01)" in text
    assert "- Atorvastatin 80mg tablets, 80 mg at night: STARTED (secondary prevention after MI)" in text
    assert "- Amlodipine 5mg tablets, 5 mg once a day: CONTINUED" in text
    assert "Actions for GP:\n- Please check renal function and potassium in 2 weeks" in text


def test_empty_sections_say_none() -> None:
    text = render_clinic_letter(CLINIC)
    assert "Investigation results\n---------------------\nNone.\n" in text
    assert "Plan:\nNone.\n\nActions for GP:\nNone.\n" in text


def test_rendering_is_deterministic_and_plain() -> None:
    assert render_discharge_summary(DISCHARGE) == render_discharge_summary(DISCHARGE)
    assert render_discharge_summary(DISCHARGE).isascii()


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="change must be one of"):
        MedicationChange("Amlodipine 5mg tablets", "5 mg", "increased")
    bad_patient = dataclasses.replace(PATIENT, nhs_number="123")
    with pytest.raises(ValueError, match="not a valid NHS number"):
        render_clinic_letter(dataclasses.replace(CLINIC, patient=bad_patient))
