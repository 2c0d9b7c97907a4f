"""What is measured and asked in a consultation: BP (diagnosing hypertension), BMI, smoking status."""

from __future__ import annotations

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.parameters import CareParameters
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.twin.state import PatientState
from twin_env.vocab.concepts import SMOKING_CONCEPTS, Concept

_SMOKING_CONCEPT = np.array(SMOKING_CONCEPTS, dtype=np.int16)  # by the twin's smoking category 0-4


def observed_bp_mmhg(
    state: PatientState,
    rows: np.ndarray,
    params: CareParameters,
    visit_z: tuple[np.ndarray, np.ndarray],
    error_z: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """(SBP, DBP) (k,) in mmHg as measured at one visit: true BP + visit-to-visit deviation + reading error.

    ``visit_z`` and ``error_z`` are (SBP, DBP) standard normal deviates (k,) of the visit and of the
    reading error (for a mean of n readings, the mean of n deviates). The visit SD is the patient's
    ``sbp_visit_sd_mmhg`` (DBP: ``dbp_visit_sd_ratio`` times it), the reading SD ``bp_measurement_sd_mmhg``.
    """
    visit_sd = state.sbp_visit_sd_mmhg[rows].astype(np.float64)
    error_sd = params["bp_measurement_sd_mmhg"]
    sbp = state.sbp_mmhg[rows] + visit_sd * visit_z[0] + error_sd * error_z[0]
    dbp = state.dbp_mmhg[rows] + params["dbp_visit_sd_ratio"] * visit_sd * visit_z[1] + error_sd * error_z[1]
    return sbp, dbp


def measure_bp(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, counter: np.ndarray) -> None:
    """One clinic BP (mmHg, whole) for ``rows`` (k,) on ``day`` (k,), linked to the consultation (k,).

    Visit-to-visit and measurement noise are added to the true BP; a reading >= 140/90 in a
    patient whose hypertension is undiagnosed diagnoses it.
    """
    s = ctx.state
    k, c = s.patient_key[rows], counter[rows]
    sbp, dbp = observed_bp_mmhg(
        s,
        rows,
        ctx.params,
        visit_z=(rs.standard_normal(k, c, CareChannel.SBP_VISIT), rs.standard_normal(k, c, CareChannel.DBP_VISIT)),
        error_z=(rs.standard_normal(k, c, CareChannel.SBP_NOISE), rs.standard_normal(k, c, CareChannel.DBP_NOISE)),
    )
    sbp, dbp = np.rint(sbp), np.rint(dbp)
    ctx.ledger.append(rows, LedgerKind.OBSERVATION, Concept.SBP, day, value=sbp, link=link)
    ctx.ledger.append(rows, LedgerKind.OBSERVATION, Concept.DBP, day, value=dbp, link=link)
    diagnosed = ctx.care.diagnosed["hypertension"]
    new = s.hypertension[rows] & ~diagnosed[rows] & ((sbp >= 140) | (dbp >= 90))
    ctx.ledger.append(rows[new], LedgerKind.DIAGNOSIS, Concept.ESSENTIAL_HYPERTENSION, day[new], link=link[new])
    diagnosed[rows[new]] = True


def record_lifestyle(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, is_review: np.ndarray, counter: np.ndarray
) -> None:
    """BMI (true BMI + measurement noise, 0.1 kg/m2) and, at reviews, coded smoking status."""
    s, p = ctx.state, ctx.params
    k, c = s.patient_key[rows], counter[rows]
    u = rs.uniform(k, c, CareChannel.BMI_MEASURED)
    bmi = u < np.where(is_review, p["bmi_recorded_probability_review"], p["bmi_recorded_probability_consultation"])
    value = np.round(
        s.bmi_kg_m2[rows] + p["bmi_measurement_sd_kg_m2"] * rs.standard_normal(k, c, CareChannel.BMI_NOISE), 1
    )
    ctx.ledger.append(rows[bmi], LedgerKind.OBSERVATION, Concept.BMI, day[bmi], value=value[bmi], link=link[bmi])
    asked = is_review & (rs.uniform(k, c, CareChannel.SMOKING_RECORDED) < p["smoking_recorded_probability_review"])
    status = _SMOKING_CONCEPT[s.smoking[rows[asked]].astype(np.intp)]
    ctx.ledger.append(rows[asked], LedgerKind.SMOKING_STATUS, status, day[asked], link=link[asked])
