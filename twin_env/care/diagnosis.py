"""Diagnosis from readings, as NICE describes it, with clinicians who are sometimes wrong both ways.

Every rule here decides from a reading a clinician has (a clinic BP, a home series average, a lab
value, an ECG as read, an NT-proBNP and an echo), never from the twin's condition flags:

- **hypertension** (NG136): a clinic reading >= 140/90 asks for a home series (:mod:`.home_bp`);
  an average >= 135/85 confirms it;
- **type 2 diabetes** (NG28): two HbA1c >= 48 mmol/mol (the second from a repeat booked after
  ``diabetes_repeat_interval_days``);
- **CKD stage 3** (NG203): eGFR < 60 on two occasions at least ``ckd_confirmation_interval_days`` apart;
- **CKD with albuminuria** (NG203, eGFR >= 60): urine ACR >= 3 mg/mmol on two samples at least
  ``ckd_acr_repeat_interval_days`` apart (the second from a repeat booked after the first), coded CKD stage 1
  (latest eGFR >= 90) or stage 2 (60-89): never the QOF CKD 3-5 register (:data:`CKD_ALBUMINURIA`);
- **AF**: an ECG read as AF; **heart failure** (NG106): NT-proBNP >= 400 ng/L and an echo showing it
  (:func:`heart_failure_from_tests`, at the cardiology clinic the NT-proBNP referred to it:
  :mod:`.heart_failure_pathway`).

Clinicians err both ways, at the rates of ``care_parameters.csv``: a first raised result coded at
once without confirmation (``*_without_confirmation`` / ``*_on_one_*``), and a confirming result
not acted on (``*_confirmation_missed``); a raised clinic reading may also not be followed up at
all (``hypertension_raised_reading_not_followed_probability``). A missed or refuted confirmation
ends the pending run; a later raised result starts a new one.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.diagnosis_state import CKD_ALBUMINURIA
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NEVER
from twin_env.vocab.panels import Test


def code(
    ctx: CareContext, rows: np.ndarray, condition: str, concept: Concept, day: np.ndarray, link: np.ndarray
) -> None:
    """Diagnose ``condition`` (coded as ``concept``) in ``rows`` (k,) on ``day`` (k,), linked to ``link`` (k,)."""
    ctx.ledger.append(rows, LedgerKind.DIAGNOSIS, concept, day, link=link)
    ctx.care.diagnosed[condition][rows] = True


def _draw(ctx: CareContext, rows: np.ndarray, counter: np.ndarray, channel: CareChannel) -> np.ndarray:
    return rs.uniform(ctx.state.patient_key[rows], counter[rows], channel)


def clinic_bp(
    ctx: CareContext,
    rows: np.ndarray,
    day: np.ndarray,
    link: np.ndarray,
    sbp_mmhg: np.ndarray,
    dbp_mmhg: np.ndarray,
    counter: np.ndarray,
) -> None:
    """Clinic readings (k,) of ``rows`` (k,): raised and undiagnosed, ask for a home series (or code at once)."""
    p, pending = ctx.params, ctx.care.pending
    raised = (sbp_mmhg >= p["hypertension_clinic_sbp_threshold_mmhg"]) | (
        dbp_mmhg >= p["hypertension_clinic_dbp_threshold_mmhg"]
    )
    waiting = pending.home_due[rows] | (pending.series_seq[rows] >= 0)
    new = raised & ~ctx.care.diagnosed["hypertension"][rows] & ~waiting
    followed = (
        _draw(ctx, rows, counter, CareChannel.HTN_NOT_FOLLOWED)
        >= p["hypertension_raised_reading_not_followed_probability"]
    )
    new &= followed
    at_once = new & (
        _draw(ctx, rows, counter, CareChannel.HTN_UNCONFIRMED)
        < p["hypertension_coded_without_confirmation_probability"]
    )
    code(ctx, rows[at_once], "hypertension", Concept.ESSENTIAL_HYPERTENSION, day[at_once], link[at_once])
    pending.home_due[rows[new & ~at_once]] = True


def home_average(
    ctx: CareContext,
    rows: np.ndarray,
    day: np.ndarray,
    link: np.ndarray,
    sbp_mmhg: np.ndarray,
    dbp_mmhg: np.ndarray,
    counter: np.ndarray,
) -> None:
    """A home series' average (k,) for ``rows`` (k,): >= 135/85 confirms hypertension (unless missed)."""
    p = ctx.params
    confirms = (sbp_mmhg >= p["hypertension_home_sbp_threshold_mmhg"]) | (
        dbp_mmhg >= p["hypertension_home_dbp_threshold_mmhg"]
    )
    missed = _draw(ctx, rows, counter, CareChannel.HTN_MISSED) < p["hypertension_confirmation_missed_probability"]
    new = confirms & ~missed & ~ctx.care.diagnosed["hypertension"][rows]
    code(ctx, rows[new], "hypertension", Concept.ESSENTIAL_HYPERTENSION, day[new], link[new])


def hba1c(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, value: np.ndarray, counter: np.ndarray
) -> None:
    """HbA1c results (k,) of ``rows`` (k,): two >= 48 mmol/mol diagnose type 2 diabetes."""
    p, pending = ctx.params, ctx.care.pending
    undiagnosed = ~ctx.care.diagnosed["type2_diabetes"][rows]
    high = undiagnosed & (value >= p["diabetes_hba1c_threshold_mmol_mol"])
    earlier = pending.hba1c_high_day[rows] != NEVER
    u = _draw(ctx, rows, counter, CareChannel.HBA1C_DECISION)
    at_once = high & ~earlier & (u < p["diabetes_coded_on_one_hba1c_probability"])
    confirmed = high & earlier & (u >= p["diabetes_confirmation_missed_probability"])
    code(
        ctx,
        rows[at_once | confirmed],
        "type2_diabetes",
        Concept.TYPE2_DIABETES,
        day[at_once | confirmed],
        link[at_once | confirmed],
    )
    first = high & ~earlier & ~at_once
    pending.hba1c_high_day[rows] = np.where(
        first, day, np.where(undiagnosed & ~high, NEVER, pending.hba1c_high_day[rows])
    )
    pending.hba1c_high_day[rows[high & earlier]] = NEVER  # confirmed or missed: the run ends
    pending.repeat_day[Test.HBA1C][rows[first]] = day[first] + int(p["diabetes_repeat_interval_days"])


def egfr(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, value: np.ndarray, counter: np.ndarray
) -> None:
    """eGFR results (k,) of ``rows`` (k,): two < 60 at least the confirmation interval apart diagnose CKD stage 3."""
    p, pending = ctx.params, ctx.care.pending
    pending.last_egfr_ml_min[rows] = value
    interval = int(p["ckd_confirmation_interval_days"])
    undiagnosed = ~ctx.care.diagnosed["ckd_3_5"][rows]
    low = undiagnosed & (value < p["ckd_egfr_threshold_ml_min"])
    since = pending.egfr_low_day[rows]
    earlier = since != NEVER
    sustained = low & earlier & (day - since >= interval)
    u = _draw(ctx, rows, counter, CareChannel.EGFR_DECISION)
    at_once = low & ~earlier & (u < p["ckd_coded_on_one_egfr_probability"])
    confirmed = sustained & (u >= p["ckd_confirmation_missed_probability"])
    new = at_once | confirmed
    code(ctx, rows[new], "ckd_3_5", Concept.CKD_STAGE_3, day[new], link[new])
    first = low & ~earlier & ~at_once
    _advance_run(
        pending.egfr_low_day, pending.repeat_day[Test.RENAL], rows, day, low, undiagnosed, first, sustained, interval
    )


def acr(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, value: np.ndarray, counter: np.ndarray
) -> None:
    """Urine ACR results (k,) mg/mmol of ``rows`` (k,): two >= 3 at least the repeat interval apart, with the
    latest eGFR the practice has >= 60, diagnose CKD with albuminuria (coded CKD stage 1 or 2).

    A first raised ACR books the repeat (and an eGFR with it when the practice has none); a normal ACR
    ends the run, and so does the confirming one (coded, missed, or with an eGFR < 60: the eGFR route
    applies). People coded with CKD 3-5 are not staged again.
    """
    p, pending, diagnosed = ctx.params, ctx.care.pending, ctx.care.diagnosed
    interval = int(p["ckd_acr_repeat_interval_days"])
    undiagnosed = ~diagnosed[CKD_ALBUMINURIA][rows] & ~diagnosed["ckd_3_5"][rows]
    high = undiagnosed & (value >= p["ckd_acr_threshold_mg_mmol"])
    egfr = pending.last_egfr_ml_min[rows]
    preserved = egfr >= p["ckd_egfr_threshold_ml_min"]  # NaN (no eGFR yet): not known to be preserved
    since = pending.acr_high_day[rows]
    earlier = since != NEVER
    sustained = high & earlier & (day - since >= interval)
    u = _draw(ctx, rows, counter, CareChannel.ACR_DECISION)
    at_once = high & ~earlier & preserved & (u < p["ckd_acr_coded_on_one_probability"])
    confirmed = sustained & preserved & (u >= p["ckd_acr_confirmation_missed_probability"])
    new = at_once | confirmed
    stage_1 = egfr >= p["ckd_stage_1_egfr_min_ml_min"]
    for concept, of_stage in ((Concept.CKD_STAGE_1, stage_1), (Concept.CKD_STAGE_2, ~stage_1)):
        coded = new & of_stage
        code(ctx, rows[coded], CKD_ALBUMINURIA, concept, day[coded], link[coded])
    first = high & ~earlier & ~at_once
    _advance_run(
        pending.acr_high_day, pending.repeat_day[Test.ACR], rows, day, high, undiagnosed, first, sustained, interval
    )
    no_egfr = rows[first & np.isnan(egfr)]  # the repeat comes with an eGFR to stage it
    renal = pending.repeat_day[Test.RENAL]
    renal[no_egfr] = np.minimum(renal[no_egfr], day[first & np.isnan(egfr)] + interval)


def atrial_fibrillation_from_ecg(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, read_as_af: np.ndarray
) -> None:
    """ECGs of ``rows`` (k,), ``read_as_af`` (k,) bool: an ECG read as AF diagnoses it (callable by any pathway)."""
    new = read_as_af & ~ctx.care.diagnosed["atrial_fibrillation"][rows]
    code(ctx, rows[new], "atrial_fibrillation", Concept.ATRIAL_FIBRILLATION, day[new], link[new])


def heart_failure_from_tests(
    ctx: CareContext,
    rows: np.ndarray,
    day: np.ndarray,
    link: np.ndarray,
    ntprobnp_ng_l: np.ndarray,
    echo_shows_hf: np.ndarray,
) -> None:
    """NT-proBNP (k,) ng/L and echo findings (k,) bool of ``rows`` (k,): both positive diagnose heart failure.

    For the cardiology clinic (NICE NG106): an NT-proBNP >= ``hf_ntprobnp_threshold_ng_l`` led to the
    echo, and heart failure is coded where the echo shows it. NaN: no NT-proBNP came with the patient
    (a referral for another reason, e.g. after an MI), and the echo decides alone.
    """
    raised = np.isnan(ntprobnp_ng_l) | (ntprobnp_ng_l >= ctx.params["hf_ntprobnp_threshold_ng_l"])
    positive = raised & echo_shows_hf
    new = positive & ~ctx.care.diagnosed["heart_failure"][rows]
    code(ctx, rows[new], "heart_failure", Concept.HEART_FAILURE, day[new], link[new])


def order_due_repeats(ctx: CareContext, home: np.ndarray, day1: np.ndarray) -> None:
    """Order the confirming repeat samples due by ``day1`` (N,) for rows at ``home`` (N,) bool."""
    for panel, due in ctx.care.pending.repeat_day.items():
        rows = np.flatnonzero((due <= day1) & home)
        ctx.care.ordered[panel][rows] = True
        due[rows] = NEVER


def _advance_run(
    since_day: np.ndarray,
    repeat_day: np.ndarray,
    rows: np.ndarray,
    day: np.ndarray,
    raised: np.ndarray,
    undiagnosed: np.ndarray,
    first: np.ndarray,
    sustained: np.ndarray,
    interval: int,
) -> None:
    """Move the runs of raised results of ``rows`` (k,) on: a first raised result starts a run (day kept in
    ``since_day`` (N,)) and books the repeat test in ``repeat_day`` (N,) ``interval`` days on; a normal result
    of an undiagnosed row, or a confirming one, ends it; a raised result too soon to confirm books the repeat
    for when the interval is up."""
    since = since_day[rows]
    ends = (undiagnosed & ~raised) | sustained
    since_day[rows] = np.where(first, day, np.where(ends, NEVER, since))
    repeat_day[rows[first]] = day[first] + interval
    early = raised & (since != NEVER) & ~sustained
    repeat_day[rows[early]] = np.minimum(repeat_day[rows[early]], since[early] + interval)
