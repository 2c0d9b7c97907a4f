"""The screening visit: what a trial measures at baseline, drawn the way a trial measures it.

BP is the mean of ``screening_bp_readings`` seated readings (``trial_parameters.csv``) at one visit:
the patient's usual BP, plus one visit deviation (SD ``sbp_visit_sd_mmhg`` of the twin; DBP
``dbp_visit_sd_ratio`` times it), plus each reading's measurement error (SD ``bp_measurement_sd_mmhg``,
``care_parameters.csv``). Lab values are one sample each with the analytic CVs of ``care_parameters.csv``;
BMI carries ``bmi_measurement_sd_kg_m2``. Conditions are those diagnosed at baseline; treatment flags
come from the twin's treatment fields. Random numbers: :class:`twin_env.trials.channels.TrialChannel`.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.measurements import observed_bp_mmhg
from twin_env.care.parameters import CareParameters
from twin_env.models.qrisk3 import QRISK3_INPUTS, qrisk3_score_array
from twin_env.trials.channels import TrialChannel
from twin_env.twin import random_streams as rs
from twin_env.twin.baseline_conditions import RECORDED_CONDITIONS, BaselineDiagnoses
from twin_env.twin.parameters import read_scalars
from twin_env.twin.state import RISK_FLAGS, PatientState
from twin_env.vocab.panels import ANALYTES as PANEL_ANALYTES

TRIAL_PARAMETERS: dict[str, float] = read_scalars("trial_parameters.csv")
_ANALYTIC_CV = {field: cv for panel in PANEL_ANALYTES.values() for _, field, cv in panel}
#: Lab analytes of the screening sample, in random-channel order: (state field, care parameter of its
#: analytic CV, from the test panels' table).
ANALYTES: tuple[tuple[str, str], ...] = tuple(
    (field, _ANALYTIC_CV[field])
    for field in ("ldl_mmol_l", "hba1c_mmol_mol", "egfr_ml_min_1_73m2", "total_chol_mmol_l", "hdl_mmol_l")
)
_QRISK3_AGE_YEARS = (25.0, 85.0)  # the equation's valid ages, [25, 85)


def visit_bp_mmhg(
    state: PatientState, rows: np.ndarray, visit: int, params: CareParameters
) -> tuple[np.ndarray, np.ndarray]:
    """(SBP, DBP) (k,) in mmHg of ``rows`` at trial visit ``visit``: the mean of the visit's seated readings."""
    keys = state.patient_key[rows]
    readings = int(TRIAL_PARAMETERS["screening_bp_readings"])
    error_s = sum(rs.standard_normal(keys, visit, TrialChannel.SBP_READING + r) for r in range(readings)) / readings
    error_d = sum(rs.standard_normal(keys, visit, TrialChannel.DBP_READING + r) for r in range(readings)) / readings
    visit_z = (
        rs.standard_normal(keys, visit, TrialChannel.SBP_VISIT),
        rs.standard_normal(keys, visit, TrialChannel.DBP_VISIT),
    )
    sbp, dbp = observed_bp_mmhg(state, rows, params, visit_z=visit_z, error_z=(error_s, error_d))
    return sbp, dbp


def screen(state: PatientState, diagnoses: BaselineDiagnoses, params: CareParameters) -> dict[str, np.ndarray]:
    """The screening visit of every patient (visit 0): name -> (N,) array.

    Keys: ``age`` (years), ``female``, ``sbp_mmhg``, ``dbp_mmhg``, ``ldl_mmol_l``, ``hba1c_mmol_mol``,
    ``egfr``, ``bmi``, ``total_chol_mmol_l``, ``hdl_mmol_l``, ``qrisk3_percent`` (NaN outside the
    equation's ages 25-84), each condition of ``RECORDED_CONDITIONS`` (diagnosed), ``on_antihypertensive``,
    ``on_statin``, ``on_metformin``.
    """
    rows = np.arange(state.n)
    keys = state.patient_key
    sbp, dbp = visit_bp_mmhg(state, rows, 0, params)
    out: dict[str, np.ndarray] = {
        "age": state.age_years.copy(),
        "female": state.female.copy(),
        "sbp_mmhg": sbp,
        "dbp_mmhg": dbp,
    }
    for index, (field, cv_name) in enumerate(ANALYTES):
        error = 1.0 + params[cv_name] * rs.standard_normal(keys, 0, TrialChannel.ANALYTE + index)
        out[field] = state.columns[field].astype(np.float64) * error
    out["egfr"] = out.pop("egfr_ml_min_1_73m2")
    out["bmi"] = state.bmi_kg_m2 + params["bmi_measurement_sd_kg_m2"] * rs.standard_normal(keys, 0, TrialChannel.BMI)
    for name in RECORDED_CONDITIONS:
        out[name] = np.asarray(diagnoses.diagnosed[name], dtype=bool).copy()
    out["on_antihypertensive"] = state.on_antihypertensive.copy()
    out["on_statin"] = state.statin_ldl_reduction > 0
    out["on_metformin"] = state.metformin_mg_day > 0
    out["qrisk3_percent"] = _qrisk3_percent(state, out)
    return out


def _qrisk3_percent(state: PatientState, seen: dict[str, np.ndarray]) -> np.ndarray:
    """QRISK3 10-year risk (%) from the screening values and baseline diagnoses; NaN outside ages 25-84."""
    risk = np.full(state.n, np.nan)
    rows = np.flatnonzero((state.age_years >= _QRISK3_AGE_YEARS[0]) & (state.age_years < _QRISK3_AGE_YEARS[1]))
    if rows.size == 0:
        return risk
    ratio = seen["total_chol_mmol_l"][rows] / seen["hdl_mmol_l"][rows]
    flags = {name: state.columns[name][rows] for name in RISK_FLAGS if name in QRISK3_INPUTS}
    risk[rows] = qrisk3_score_array(
        sex=np.where(state.female[rows], "female", "male"),
        age=state.age_years[rows],
        ethnicity=state.ethnicity[rows],
        smoking=state.smoking[rows],
        bmi=np.clip(seen["bmi"][rows], 10.0, 80.0),
        chol_hdl_ratio=np.clip(ratio, 1.0, 12.0),
        sbp=np.clip(seen["sbp_mmhg"][rows], 70.0, 210.0),
        sbp_sd=state.sbp_visit_sd_mmhg[rows],
        townsend=np.clip(state.townsend[rows], -7.0, 11.0),
        atrial_fibrillation=seen["atrial_fibrillation"][rows],
        ckd_3_5=seen["ckd_3_5"][rows],
        treated_hypertension=seen["on_antihypertensive"][rows],
        type2_diabetes=seen["type2_diabetes"][rows],
        type1_diabetes=seen["type1_diabetes"][rows],
        **flags,
    )
    return risk
