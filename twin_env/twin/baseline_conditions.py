"""Chronic conditions, diagnoses and treatments present when the simulation starts.

Conditions are driven by risk factors, not flat rates:

- hypertension: untreated usual BP >= 140/90 (NICE NG136 clinic threshold), diagnosed with the
  ONS 2023 age/sex shape of the undiagnosed share plus one calibrated log-odds shift;
- type 2 diabetes: P = 1 - exp(-s * H10_QDiabetes(x) * years since 25 / 10), diagnosed with the
  ONS age shape of the undiagnosed share (50% at 16-44 to 27% at 75+);
- CKD 3-5: eGFR < 60, eGFR falling with age, diabetes and BP;
- AF, heart failure: P = 1 - exp(-s * cumulative incidence to this age * hazard ratios);
- CHD, stroke/TIA: P = 1 - exp(-s * mean QRISK3 hazard over adult life so far).

Whether a present condition was *diagnosed* before baseline (and so is on the GP record) has its
own probability; the scale factors ``s`` and diagnosed fractions are in
``twin_env/data/baseline_calibration.csv``, derived by :mod:`twin_env.twin.calibration` so that
the recorded prevalence of an all-ages population matches QOF 2019/20.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin_env.twin import glycaemia
from twin_env.twin import random_streams as rs
from twin_env.twin.parameters import AgeTable, TwinParameters
from twin_env.twin.population import BLACK_ETHNICITIES, update_age_dependent_levels
from twin_env.twin.population_gradients import diagnosed_logit
from twin_env.twin.random_streams import Channel
from twin_env.twin.risk_equations import qdiabetes_hazard_10y, qrisk3_hazard_10y
from twin_env.twin.state import CONDITIONS, TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects

#: Conditions whose baseline diagnosis is reported by ``sample_cohort`` (all modelled conditions).
RECORDED_CONDITIONS: tuple[str, ...] = CONDITIONS


@dataclasses.dataclass(frozen=True)
class BaselineDiagnoses:
    """Which true conditions were diagnosed before the simulation began, shape (N,) each.

    This is history, not record: the record layer uses it to seed each patient's GP record.
    """

    diagnosed: dict[str, np.ndarray]

    def take(self, index: np.ndarray | slice) -> BaselineDiagnoses:
        return BaselineDiagnoses({k: np.array(v[index]) for k, v in self.diagnosed.items()})


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _condition_uniform(keys: np.ndarray, name: str) -> np.ndarray:
    return rs.uniform(keys, 0, Channel.CONDITION + CONDITIONS.index(name))


def _diagnosed_uniform(keys: np.ndarray, name: str) -> np.ndarray:
    return rs.uniform(keys, 0, Channel.DIAGNOSED + CONDITIONS.index(name))


def cumulative_table(table: AgeTable, top_age: float = 101.0) -> AgeTable:
    """The integral from age 0 of a piecewise-linear annual rate: a cumulative hazard by age."""
    ages = np.linspace(0.0, top_age, int(top_age * 4) + 1)
    rates = table(ages)
    cumulative = np.concatenate([[0.0], np.cumsum((rates[1:] + rates[:-1]) / 2 * np.diff(ages))])
    return AgeTable(ages, cumulative)


def af_hazard_ratio(state: PatientState, params: TwinParameters) -> np.ndarray:
    """Relative AF hazard (N,) from hypertension and heart failure, normalised to the population."""
    ratio = np.where(state.hypertension, params["af_hazard_hypertension_ratio"], 1.0)
    ratio *= np.where(state.heart_failure, params["af_hazard_heart_failure_ratio"], 1.0)
    return ratio / params["af_hazard_normaliser"]


def hf_hazard_ratio(state: PatientState, params: TwinParameters) -> np.ndarray:
    """Relative heart-failure hazard (N,) from MI, diabetes, AF and hypertension, normalised."""
    ratio = np.where(state.myocardial_infarction, params["hf_hazard_mi_ratio"], 1.0)
    ratio *= np.where(state.type2_diabetes | state.type1_diabetes, params["hf_hazard_diabetes_ratio"], 1.0)
    ratio *= np.where(state.atrial_fibrillation, params["hf_hazard_af_ratio"], 1.0)
    ratio *= np.where(state.hypertension, params["hf_hazard_hypertension_ratio"], 1.0)
    return ratio / params["hf_hazard_normaliser"]


def _mean_qrisk3_hazard_since_30(state: PatientState, params: TwinParameters) -> np.ndarray:
    """Cumulative QRISK3 hazard (N,) from age 30 to now on current risk factors (3-point midpoint rule)."""
    years = np.maximum(state.age_years - 30.0, 0.0)
    total = np.zeros(state.n)
    for fraction in (1 / 6, 1 / 2, 5 / 6):
        total += qrisk3_hazard_10y(state, params, 30.0 + fraction * years)
    return total / 3.0 * years / 10.0


def baseline_hba1c_mmol_mol(
    diabetic: np.ndarray, age_years: np.ndarray, z: np.ndarray, params: TwinParameters
) -> np.ndarray:
    """Untreated HbA1c (N,) mmol/mol at baseline from a standard normal ``z`` (N,): at least 48 with diabetes,
    at most 47 without."""
    nondiabetic_mean = params["hba1c_nondiabetic_mean_at_40_mmol_mol"] + params["hba1c_nondiabetic_slope_per_year"] * (
        age_years - 40.0
    )
    return np.where(
        diabetic,
        np.maximum(params["hba1c_diabetic_untreated_mean_mmol_mol"] + params["hba1c_diabetic_sd_mmol_mol"] * z, 48.0),
        np.minimum(nondiabetic_mean + params["hba1c_nondiabetic_sd_mmol_mol"] * z, 47.0),
    )


def baseline_egfr_ml_min_1_73m2(
    diabetic: np.ndarray, age_years: np.ndarray, z: np.ndarray, params: TwinParameters
) -> np.ndarray:
    """eGFR (N,) mL/min/1.73m2 at baseline from a standard normal ``z`` (N,): falling after 40, faster with
    diabetes, clipped to 5-130."""
    decline_years = np.maximum(age_years - 40.0, 0.0)
    egfr = (
        params["egfr_mean_at_40_ml_min_1_73m2"]
        - params["egfr_decline_per_year_after_40"] * decline_years
        - params["egfr_diabetes_extra_decline_per_year"] * diabetic * np.minimum(decline_years, 10.0)
        + params["egfr_between_person_sd"] * z
    )
    return np.clip(egfr, 5.0, 130.0)


def diagnosed_probability(name: str, state: PatientState, params: TwinParameters) -> np.ndarray | float:
    """Probability (N,) or scalar that a present condition ``name`` was diagnosed before baseline.

    Myocardial infarction is diagnosed with CHD; type 1 diabetes always is.
    """
    cal = params.calibration
    if name == "hypertension":
        shape = diagnosed_logit("hypertension", state.female, state.age_years)
        return _logistic(shape + cal["hypertension_diagnosis_logit_shift"])
    if name == "type2_diabetes":
        return _logistic(diagnosed_logit("diabetes", state.female, state.age_years))
    if name == "ckd_3_5":
        return cal["diagnosed_fraction_ckd_3_5"]
    if name == "type1_diabetes":
        return 1.0
    return params[f"baseline_diagnosed_fraction_{'chd' if name == 'myocardial_infarction' else name}"]


def sample_conditions(state: PatientState, params: TwinParameters) -> BaselineDiagnoses:
    """Set true conditions and untreated HbA1c, eGFR, ACR in place; return baseline diagnoses."""
    keys, age, cal = state.patient_key, state.age_years, params.calibration
    adult = age >= params["adult_age_years"]
    diagnosed: dict[str, np.ndarray] = {}

    def draw(name: str, probability: np.ndarray, p_diagnosed: np.ndarray | float) -> None:
        state.columns[name][:] = adult & (_condition_uniform(keys, name) < probability)
        diagnosed[name] = state.columns[name] & (_diagnosed_uniform(keys, name) < p_diagnosed)

    draw("type1_diabetes", np.full(state.n, params["type1_diabetes_prevalence_17_plus"]), 1.0)
    years_since_25 = np.maximum(age - 25.0, 0.0)
    t2d_p = 1.0 - np.exp(
        -cal["prevalence_scale_type2_diabetes"] * qdiabetes_hazard_10y(state, params, age) * years_since_25 / 10
    )
    draw(
        "type2_diabetes",
        np.where(state.type1_diabetes, 0.0, t2d_p),
        diagnosed_probability("type2_diabetes", state, params),
    )

    diabetic = state.type2_diabetes | state.type1_diabetes
    state.hba1c_untreated_mmol_mol = baseline_hba1c_mmol_mol(
        diabetic, age, rs.standard_normal(keys, 0, Channel.HBA1C), params
    )

    hypertensive_bp = (state.sbp_untreated_mmhg >= 140.0) | (state.dbp_untreated_mmhg >= 90.0)
    state.egfr_ml_min_1_73m2 = baseline_egfr_ml_min_1_73m2(
        diabetic, age, rs.standard_normal(keys, 0, Channel.EGFR), params
    )
    draw("hypertension", hypertensive_bp.astype(float), diagnosed_probability("hypertension", state, params))
    draw("ckd_3_5", (state.egfr_ml_min_1_73m2 < 60.0).astype(float), diagnosed_probability("ckd_3_5", state, params))

    acr_log = params["acr_log_median_mg_mmol"] + params["acr_log_sd"] * rs.standard_normal(keys, 0, Channel.ACR)
    acr_log += np.log(params["acr_diabetes_multiplier"]) * diabetic
    acr_log += np.log(params["acr_hypertension_multiplier"]) * state.hypertension
    state.acr_mg_mmol = np.exp(acr_log)

    af_cumulative = cumulative_table(params.af_incidence_per_year)(age)
    draw(
        "atrial_fibrillation",
        1.0 - np.exp(-cal["prevalence_scale_atrial_fibrillation"] * af_cumulative * af_hazard_ratio(state, params)),
        diagnosed_probability("atrial_fibrillation", state, params),
    )
    cvd_cumulative = _mean_qrisk3_hazard_since_30(state, params)
    chd_p = 1.0 - np.exp(-cal["prevalence_scale_chd"] * cvd_cumulative)
    draw("chd", chd_p, diagnosed_probability("chd", state, params))
    mi = state.chd & (_condition_uniform(keys, "myocardial_infarction") < params["chd_fraction_myocardial_infarction"])
    state.myocardial_infarction = mi
    diagnosed["myocardial_infarction"] = mi & diagnosed["chd"]
    draw(
        "stroke_tia",
        1.0 - np.exp(-cal["prevalence_scale_stroke_tia"] * cvd_cumulative),
        diagnosed_probability("stroke_tia", state, params),
    )
    state.stroke = state.stroke_tia  # prevalent stroke/TIA is valued as a stroke (the split is not known)
    hf_cumulative = cumulative_table(params.hf_incidence_per_year)(age)
    draw(
        "heart_failure",
        1.0 - np.exp(-cal["prevalence_scale_heart_failure"] * hf_cumulative * hf_hazard_ratio(state, params)),
        diagnosed_probability("heart_failure", state, params),
    )
    # a past CVD event happened at some adult age before now; its exact age is not modelled
    state.first_cvd_age_years = np.where(state.has_cvd, age, np.nan)
    return BaselineDiagnoses(diagnosed)


def _treatment_uniform(keys: np.ndarray, field: str, extra: int = 0) -> np.ndarray:
    return rs.uniform(keys, 0, Channel.TREATMENT + TREATMENT_FIELDS.index(field) + 10 * extra)


def start_baseline_treatments(state: PatientState, diagnoses: BaselineDiagnoses, params: TwinParameters) -> None:
    """Treatments already started for diagnosed conditions (NICE step logic), then their effects."""
    keys, age = state.patient_key, state.age_years
    dx = diagnoses.diagnosed
    cvd = dx["chd"] | dx["stroke_tia"]
    t2d = dx["type2_diabetes"]

    treated_htn = dx["hypertension"] & (
        _treatment_uniform(keys, "dose_acei") < params["baseline_treated_fraction_hypertension"]
    )
    steps = 1 + rs.categorical(
        _treatment_uniform(keys, "dose_ccb"),
        np.array([params[f"baseline_step_fraction_{k}"] for k in range(1, 5)]),
    )
    steps = np.where(treated_htn, steps, 0)
    # NG136 step 1: ACEi/ARB if under 55 or type 2 diabetes, else CCB (also for Black ethnicity without T2DM)
    a_first = ((age < 55) | t2d) & ~(np.isin(state.ethnicity, BLACK_ETHNICITIES) & ~t2d)
    uses_arb = _treatment_uniform(keys, "dose_arb") < params["baseline_arb_fraction_of_raas"]
    on_a = (steps >= 2) | ((steps == 1) & a_first)
    on_c = (steps >= 2) | ((steps == 1) & ~a_first)
    # post-MI and heart failure: ACE inhibitor and beta-blocker regardless of BP
    secondary = dx["myocardial_infarction"] | dx["heart_failure"]
    on_a |= secondary
    state.dose_acei = np.where(on_a & ~uses_arb, 1.0, 0.0)
    state.dose_arb = np.where(on_a & uses_arb, 1.0, 0.0)
    state.dose_ccb = np.where(on_c, 1.0, 0.0)
    state.dose_thiazide = np.where(steps >= 3, 1.0, 0.0)
    apply_treatment_effects(state, params)
    low_k = state.potassium_mmol_l <= 4.5
    state.dose_spironolactone = np.where((steps >= 4) & low_k, 1.0, 0.0)
    state.dose_beta_blocker = np.where(((steps >= 4) & ~low_k) | secondary, 1.0, 0.0)

    u_statin = _treatment_uniform(keys, "statin_ldl_reduction")
    high_intensity = cvd & (u_statin < params["baseline_statin_fraction_cvd"])
    moderate = ~cvd & (
        (t2d & (u_statin < params["baseline_statin_fraction_diabetes"]))
        | (~t2d & dx["hypertension"] & (age >= 40) & (u_statin < params["baseline_statin_fraction_hypertension"]))
    )
    state.statin_ldl_reduction = np.where(
        high_intensity,
        params.statin_ldl_reduction[("atorvastatin", 80)],
        np.where(moderate, params.statin_ldl_reduction[("atorvastatin", 20)], 0.0),
    )

    metformin_ok = t2d & (state.egfr_ml_min_1_73m2 >= 30.0)
    on_metformin = metformin_ok & (
        _treatment_uniform(keys, "metformin_mg_day") < params["baseline_metformin_fraction_diabetes"]
    )
    high_dose = _treatment_uniform(keys, "metformin_mg_day", extra=1) < params["baseline_metformin_high_dose_fraction"]
    state.metformin_mg_day = np.where(on_metformin, np.where(high_dose, 2000.0, 1000.0), 0.0)
    state.sglt2 = np.where(
        t2d & (_treatment_uniform(keys, "sglt2") < params["baseline_sglt2_fraction_diabetes"]), 1.0, 0.0
    )

    state.adherence = np.clip(
        params["adherence_mean"] + params["adherence_sd"] * rs.standard_normal(keys, 0, Channel.ADHERENCE), 0.2, 1.0
    )
    apply_treatment_effects(state, params)

    # NG28 second step: a sulfonylurea for some with recorded type 2 diabetes and untreated HbA1c >= 58 (glycaemia)
    on_gliclazide = (
        t2d
        & (state.hba1c_untreated_mmol_mol >= 58.0)
        & (_treatment_uniform(keys, "gliclazide_mg_day") < params["baseline_gliclazide_fraction_diabetes_hba1c_58"])
    )
    state.gliclazide_mg_day = np.where(on_gliclazide, params["baseline_gliclazide_dose_mg_day"], 0.0)
    state.bmi_sulfonylurea_gain_kg_m2 = np.where(on_gliclazide, glycaemia.bmi_gain_kg_m2(params), 0.0)
    state.bmi_offset_kg_m2 = state.bmi_offset_kg_m2 + state.bmi_sulfonylurea_gain_kg_m2  # the gain moves BMI
    update_age_dependent_levels(state, params)
    apply_treatment_effects(state, params)
