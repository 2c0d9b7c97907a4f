"""The latent NT-proBNP of each patient (ng/L): what a natriuretic peptide test would measure today.

A log-linear model of published determinants (figures and sources:
``twin_env/data/heart_failure_signs_parameters.csv``)::

    level = median_ref * age_ratio ** (age - 60) * female_ratio ** female
            * (min(eGFR, 90) / 90) ** -egfr_exponent * af_ratio ** AF
            * bmi_ratio ** (max(BMI - 25, 0) / 5) * hf_ratio ** HF * exp(log_sd * z)

``z`` is the patient's own standard normal (counter 0), so the spread is fixed for life and the level
moves only with age, kidney function, weight and disease. The twin computes the level only: care
measures it (with analytic error) when a test is ordered.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.parameters import read_scalars
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import PatientState

#: The file's figures by name.
PARAMETERS: Mapping[str, float] = read_scalars("heart_failure_signs_parameters.csv")


def level_ng_l(state: PatientState, rows: np.ndarray, params: Mapping[str, float] = PARAMETERS) -> np.ndarray:
    """(k,) latent NT-proBNP in ng/L of ``rows`` (k,) today (true heart failure, age, sex, eGFR, AF, BMI)."""
    rows = np.asarray(rows, dtype=np.intp)
    p = params
    age = state.age_years[rows] - p["ntprobnp_reference_age_years"]
    egfr = np.minimum(state.egfr_ml_min_1_73m2[rows], p["ntprobnp_reference_egfr_ml_min"])
    egfr = np.maximum(egfr, 1.0) / p["ntprobnp_reference_egfr_ml_min"]
    above_bmi = np.maximum(state.bmi_kg_m2[rows] - p["ntprobnp_reference_bmi_kg_m2"], 0.0) / 5.0
    z = rs.standard_normal(state.patient_key[rows], 0, Channel.NATRIURETIC_PEPTIDE)
    log_level = (
        np.log(p["ntprobnp_reference_median_ng_l"])
        + age * np.log(p["ntprobnp_ratio_per_year_of_age"])
        + state.female[rows] * np.log(p["ntprobnp_female_ratio"])
        - p["ntprobnp_egfr_exponent"] * np.log(egfr)
        + state.atrial_fibrillation[rows] * np.log(p["ntprobnp_af_ratio"])
        + above_bmi * np.log(p["ntprobnp_ratio_per_5_bmi_above_reference"])
        + state.heart_failure[rows] * np.log(p["ntprobnp_heart_failure_ratio"])
        + p["ntprobnp_log_sd"] * z
    )
    return np.exp(log_level)
