"""Treatment effects: current BP, lipids, HbA1c and potassium from untreated levels and drugs.

- BP (Law et al. 2003): each class lowers SBP/DBP by a fixed amount at standard dose (smaller at
  half dose, log-linear in dose), more when pretreatment BP is higher; classes add.
- LDL-C: the statin's fractional reduction (NICE NG238 intensity table).
- HbA1c: metformin (Hirst 2012), SGLT2 inhibitor, gliclazide (sulfonylurea, Hirst 2013).
All effects are scaled by the patient's effective adherence (:mod:`twin_env.twin.treatment_burden`):
the propensity ``state.adherence`` times a factor falling with the number of drugs taken, and for
a drug taken more than once a day (metformin above 500 mg, gliclazide above 160 mg) a factor falling
with its daily doses. The BP classes are all once daily (``drug_regimens.csv``), so their falls take
no frequency factor.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import BP_DRUG_CLASSES, PatientState
from twin_env.twin.treatment_burden import frequency_factor, pill_count_factor


def bp_falls_mmhg(
    state: PatientState, params: TwinParameters, adherence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Systolic and diastolic falls (N,) in mmHg achieved by the drugs taken.

    ``adherence`` (N,): fraction of the trial effect achieved (default: the effective adherence of
    a once-daily drug in the patient's regimen, ``state.adherence`` x the pill-count factor).
    """
    std_s, half_s = params["law_bp_fall_standard_dose_sbp_mmhg"], params["law_bp_fall_half_dose_sbp_mmhg"]
    std_d, half_d = params["law_bp_fall_standard_dose_dbp_mmhg"], params["law_bp_fall_half_dose_dbp_mmhg"]
    extra_s = (
        params["law_extra_fall_sbp_per_10mmhg_pretreatment"]
        * (state.sbp_untreated_mmhg - params["law_reference_pretreatment_sbp_mmhg"])
        / 10.0
    )
    extra_d = (
        params["law_extra_fall_dbp_per_10mmhg_pretreatment"]
        * (state.dbp_untreated_mmhg - params["law_reference_pretreatment_dbp_mmhg"])
        / 10.0
    )
    fall_s = np.zeros(state.n)
    fall_d = np.zeros(state.n)
    total_dose = sum(state.columns[f"dose_{name}"] for name in BP_DRUG_CLASSES)
    rows = np.flatnonzero(total_dose > 0)  # compute on the treated only
    if rows.size:
        extra_s, extra_d = extra_s[rows], extra_d[rows]
        for name in BP_DRUG_CLASSES:
            dose = state.columns[f"dose_{name}"][rows]
            taking = dose > 0
            log2_dose = np.log2(np.maximum(dose, 0.25))
            fall_s[rows] += taking * np.maximum(std_s + (std_s - half_s) * log2_dose + extra_s, 0.0)
            fall_d[rows] += taking * np.maximum(std_d + (std_d - half_d) * log2_dose + extra_d, 0.0)
    fall_s += state.sglt2 * params["sglt2_sbp_fall_mmhg"]
    if adherence is None:
        adherence = state.adherence * pill_count_factor(state, params)
    return fall_s * adherence, fall_d * adherence


def apply_treatment_effects(state: PatientState, params: TwinParameters) -> None:
    """Recompute every "current" level of ``state`` in place from untreated levels and drugs."""
    adherence = state.adherence * pill_count_factor(state, params)  # of a once-daily drug in the regimen
    fall_s, fall_d = bp_falls_mmhg(state, params, adherence)
    state.sbp_mmhg = state.sbp_untreated_mmhg - fall_s
    state.dbp_mmhg = state.dbp_untreated_mmhg - fall_d

    ldl_fall = state.ldl_untreated_mmol_l * state.statin_ldl_reduction * adherence
    state.ldl_mmol_l = state.ldl_untreated_mmol_l - ldl_fall
    state.total_chol_mmol_l = state.total_chol_untreated_mmol_l - ldl_fall

    metformin_fraction = np.sqrt(np.minimum(state.metformin_mg_day / params["metformin_full_effect_dose_mg_day"], 1.0))
    metformin_taken = metformin_fraction * frequency_factor(state, params, "metformin_mg_day")
    gliclazide_dose = state.gliclazide_mg_day / params["gliclazide_full_effect_dose_mg_day"]
    gliclazide_taken = np.sqrt(np.minimum(gliclazide_dose, 1.0)) * frequency_factor(state, params, "gliclazide_mg_day")
    hba1c_fall = (
        params["metformin_hba1c_fall_mmol_mol"] * metformin_taken
        + params["sglt2_hba1c_fall_mmol_mol"] * state.sglt2
        + params["hirst2013_sulfonylurea_hba1c_fall_mmol_mol"] * gliclazide_taken
    ) * adherence
    # the what-if shift (twin.level_shifts) moves the level the drugs act on; 0 in the usual twin
    state.hba1c_mmol_mol = np.maximum(state.hba1c_untreated_mmol_mol + state.hba1c_shift_mmol_mol - hba1c_fall, 30.0)

    raas = (state.dose_acei > 0) | (state.dose_arb > 0)
    renal = params["potassium_per_10_egfr_below_60"] * np.maximum(60.0 - state.egfr_ml_min_1_73m2, 0.0) / 10.0
    state.potassium_mmol_l = (
        state.potassium_base_mmol_l
        + renal
        + params["potassium_raas_rise_mmol_l"] * raas
        + params["potassium_spironolactone_rise_mmol_l"] * (state.dose_spironolactone > 0)
    )
