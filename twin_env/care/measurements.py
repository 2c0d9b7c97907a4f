"""What is measured and asked in a consultation: clinic BP (with the white-coat effect), BMI, smoking status."""

from __future__ import annotations

import numpy as np

from twin_env.care import diagnosis
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
    white_coat: tuple[np.ndarray | float, np.ndarray | float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """(SBP, DBP) (k,) in mmHg as measured at one clinic visit: usual BP + white coat + visit deviation + error.

    The twin's usual BP is on the clinic scale (the population's mean white-coat effect is in it),
    so a clinic reading adds the patient's white-coat effect less the population mean
    (``white_coat_*_mean_mmhg``): a large effect reads high, a masked (negative) one low.
    ``visit_z`` and ``error_z`` are (SBP, DBP) standard normal deviates (k,) of the visit and of the
    reading error (for a mean of n readings, the mean of n deviates). The visit SD is the patient's
    ``sbp_visit_sd_mmhg`` (DBP: ``dbp_visit_sd_ratio`` times it), the reading SD ``bp_measurement_sd_mmhg``.
    ``white_coat``: (SBP, DBP) (k,) mmHg of the patient's effect above the population mean (0: none).
    """
    visit_sd = state.sbp_visit_sd_mmhg[rows].astype(np.float64)
    error_sd = params["bp_measurement_sd_mmhg"]
    sbp = state.sbp_mmhg[rows] + white_coat[0] + visit_sd * visit_z[0] + error_sd * error_z[0]
    dbp = (
        state.dbp_mmhg[rows]
        + white_coat[1]
        + params["dbp_visit_sd_ratio"] * visit_sd * visit_z[1]
        + error_sd * error_z[1]
    )
    return sbp, dbp


def measure_bp(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, counter: np.ndarray) -> None:
    """One clinic BP (mmHg, whole) for ``rows`` (k,) on ``day`` (k,), linked to the consultation (k,).

    The patient's white-coat effect, visit-to-visit and measurement noise are added to the usual
    BP; the reading goes to :func:`twin_env.care.diagnosis.clinic_bp` (a raised reading asks for a
    home series).
    """
    if rows.size == 0:  # nothing drawn or logged (the draws are pure functions: skipping them changes no other)
        return
    s = ctx.state
    k, c = s.patient_key[rows], counter[rows]
    sbp, dbp = observed_bp_mmhg(
        s,
        rows,
        ctx.params,
        visit_z=(rs.standard_normal(k, c, CareChannel.SBP_VISIT), rs.standard_normal(k, c, CareChannel.DBP_VISIT)),
        error_z=(rs.standard_normal(k, c, CareChannel.SBP_NOISE), rs.standard_normal(k, c, CareChannel.DBP_NOISE)),
        white_coat=white_coat_above_mean_mmhg(ctx, rows),
    )
    sbp, dbp = np.rint(sbp), np.rint(dbp)
    ctx.ledger.append(rows, LedgerKind.OBSERVATION, Concept.SBP, day, value=sbp, link=link)
    ctx.ledger.append(rows, LedgerKind.OBSERVATION, Concept.DBP, day, value=dbp, link=link)
    diagnosis.clinic_bp(ctx, rows, day, link, sbp, dbp, counter)


def white_coat_above_mean_mmhg(ctx: CareContext, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(SBP, DBP) (k,) mmHg: the patients' white-coat effect less the population mean (twin parameters)."""
    s, tp = ctx.state, ctx.twin_params
    return (
        s.white_coat_sbp_mmhg[rows] - tp["white_coat_sbp_mean_mmhg"],
        s.white_coat_dbp_mmhg[rows] - tp["white_coat_dbp_mean_mmhg"],
    )


def record_lifestyle(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, is_review: np.ndarray, counter: np.ndarray
) -> None:
    """BMI (true BMI + measurement noise, 0.1 kg/m2) and, at reviews, coded smoking status."""
    if rows.size == 0:
        return
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


def pulse_irregular(ctx: CareContext, rows: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """(k,) bool: a pulse felt irregular in ``rows`` (k,) (AF sensitivity, specificity: care_parameters.csv)."""
    p = ctx.params
    u = rs.uniform(ctx.state.patient_key[rows], counter[rows], CareChannel.PULSE_IRREGULAR)
    return np.where(ctx.state.atrial_fibrillation[rows], u < p["af_pulse_sensitivity"], u >= p["af_pulse_specificity"])


def ecg(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """A 12-lead ECG for ``rows`` (k,) on ``day`` (k,), read by the clinician; returns (k,) bool read as AF.

    The trace shows the true rhythm; the reading errs at ``af_ecg_read_sensitivity`` /
    ``af_ecg_read_specificity``, and an ECG read as AF diagnoses it
    (:func:`twin_env.care.diagnosis.atrial_fibrillation_from_ecg`).
    """
    if rows.size == 0:
        return np.zeros(0, dtype=bool)
    p = ctx.params
    ctx.ledger.append(rows, LedgerKind.IMAGING, Concept.ECG, day, link=link)
    u = rs.uniform(ctx.state.patient_key[rows], counter[rows], CareChannel.ECG_READ)
    read_as_af = np.where(
        ctx.state.atrial_fibrillation[rows], u < p["af_ecg_read_sensitivity"], u >= p["af_ecg_read_specificity"]
    )
    diagnosis.atrial_fibrillation_from_ecg(ctx, rows, day, link, read_as_af)
    return read_as_af
