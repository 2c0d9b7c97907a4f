"""The compiled level progression equals, to the bit, the NumPy code it replaced (kept here as the reference)."""

from __future__ import annotations

import numpy as np

from twin_env.twin import TwinParameters, TwinSimulator, glycaemia, sample_population
from twin_env.twin.glycaemia import hba1c_relative_risk
from twin_env.twin.state import PatientState

PARAMS = TwinParameters.default()


def _glycaemia_reference(state: PatientState, p: TwinParameters, dt: float) -> None:
    """HbA1c, eGFR and ACR progression as the NumPy code before the kernel (weight gain apart)."""
    alive = state.alive
    diabetic = state.type2_diabetes | state.type1_diabetes
    drift = np.where(diabetic, p["hba1c_diabetic_drift_mmol_mol_per_year"], p["hba1c_nondiabetic_slope_per_year"])
    hba1c = state.hba1c_untreated_mmol_mol + drift * dt * alive
    state.hba1c_untreated_mmol_mol = np.where(diabetic, hba1c, np.minimum(hba1c, 47.0))
    floor, cap = p["hba1c_lowest_risk_mmol_mol"], p["hba1c_gradient_cap_mmol_mol"]
    micro = p["ukpds35_microvascular_reduction_per_11_mmol_mol"]
    raas = np.flatnonzero((state.dose_acei > 0) | (state.dose_arb > 0))
    sglt2 = np.flatnonzero(state.sglt2 > 0)
    acr, egfr = state.acr_mg_mmol, state.egfr_ml_min_1_73m2
    sbp_above_140 = np.maximum(state.sbp_mmhg - 140.0, 0.0)
    sbp_above_140 /= 10.0
    diabetic_rows = np.flatnonzero(diabetic)
    hba1c_diabetic = state.hba1c_mmol_mol[diabetic_rows]
    decline = p["egfr_sbp_extra_decline_per_10mmhg_above_140"] * sbp_above_140
    decline += p["egfr_decline_per_year_after_40"] * (state.age_years > 40.0)
    decline[diabetic_rows] += p["egfr_diabetes_extra_decline_per_year"] * hba1c_relative_risk(
        hba1c_diabetic, micro, p["hba1c_gradient_reference_mmol_mol"], floor, cap
    )
    decline[np.flatnonzero(acr > 30.0)] += p["egfr_extra_decline_per_year_acr_above_30"]
    decline[raas[acr[raas] >= 3.0]] *= p["egfr_raas_decline_multiplier_albuminuria"]
    decline[sglt2] *= p["egfr_sglt2_decline_multiplier"]
    decline *= alive
    decline *= dt
    egfr -= decline
    np.maximum(egfr, 3.0, out=egfr)
    growth = p["acr_log_growth_per_year_per_10mmhg_above_140"] * sbp_above_140
    growth += p["acr_log_growth_per_year_ckd"] * (egfr < 60.0)
    growth[diabetic_rows] += p["acr_log_growth_per_year_diabetes"] * hba1c_relative_risk(
        hba1c_diabetic, micro, p["ukpds33_conventional_median_hba1c_mmol_mol"], floor, cap
    )
    growth[raas] *= p["acr_raas_growth_multiplier"]
    growth[sglt2] *= p["acr_sglt2_growth_multiplier"]
    growth *= alive
    growth *= dt
    growth += 1.0
    acr *= growth
    np.minimum(acr, p["acr_max_mg_mmol"], out=acr)


def _varied_population() -> PatientState:
    """Patients with diabetes, CKD, albuminuria, RAAS blockers and SGLT2 inhibitors, some dead."""
    state, _ = sample_population(4000, 11, min_age=30, max_age=90)
    simulator = TwinSimulator(PARAMS)
    for _ in range(2):
        simulator.step(state)
    rng = np.random.default_rng(0)
    state.acr_mg_mmol[:] = np.exp(rng.normal(1.0, 1.5, state.n)).astype(np.float32)
    state.dose_acei[rng.random(state.n) < 0.2] = 1.0
    state.dose_arb[rng.random(state.n) < 0.1] = 1.0
    state.sglt2[rng.random(state.n) < 0.1] = 1.0
    state.type2_diabetes[rng.random(state.n) < 0.3] = True
    state.alive[rng.random(state.n) < 0.1] = False
    return state


def test_glycaemia_progression_kernel_equals_the_numpy_reference() -> None:
    state = _varied_population()
    for dt in (1.0 / 12.0, 0.25):
        compiled, reference = state.copy(), state.copy()
        glycaemia.progress(compiled, PARAMS, dt)
        _glycaemia_reference(reference, PARAMS, dt)
        glycaemia._progress_weight_gain(reference, PARAMS, dt)
        assert compiled.equals(reference)
        assert not compiled.equals(state)  # the levels moved


def _levels_reference(state: PatientState, params: TwinParameters) -> None:
    """Age-dependent levels as the NumPy code before the kernel."""
    from twin_env.twin.population_gradients import sbp_profile

    grid = params.sbp_mean.index(state.female, state.age_years)
    state.bmi_kg_m2 = np.maximum(
        params.bmi_mean.at(grid) + state.bmi_offset_kg_m2 + state.bmi_programme_shift_kg_m2, 13.0
    )
    profile = sbp_profile()
    spread = profile.sd_mmhg.at(grid) * (1.0 / params["sbp_between_person_sd_mmhg"])
    sbp = params.sbp_mean.at(grid) + profile.shift_mmhg.at(grid) + spread * state.sbp_offset_mmhg
    sbp = np.maximum(sbp + state.sbp_shift_mmhg, 75.0)
    state.sbp_untreated_mmhg = sbp
    state.dbp_untreated_mmhg = (
        params["dbp_intercept_mmhg"] + params["dbp_slope_per_sbp_mmhg"] * sbp + state.dbp_offset_mmhg
    )
    ratio = params.ratio_mean.at(grid) * np.exp(state.ratio_offset_log)
    total = ratio * state.hdl_mmol_l + state.ldl_shift_mmol_l
    state.total_chol_untreated_mmol_l = total
    state.ldl_untreated_mmol_l = np.maximum(total - state.hdl_mmol_l - params["vldl_cholesterol_mmol_l"], 0.5)


def test_age_dependent_levels_kernel_equals_the_numpy_reference() -> None:
    from twin_env.twin.population import update_age_dependent_levels

    state = _varied_population()
    rng = np.random.default_rng(1)
    state.age_years[:] = rng.uniform(-1.0, 140.0, state.n)  # the grid's clamps at both ends
    state.sbp_shift_mmhg[rng.random(state.n) < 0.2] = -60.0  # the SBP floor
    state.ldl_shift_mmol_l[rng.random(state.n) < 0.2] = -4.0  # the LDL floor
    state.bmi_programme_shift_kg_m2[rng.random(state.n) < 0.2] = -3.0
    compiled, reference = state.copy(), state.copy()
    update_age_dependent_levels(compiled, PARAMS)
    _levels_reference(reference, PARAMS)
    assert compiled.equals(reference)
    assert not compiled.equals(state)
