"""Emergency admissions for acute events and harms, the secondary prevention a hospital starts, and discharges."""

from __future__ import annotations

import numpy as np

from twin_env.care import adverse_events, outpatients, reconciliation
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.hospital_stays import open_stay
from twin_env.record.ledger import LedgerKind
from twin_env.twin import treatment
from twin_env.twin.events import EventKind
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NEVER
from twin_env.vocab.drugs import DRUG_FOR_FIELD

ACUTE_ADMISSIONS = {  # event kind -> (ICD-10 concept, length-of-stay parameter, imaging)
    EventKind.MYOCARDIAL_INFARCTION: (Concept.ICD10_MI, "length_of_stay_median_days_mi", (Concept.ECG,)),
    EventKind.STROKE: (Concept.ICD10_STROKE, "length_of_stay_median_days_stroke", ()),
    EventKind.HEART_FAILURE: (
        Concept.ICD10_HEART_FAILURE,
        "length_of_stay_median_days_heart_failure",
        (Concept.CHEST_XRAY, Concept.ECHOCARDIOGRAM),
    ),
}
_STANDARD_DOSE = 1.0  # ACE inhibitor and beta blocker started in hospital (multiples of the standard dose)
_DIAGNOSED_AT_DISCHARGE = (  # ICD-10 episode diagnosis -> condition the GP then knows
    (Concept.ICD10_MI, "chd"),
    (Concept.ICD10_STROKE, "stroke_tia"),
    (Concept.ICD10_HEART_FAILURE, "heart_failure"),
)


def admit(ctx: CareContext, kind: np.ndarray, fatal: np.ndarray, day: np.ndarray, counter: np.ndarray) -> None:
    """Admit the survivors of this step's acute events (``kind``, ``fatal`` (N,)) not already in hospital.

    ``day`` (N,) is each event's date, ``counter`` (N,) the step's random-stream counter. The
    hospital starts secondary prevention (applied to the twin now, prescribed at discharge) and,
    after an MI, books a cardiology clinic. Harms and complications that bring a patient to
    hospital are admitted by :func:`twin_env.care.adverse_events.admit`.
    """
    care = ctx.care
    for event, (icd, los_name, imaging) in ACUTE_ADMISSIONS.items() if kind.any() else ():  # most steps: no event
        rows = np.flatnonzero((kind == event) & ~fatal & (care.admission < 0))
        if rows.size == 0:
            continue
        seq = open_stay(ctx, rows, icd, los_name, day[rows], counter)
        for procedure in imaging:
            ctx.ledger.append(rows, LedgerKind.IMAGING, procedure, day[rows], link=seq)
        _start_secondary_prevention(ctx, rows, event)
        if event == EventKind.MYOCARDIAL_INFARCTION:
            wait = ctx.lognormal_days(
                rows, CareChannel.OUTPATIENT_WAIT, "post_mi_clinic_median_days", "outpatient_wait_sigma_log", counter
            )
            outpatients.book(ctx, rows, "cardiology", day[rows] + wait, seq)
    adverse_events.admit(ctx, kind, fatal, day, counter)
    treatment.update_effects(ctx.state, ctx.twin_params)


def _start_secondary_prevention(ctx: CareContext, rows: np.ndarray, event: EventKind) -> None:
    """Secondary prevention started in hospital (NICE NG185, NG238, NG106); effects follow in :func:`admit`."""
    state, params = ctx.state, ctx.twin_params
    if event in (EventKind.MYOCARDIAL_INFARCTION, EventKind.STROKE):
        statin_mg = ctx.params["hospital_statin_atorvastatin_mg"]
        treatment.start_drug(state, rows, DRUG_FOR_FIELD["statin_ldl_reduction"], statin_mg, params, effects=False)
    if event in (EventKind.MYOCARDIAL_INFARCTION, EventKind.HEART_FAILURE):
        on_arb = state.dose_arb[rows] > 0
        acei = DRUG_FOR_FIELD["dose_acei"]
        treatment.stop_drug(state, rows[on_arb], acei, params, effects=False)
        treatment.start_drug(state, rows[~on_arb], acei, _STANDARD_DOSE, params, at_least=True, effects=False)
        beta_blocker = DRUG_FOR_FIELD["dose_beta_blocker"]
        treatment.start_drug(state, rows, beta_blocker, _STANDARD_DOSE, params, at_least=True, effects=False)


def discharge(ctx: CareContext, day1: np.ndarray) -> None:
    """Discharge living patients due by ``day1`` (N,): bloods, summary, diagnosis, medicines reconciled, review.

    Pre-discharge bloods and the hospital's check of its starts come first (they read the GP record,
    which ingests the ledger), so the discharge, its diagnoses and its prescriptions reach the record
    together (the discharge letter lists them).
    """
    care, state = ctx.care, ctx.state
    rows = np.flatnonzero((care.discharge_day <= day1) & state.alive)
    if rows.size == 0:
        return
    day, link = care.discharge_day[rows], care.admission[rows]
    reconciliation.check_before_discharge(ctx, rows, day, link)
    ctx.ledger.append(rows, LedgerKind.DISCHARGE, Concept.DISCHARGE_USUAL_RESIDENCE, day, link=link)
    ctx.ledger.append(rows, LedgerKind.DIAGNOSIS, care.admission_dx[rows], day, link=link)
    reconciliation.reconcile(ctx, rows, day, link)
    for icd, name in _DIAGNOSED_AT_DISCHARGE:
        care.diagnosed[name][rows[care.admission_dx[rows] == icd]] = True
    care.diagnosed["myocardial_infarction"][rows[care.admission_dx[rows] == Concept.ICD10_MI]] = True
    review = day + int(ctx.params["review_interval_days"])
    care.next_review[rows] = np.minimum(care.next_review[rows], review)
    care.discharge_day[rows], care.admission[rows] = NEVER, -1
