"""Harms of treatment and diabetes complications as the NHS sees them: an emergency admission or a GP consultation.

Hospital events (hip fracture, AKI, hyperkalaemia, hyponatraemia, DKA, amputation; a share of
syncope, falls and severe hypoglycaemia) become an emergency admission with an ICD-10 primary
diagnosis; the existing discharge path writes the discharge summary from which the GP codes the
problem. AKI, hyperkalaemia and hyponatraemia admissions take a urea-and-electrolytes sample
whose results show the event (eGFR fallen by the creatinine rise, potassium >= 6.0, sodium < 130).
The other events are a GP consultation with a problem code; where the event made the patient
stop a drug (``StepEvents.treatment_stopped``, for the drug harms in :data:`INTOLERANCE_EVENTS`),
the GP ends the prescription and codes a drug intolerance in the same consultation.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.event_concepts import EVENT_CONCEPT
from twin_env.care.hospital_stays import open_stay
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.twin.events import EventKind, StepEvents
from twin_env.twin.state import TREATMENT_FIELDS
from twin_env.vocab.concepts import Concept
from twin_env.vocab.panels import Test

#: Event kind -> (ICD-10 primary diagnosis, length-of-stay median parameter, admitted-share parameter or None: all).
HOSPITAL_EVENTS: dict[EventKind, tuple[Concept, str, str | None]] = {
    EventKind.HIP_FRACTURE: (Concept.ICD10_HIP_FRACTURE, "length_of_stay_median_days_hip_fracture", None),
    EventKind.ACUTE_KIDNEY_INJURY: (
        Concept.ICD10_ACUTE_KIDNEY_INJURY,
        "length_of_stay_median_days_acute_kidney_injury",
        None,
    ),
    EventKind.HYPERKALAEMIA: (Concept.ICD10_HYPERKALAEMIA, "length_of_stay_median_days_hyperkalaemia", None),
    EventKind.HYPONATRAEMIA: (Concept.ICD10_HYPONATRAEMIA, "length_of_stay_median_days_hyponatraemia", None),
    EventKind.DIABETIC_KETOACIDOSIS: (
        Concept.ICD10_DIABETIC_KETOACIDOSIS,
        "length_of_stay_median_days_diabetic_ketoacidosis",
        None,
    ),
    EventKind.AMPUTATION: (Concept.ICD10_DIABETES_PERIPHERAL, "length_of_stay_median_days_amputation", None),
    EventKind.HYPOTENSION_SYNCOPE: (
        Concept.ICD10_SYNCOPE,
        "length_of_stay_median_days_syncope",
        "syncope_admitted_probability",
    ),
    EventKind.INJURIOUS_FALL: (
        Concept.ICD10_INJURY,
        "length_of_stay_median_days_injurious_fall",
        "injurious_fall_admitted_probability",
    ),
    EventKind.SEVERE_HYPOGLYCAEMIA: (
        Concept.ICD10_HYPOGLYCAEMIA,
        "length_of_stay_median_days_severe_hypoglycaemia",
        "severe_hypoglycaemia_admitted_probability",
    ),
}
#: Event kind -> the problem the GP codes when the event is seen in general practice (the event's concept).
GP_EVENTS: dict[EventKind, Concept] = {
    kind: EVENT_CONCEPT[kind]
    for kind in (
        EventKind.GOUT,
        EventKind.ACEI_COUGH,
        EventKind.CCB_OEDEMA,
        EventKind.STATIN_MUSCLE_SYMPTOMS,
        EventKind.METFORMIN_GI_INTOLERANCE,
        EventKind.GENITAL_INFECTION,
        EventKind.RETINOPATHY,
        EventKind.FOOT_ULCER,
        # the share of these not admitted
        EventKind.HYPOTENSION_SYNCOPE,
        EventKind.INJURIOUS_FALL,
        EventKind.SEVERE_HYPOGLYCAEMIA,
    )
}
#: GP-seen harms of a drug: a drug the patient stopped in the same step was stopped for the event.
INTOLERANCE_EVENTS = (
    EventKind.ACEI_COUGH,
    EventKind.CCB_OEDEMA,
    EventKind.STATIN_MUSCLE_SYMPTOMS,
    EventKind.METFORMIN_GI_INTOLERANCE,
    EventKind.GENITAL_INFECTION,
    EventKind.GOUT,
    EventKind.HYPOTENSION_SYNCOPE,
    EventKind.INJURIOUS_FALL,
    EventKind.SEVERE_HYPOGLYCAEMIA,
)
_GP_CONCEPT = np.zeros(len(EventKind), dtype=np.int16)
_GP_CONCEPT[list(GP_EVENTS)] = list(GP_EVENTS.values())
_FIRST_HARM = min(min(HOSPITAL_EVENTS), min(GP_EVENTS))
_LAB_EVENTS = (EventKind.ACUTE_KIDNEY_INJURY, EventKind.HYPERKALAEMIA, EventKind.HYPONATRAEMIA)
_ANALYTE_INDEX = {Concept.EGFR: 0, Concept.POTASSIUM: 1, Concept.SODIUM: 2}


def _harm_rows(kind: np.ndarray) -> np.ndarray:
    """Rows (k,) whose event this step is a harm or complication (the kinds from HYPOTENSION_SYNCOPE on)."""
    return np.flatnonzero(kind >= _FIRST_HARM)


def admitted(ctx: CareContext, kind: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """(N,) bool: this step's event of ``kind`` (N,) brings the patient to hospital (one draw per event)."""
    state = ctx.state
    out = np.zeros(state.n, dtype=bool)
    rows = _harm_rows(kind)
    if rows.size == 0:
        return out
    share = np.zeros(rows.size)
    for event, (_, _, share_name) in HOSPITAL_EVENTS.items():
        share[kind[rows] == event] = 1.0 if share_name is None else ctx.params[share_name]
    draw = rs.uniform(state.patient_key[rows], counter[rows], CareChannel.HARM_ADMITTED)
    out[rows] = draw < share
    return out


def admit(ctx: CareContext, kind: np.ndarray, fatal: np.ndarray, day: np.ndarray, counter: np.ndarray) -> None:
    """Admit the survivors of this step's hospital events (``kind``, ``fatal`` (N,)) not already in hospital.

    ``day`` (N,) is each event's date, ``counter`` (N,) the step's random-stream counter. The
    discharge (:func:`twin_env.care.admissions.discharge`) later writes the ICD-10 diagnosis.
    """
    care = ctx.care
    if _harm_rows(kind).size == 0:
        return
    hospital = admitted(ctx, kind, counter) & ~fatal & (care.admission < 0)
    for event, (icd, los_name, _) in HOSPITAL_EVENTS.items():
        rows = np.flatnonzero(hospital & (kind == event))
        if rows.size == 0:
            continue
        seq = open_stay(ctx, rows, icd, los_name, day[rows], counter)
        if event in _LAB_EVENTS:
            _admission_bloods(ctx, rows, event, day[rows], seq, counter)


def _admission_bloods(
    ctx: CareContext, rows: np.ndarray, event: EventKind, day: np.ndarray, admission: np.ndarray, counter: np.ndarray
) -> None:
    """Urea and electrolytes taken on admission for ``event``: eGFR and potassium, and sodium at hyponatraemia."""
    s, p = ctx.state, ctx.params
    keys, c = s.patient_key[rows], counter[rows]
    order = ctx.ledger.append(rows, LedgerKind.TEST_ORDER, int(Test.RENAL), day, link=admission)

    def measured(concept: Concept, true: np.ndarray, cv: str) -> np.ndarray:
        z = rs.standard_normal(keys, c, CareChannel.ADMISSION_ANALYTE + _ANALYTE_INDEX[concept])
        return true * (1.0 + p[cv] * z)

    egfr = measured(Concept.EGFR, s.egfr_ml_min_1_73m2[rows], "analytic_cv_egfr")
    potassium = measured(Concept.POTASSIUM, s.potassium_mmol_l[rows], "analytic_cv_potassium")
    results = [(Concept.EGFR, egfr), (Concept.POTASSIUM, potassium)]
    if event == EventKind.ACUTE_KIDNEY_INJURY:
        results[0] = (Concept.EGFR, egfr * aki_creatinine_ratio(ctx, rows, counter) ** p["egfr_creatinine_exponent"])
    elif event == EventKind.HYPERKALAEMIA:
        excess = -np.log1p(-rs.uniform(keys, c, CareChannel.ADMISSION_POTASSIUM))
        floor = p["hyperkalaemia_admission_potassium_min_mmol_l"]
        results[1] = (
            Concept.POTASSIUM,
            np.maximum(potassium, floor + p["hyperkalaemia_admission_potassium_excess_mean_mmol_l"] * excess),
        )
    else:
        deficit = -np.log1p(-rs.uniform(keys, c, CareChannel.ADMISSION_SODIUM))
        ceiling = p["hyponatraemia_admission_sodium_max_mmol_l"]
        results.append((Concept.SODIUM, ceiling - p["hyponatraemia_admission_sodium_deficit_mean_mmol_l"] * deficit))
    for concept, value in results:
        ctx.ledger.append(rows, LedgerKind.TEST_RESULT, concept, day, value=np.round(value, 1), link=order)


def aki_creatinine_ratio(ctx: CareContext, rows: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Admission creatinine over baseline (k,) at an AKI admission: lognormal, at least the KDIGO minimum."""
    p = ctx.params
    z = rs.standard_normal(ctx.state.patient_key[rows], counter[rows], CareChannel.AKI_CREATININE_RATIO)
    ratio = p["aki_creatinine_ratio_median"] * np.exp(p["aki_creatinine_ratio_sigma_log"] * z)
    return np.maximum(ratio, p["aki_creatinine_ratio_min"])


def present(ctx: CareContext, events: StepEvents, day: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """GP consultations for this step's GP-managed events; returns who presented (N,) bool.

    Call before the patient's own stops are logged (:func:`twin_env.care.repeats.patient_stops`):
    the GP ends the prescription of the drug the event made the patient stop and codes a drug
    intolerance beside the problem. ``day`` (N,) is each event's date.
    """
    state, care, kind = ctx.state, ctx.care, events.kind
    seen = np.zeros(state.n, dtype=bool)
    if _harm_rows(kind).size == 0:
        return seen
    concept = _GP_CONCEPT[kind]
    seen = (concept > 0) & state.alive & ~admitted(ctx, kind, counter)
    rows = np.flatnonzero(seen)
    if rows.size == 0:
        return seen
    seq = ctx.ledger.append(rows, LedgerKind.CONSULTATION, Concept.CONSULTATION, day[rows])
    ctx.ledger.append(rows, LedgerKind.DIAGNOSIS, concept[rows], day[rows], link=seq)
    intolerance = np.isin(kind[rows], np.array(INTOLERANCE_EVENTS, dtype=kind.dtype))
    stopped = np.where(intolerance, events.treatment_stopped[rows], -1)
    for index in np.unique(stopped[stopped >= 0]):
        field = TREATMENT_FIELDS[index]
        mine = np.flatnonzero(stopped == index)
        product = care.rx_concept[field][rows[mine]]
        ended = mine[product > 0]
        ctx.ledger.append(
            rows[ended], LedgerKind.PRESCRIPTION_ENDED, product[product > 0], day[rows[ended]], link=seq[ended]
        )
        ctx.ledger.append(rows[mine], LedgerKind.DIAGNOSIS, Concept.DRUG_INTOLERANCE, day[rows[mine]], link=seq[mine])
    return seen
