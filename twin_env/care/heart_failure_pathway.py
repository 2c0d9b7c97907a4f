"""Suspected heart failure in primary care (NICE NG106, QS9): symptoms, an NT-proBNP, referral by its level.

A patient at home with no heart failure on the GP's register who brings symptoms suggesting it
(:func:`twin_env.twin.heart_failure_symptoms.presents`: the patient's side, heart failure or not) is
seen on a day of the step and an NT-proBNP is taken (:func:`measure_ntprobnp`). The GP decides on the
result alone: above ``hf_ntprobnp_urgent_threshold_ng_l`` (2,000 ng/L) a cardiology clinic with
echocardiography within ``hf_urgent_assessment_within_days`` (2 weeks); from ``hf_ntprobnp_threshold_ng_l``
(400) up to 2,000 within ``hf_assessment_within_days`` (6 weeks); below 400 heart failure is unlikely and
the patient is not referred. The referral carries the result to the clinic, whose echocardiogram then
diagnoses with it (:func:`twin_env.care.specialist_clinics.cardiology`). A patient already booked into
cardiology is not tested again. Figures: ``twin_env/data/programme_parameters.csv``.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import referrals
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.twin import heart_failure_symptoms, natriuretic_peptide
from twin_env.twin import random_streams as rs
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NEVER


def measure_ntprobnp(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Take an NT-proBNP of ``rows`` (k,) on ``day`` (k,) at encounter ``link`` (k,); returns the results (k,) ng/L.

    The order and its result (the twin's level x analytic error, whole ng/L) are logged; ``counter`` (k,)
    is each row's random-stream counter.
    """
    order = ctx.ledger.append(rows, LedgerKind.TEST_ORDER, Concept.TEST_NTPROBNP, day, link=link)
    z = rs.standard_normal(ctx.state.patient_key[rows], counter, CareChannel.NTPROBNP_NOISE)
    level = natriuretic_peptide.level_ng_l(ctx.state, rows)
    value = np.maximum(np.rint(level * (1.0 + ctx.params["analytic_cv_ntprobnp"] * z)), 0.0)
    ctx.ledger.append(rows, LedgerKind.TEST_RESULT, Concept.NTPROBNP, day, value=value, link=order)
    return value


def assessment_wait_days(ctx: CareContext, ntprobnp_ng_l: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Days (k,) int64 from the result to the clinic: a day within the NG106 target for the level (k,) ng/L.

    ``u`` (k,) are uniforms in [0, 1); a result below the referral threshold gets the longer target
    (it is not referred: callers select).
    """
    p = ctx.params
    urgent = ntprobnp_ng_l > p["hf_ntprobnp_urgent_threshold_ng_l"]
    within = np.where(urgent, p["hf_urgent_assessment_within_days"], p["hf_assessment_within_days"])
    return 1 + np.floor(u * within).astype(np.int64)


def suspect(ctx: CareContext, day0: np.ndarray, span: np.ndarray, counter: np.ndarray) -> None:
    """This step's patients with symptoms suggesting heart failure: seen, NT-proBNP taken, referred by the level.

    ``day0`` and ``span`` (N,) are the step's first day and length in days, ``counter`` (N,) the
    random-stream counter.
    """
    s, care, p = ctx.state, ctx.care, ctx.params
    candidates = np.flatnonzero(
        s.alive & (care.admission < 0) & ~care.diagnosed["heart_failure"] & (care.clinic_day["cardiology"] == NEVER)
    )
    rows = candidates[heart_failure_symptoms.presents(s, candidates, counter[candidates], span[candidates])]
    if rows.size == 0:
        return
    keys, c = s.patient_key[rows], counter[rows]
    day = day0[rows] + (rs.uniform(keys, c, CareChannel.HF_CONSULT_DAY) * span[rows]).astype(np.int64)
    seq = ctx.ledger.append(rows, LedgerKind.CONSULTATION, Concept.CONSULTATION, day)
    value = measure_ntprobnp(ctx, rows, day, seq, c)
    refer = value >= p["hf_ntprobnp_threshold_ng_l"]
    wait = assessment_wait_days(ctx, value[refer], rs.uniform(keys[refer], c[refer], CareChannel.HF_CLINIC_DAY))
    referrals.refer(ctx, rows[refer], "cardiology", day[refer], seq[refer], wait=wait)
    care.referral_ntprobnp_ng_l[rows[refer]] = value[refer]
