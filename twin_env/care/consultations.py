"""GP consultations: spontaneous (by age and diagnosed conditions), annual reviews, booked reviews.

A consultation measures BP (always at reviews), may record BMI and smoking, may find AF, and a
review takes the routine test panels and reviews the repeat medicines (:mod:`twin_env.care.medication_review`);
samples for tests ordered by the practice are taken too.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import medication_review
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.measurements import ecg, measure_bp, pulse_irregular, record_lifestyle
from twin_env.care.pathology import take_tests
from twin_env.care.state import CHRONIC_CONDITIONS
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import DAYS_PER_YEAR


def consult(
    ctx: CareContext, day0: np.ndarray, day1: np.ndarray, span: np.ndarray, counter: np.ndarray, presented: np.ndarray
) -> None:
    """This step's consultations of patients at home who have not already ``presented`` (N,) bool.

    ``day0``, ``day1`` (N,) bound each row's step (days), ``span`` (N,) is its length (>= 1 day),
    ``counter`` (N,) the random-stream counter.
    """
    state, p, care = ctx.state, ctx.params, ctx.care
    keys, d = state.patient_key, care.diagnosed
    age = state.age_years
    rate = np.select(
        [age < 45, age < 65, age < 75],
        [
            p["consultation_rate_per_year_under_45"],
            p["consultation_rate_per_year_45_64"],
            p["consultation_rate_per_year_65_74"],
        ],
        p["consultation_rate_per_year_75_plus"],
    )
    n_dx = sum(d[c].astype(np.int8) for c in CHRONIC_CONDITIONS)
    rate = rate * p["consultation_rate_ratio_per_condition"] ** n_dx
    spontaneous = rs.uniform(keys, counter, CareChannel.CONSULTS) < -np.expm1(-rate * span / DAYS_PER_YEAR)
    review = (care.next_review <= day1) | care.booked
    home = state.alive & (care.admission < 0)
    rows = np.flatnonzero(home & ~presented & (spontaneous | review))
    if rows.size == 0:  # no consultation (most steps of a small batch): only the tests ordered for those at home
        take_tests(ctx, rows, rows, rows, home, day0, span, counter)
        return
    day = day0[rows] + (rs.uniform(keys[rows], counter[rows], CareChannel.CONSULT_DAY) * span[rows]).astype(np.int32)
    is_review = review[rows]
    concept = np.where(
        ~is_review,
        Concept.CONSULTATION,
        np.where(
            d["type2_diabetes"][rows],
            Concept.DIABETES_REVIEW,
            np.where(d["hypertension"][rows], Concept.HYPERTENSION_REVIEW, Concept.MEDICATION_REVIEW),
        ),
    )
    seq = ctx.ledger.append(rows, LedgerKind.CONSULTATION, concept, day)
    care.booked[rows] = False
    interval = int(p["review_interval_days"])
    care.next_review[rows[is_review]] = day[is_review] + interval
    care.next_review[rows] = np.where(
        care.chronic_diagnosed()[rows],
        np.minimum(care.next_review[rows], day + interval),
        care.next_review[rows],
    )
    measured = is_review | (
        rs.uniform(keys[rows], counter[rows], CareChannel.BP_MEASURED) < p["bp_measured_probability"]
    )
    measure_bp(ctx, rows[measured], day[measured], seq[measured], counter)
    record_lifestyle(ctx, rows, day, seq, is_review, counter)
    _detect_af(ctx, rows, day, seq, counter)
    take_tests(ctx, rows[is_review], day[is_review], seq[is_review], home, day0, span, counter)
    medication_review.review(ctx, rows[is_review], day[is_review], seq[is_review])


def _detect_af(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, counter: np.ndarray) -> None:
    """Opportunistic pulse checks in consulting ``rows`` (k,) without coded AF: an irregular pulse gets an ECG."""
    state, p = ctx.state, ctx.params
    rows, day, link = (a[~ctx.care.diagnosed["atrial_fibrillation"][rows]] for a in (rows, day, link))
    if rows.size == 0:
        return
    keys, c = state.patient_key[rows], counter[rows]
    checked = rs.uniform(keys, c, CareChannel.AF_DETECTED) < p["af_opportunistic_detection_probability"]
    irregular = checked & pulse_irregular(ctx, rows, counter)
    ecg(ctx, rows[irregular], day[irregular], link[irregular], counter)
