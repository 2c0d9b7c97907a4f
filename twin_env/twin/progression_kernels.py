"""Compiled progression of the twin's levels over a step (numba): one loop over the batch per process.

:func:`progress_glycaemia` advances HbA1c, eGFR and urine ACR as :func:`twin_env.twin.glycaemia.progress`
documents (that function is its one caller and holds the parameter names). Each patient's arithmetic is
the NumPy code's it replaced, operation for operation (the same float64 / float32 roundings, the same
order of additions and products), so results are identical to the bit.

This module imports numba: import it lazily (see :mod:`twin_env.twin.hazard_kernel`).
"""

from __future__ import annotations

import collections

import numba
import numpy as np

#: The scalars of :func:`progress_glycaemia` (per year unless named otherwise).
GlycaemiaConstants = collections.namedtuple(
    "GlycaemiaConstants",
    (
        "dt",  # step, years
        "hba1c_diabetic_drift",  # mmol/mol per year
        "hba1c_nondiabetic_slope",  # mmol/mol per year
        "hba1c_floor",  # mmol/mol: UKPDS 35 gradients clip HbA1c to [floor, cap]
        "hba1c_cap",
        "hba1c_reference",  # mmol/mol: the eGFR gradient's reference
        "hba1c_ukpds33_median",  # mmol/mol: the ACR gradient's reference
        "log_rr_micro_per_point",  # -log(1 - microvascular reduction per 11 mmol/mol)
        "egfr_sbp",  # ml/min/1.73m2 per year per 10 mmHg above 140
        "egfr_after_40",
        "egfr_diabetes",
        "egfr_acr_above_30",
        "egfr_raas_albuminuria",  # multipliers
        "egfr_sglt2",
        "acr_sbp",  # log growth per year per 10 mmHg above 140
        "acr_ckd",
        "acr_diabetes",
        "acr_raas",  # multipliers
        "acr_sglt2",
        "acr_max",  # mg/mmol
    ),
)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _hba1c_rr(hba1c, log_rr_per_point, reference, c):  # noqa: ANN001, ANN202 (numba-typed)
    """UKPDS 35 relative risk at HbA1c (glycaemia.hba1c_relative_risk, one patient)."""
    clipped = np.minimum(np.maximum(hba1c, c.hba1c_floor), c.hba1c_cap)
    return np.exp(log_rr_per_point * ((clipped - reference) / 11.0))


@numba.njit(cache=True, error_model="numpy")
def progress_glycaemia(  # noqa: PLR0913
    c,  # noqa: ANN001 (a GlycaemiaConstants)
    alive: np.ndarray,
    type2_diabetes: np.ndarray,
    type1_diabetes: np.ndarray,
    age_years: np.ndarray,
    sbp_mmhg: np.ndarray,
    dose_acei: np.ndarray,
    dose_arb: np.ndarray,
    sglt2_dose: np.ndarray,
    hba1c_mmol_mol: np.ndarray,
    hba1c_untreated_mmol_mol: np.ndarray,
    egfr_ml_min_1_73m2: np.ndarray,
    acr_mg_mmol: np.ndarray,
) -> None:
    """Advance untreated HbA1c, eGFR and ACR (N,) in place over a step of ``c.dt`` years.

    ``alive``, ``type2_diabetes``, ``type1_diabetes`` (N,) bool; ``dose_acei``, ``dose_arb``, ``sglt2_dose`` (N,)
    the state's drug fields (a RAAS blocker or SGLT2 inhibitor is taken where its field is > 0);
    ``hba1c_mmol_mol`` (N,) the current (treated) level the gradients read; ``acr_mg_mmol`` (N,) float32. The dead
    keep their levels.
    """
    dt = c.dt
    for i in range(alive.size):
        living = 1.0 if alive[i] else 0.0
        is_diabetic = type2_diabetes[i] or type1_diabetes[i]
        on_raas = dose_acei[i] > 0 or dose_arb[i] > 0
        on_sglt2 = sglt2_dose[i] > 0
        drift = c.hba1c_diabetic_drift if is_diabetic else c.hba1c_nondiabetic_slope
        hba1c = hba1c_untreated_mmol_mol[i] + drift * dt * living
        hba1c_untreated_mmol_mol[i] = hba1c if is_diabetic else np.minimum(hba1c, 47.0)

        sbp_above_140 = np.maximum(sbp_mmhg[i] - 140.0, 0.0) / 10.0  # per 10 mmHg
        acr = acr_mg_mmol[i]
        decline = c.egfr_sbp * sbp_above_140
        decline += c.egfr_after_40 * (1.0 if age_years[i] > 40.0 else 0.0)
        if is_diabetic:
            decline += c.egfr_diabetes * _hba1c_rr(hba1c_mmol_mol[i], c.log_rr_micro_per_point, c.hba1c_reference, c)
        if acr > np.float32(30.0):
            decline += c.egfr_acr_above_30
        if on_raas and acr >= np.float32(3.0):
            decline *= c.egfr_raas_albuminuria
        if on_sglt2:
            decline *= c.egfr_sglt2
        decline *= living
        decline *= dt
        egfr = np.maximum(egfr_ml_min_1_73m2[i] - decline, 3.0)
        egfr_ml_min_1_73m2[i] = egfr

        growth = c.acr_sbp * sbp_above_140
        growth += c.acr_ckd * (1.0 if egfr < 60.0 else 0.0)
        if is_diabetic:
            growth += c.acr_diabetes * _hba1c_rr(hba1c_mmol_mol[i], c.log_rr_micro_per_point, c.hba1c_ukpds33_median, c)
        if on_raas:
            growth *= c.acr_raas
        if on_sglt2:
            growth *= c.acr_sglt2
        growth *= living
        growth *= dt
        growth += 1.0  # log ACR grows by about growth x dt a step (compounded each step)
        acr_mg_mmol[i] = np.minimum(np.float32(np.float64(acr) * growth), np.float32(c.acr_max))


@numba.njit(cache=True, error_model="numpy")
def age_dependent_levels(  # noqa: PLR0913
    c,  # noqa: ANN001 (a LevelConstants)
    t,  # noqa: ANN001 (a LevelTables)
    female: np.ndarray,
    age_years: np.ndarray,
    bmi_offset_kg_m2: np.ndarray,
    bmi_programme_shift_kg_m2: np.ndarray,
    sbp_offset_mmhg: np.ndarray,
    sbp_shift_mmhg: np.ndarray,
    dbp_offset_mmhg: np.ndarray,
    ratio_offset_factor: np.ndarray,
    hdl_mmol_l: np.ndarray,
    ldl_shift_mmol_l: np.ndarray,
    out: tuple,
) -> None:
    """Untreated BMI, SBP, DBP, total and LDL cholesterol (N,) from the age/sex means and the offsets.

    As :func:`twin_env.twin.population.update_age_dependent_levels` documents (its one caller);
    ``ratio_offset_factor`` (N,) float32 is exp(``ratio_offset_log``) computed there; ``out`` the five
    float64 (N,) columns written: BMI, SBP, DBP, total cholesterol, LDL cholesterol (untreated).
    """
    bmi_out, sbp_out, dbp_out, total_out, ldl_out = out
    bmi_mean, sbp_mean, sbp_profile_shift, sbp_profile_sd, ratio_mean = t
    for i in range(age_years.size):
        grid = np.intp(np.minimum(np.maximum(age_years[i], 0.0), c.grid_max_age) * c.inv_grid_step + 0.5)
        grid += c.female_grid_offset if female[i] else 0
        bmi_out[i] = np.maximum(bmi_mean[grid] + bmi_offset_kg_m2[i] + bmi_programme_shift_kg_m2[i], 13.0)
        spread = sbp_profile_sd[grid] * c.inv_sbp_between_person_sd
        sbp = sbp_mean[grid] + sbp_profile_shift[grid] + spread * sbp_offset_mmhg[i]
        sbp = np.maximum(sbp + sbp_shift_mmhg[i], 75.0)
        sbp_out[i] = sbp
        dbp_out[i] = c.dbp_intercept + c.dbp_slope_per_sbp * sbp + dbp_offset_mmhg[i]
        total = ratio_mean[grid] * ratio_offset_factor[i] * hdl_mmol_l[i] + ldl_shift_mmol_l[i]
        total_out[i] = total
        ldl_out[i] = np.maximum(total - hdl_mmol_l[i] - c.vldl_cholesterol, 0.5)


#: The scalars of :func:`age_dependent_levels`.
LevelConstants = collections.namedtuple(
    "LevelConstants",
    (
        "grid_max_age",  # years: the age grid's last point
        "inv_grid_step",  # grid points per year
        "female_grid_offset",  # int: where the female half of a sex-age grid starts
        "inv_sbp_between_person_sd",  # 1 / mmHg
        "dbp_intercept",  # mmHg
        "dbp_slope_per_sbp",
        "vldl_cholesterol",  # mmol/L
    ),
)
