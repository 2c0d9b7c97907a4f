"""Recurrent cardiovascular events after established CVD, driven by the same risk factors as the first.

Annual hazard of a recurrent major event (MI, stroke or TIA; split as in the simulator):

    rate(age) x exp(SMART linear predictor - normaliser),
    rate(age) = recurrent_cvd_rate_per_year x exp(recurrent_cvd_log_slope_per_year_age x (age - 65))

The linear predictor takes the SMART risk score's coefficients (Dorresteijn et al., Heart 2013) for
male sex, current smoking, untreated SBP, diabetes, coronary and cerebrovascular disease, untreated
total cholesterol, HDL and eGFR (its quadratic, held at the vertex above it: a high eGFR in SMART
marks low muscle mass, not a protective kidney). Treatment acts through the simulator's achieved-fall
relative risks (Ettehad 2016, CTT 2010), as for first events. The normaliser (derived by
``python -m twin_env.twin.recurrent_cvd_normaliser``) keeps the age-weighted mean of exp(predictor) over the
baseline population with established CVD at 1, so the twin's mean recurrent rate stays where it was.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState, RowsView


def _egfr_vertex(params: TwinParameters) -> float:
    """eGFR (mL/min/1.73m2) at which SMART's quadratic eGFR term is lowest (about 65)."""
    return -params["smart_log_hr_per_ml_min_egfr"] / (2.0 * params["smart_log_hr_per_ml_min_egfr_squared"])


def smart_linear_predictor(state: PatientState | RowsView, params: TwinParameters) -> np.ndarray:
    """SMART log relative hazard (N,) of the modifiable and fixed risk factors, age excluded."""
    egfr = np.minimum(state.egfr_ml_min_1_73m2, _egfr_vertex(params))
    return (
        params["smart_log_hr_male"] * ~state.female
        + params["smart_log_hr_current_smoker"] * (state.smoking >= 2)
        + params["smart_log_hr_per_mmhg_sbp"] * state.sbp_untreated_mmhg
        + params["smart_log_hr_diabetes"] * (state.type2_diabetes | state.type1_diabetes)
        + params["smart_log_hr_coronary_disease"] * state.chd
        + params["smart_log_hr_cerebrovascular_disease"] * state.stroke_tia
        + params["smart_log_hr_per_mmol_l_total_cholesterol"] * state.total_chol_untreated_mmol_l
        + params["smart_log_hr_per_mmol_l_hdl"] * state.hdl_mmol_l
        + params["smart_log_hr_per_ml_min_egfr"] * egfr
        + params["smart_log_hr_per_ml_min_egfr_squared"] * egfr**2
    )


def age_rate_per_year(age_years: np.ndarray, params: TwinParameters) -> np.ndarray:
    """Recurrent major CVD rate (N,) per year at an average risk-factor profile, by age."""
    return params["recurrent_cvd_rate_per_year"] * np.exp(
        params["recurrent_cvd_log_slope_per_year_age"] * (age_years - 65.0)
    )


def rate_per_year(state: PatientState, params: TwinParameters, established: np.ndarray) -> np.ndarray:
    """Annual recurrent major CVD hazard (N,) of the ``established`` (N,) bool rows; 0 elsewhere."""
    rows = np.flatnonzero(established)
    rate = np.zeros(state.n)
    if rows.size:
        sub = state.view(rows)
        log_rr = smart_linear_predictor(sub, params) - params["recurrent_cvd_smart_log_normaliser"]
        rate[rows] = age_rate_per_year(sub.age_years, params) * np.exp(log_rr)
    return rate
