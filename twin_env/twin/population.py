"""Sampling a synthetic population: demographics and risk factors.

Every patient is a pure function of (seed, patient index): patient ``i`` is the same whether the
cohort holds 1 or 100,000 people (see :mod:`twin_env.twin.random_streams`). Chronic conditions,
baseline diagnoses and treatments are added by :mod:`twin_env.twin.baseline_conditions`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population_gradients import sbp_profile
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import RISK_FLAGS, PatientState

BLACK_ETHNICITIES = (6, 7)  # QRISK3 codes: Black Caribbean, Black African
SOUTH_ASIAN_ETHNICITIES = (2, 3, 4)  # Indian, Pakistani, Bangladeshi


def sample_ages(u: np.ndarray, params: TwinParameters, min_age: float, max_age: float) -> np.ndarray:
    """Ages in years by inverse CDF of the ONS mid-2020 age-band distribution, truncated to [min, max].

    Ages are uniform within a 5-year band; the 90+ band spans 90-101.
    """
    edges = np.array([params.age_band_population[0][0]] + [hi for _, hi, _ in params.age_band_population])
    cumulative = np.concatenate([[0.0], np.cumsum([share for _, _, share in params.age_band_population])])
    lo, hi = np.interp([min_age, max_age], edges, cumulative)
    if hi <= lo:
        return np.full(len(u), float(min_age))
    ages = np.interp(lo + u * (hi - lo), cumulative, edges)
    return np.clip(ages, min_age, max_age)


def male_probability(age_years: np.ndarray, params: TwinParameters) -> np.ndarray:
    """P(male | age): the sex ratio at birth carried forward by ONS survivorship by sex."""
    life = params.life_table
    survivors_m = np.concatenate([[1.0], np.cumprod(1.0 - life.qx_male)])
    survivors_f = np.concatenate([[1.0], np.cumprod(1.0 - life.qx_female)])
    ages = np.arange(len(survivors_m), dtype=np.float64)
    male_at_birth = params["male_fraction_at_birth"]
    lm = male_at_birth * np.interp(age_years, ages, survivors_m)
    lf = (1.0 - male_at_birth) * np.interp(age_years, ages, survivors_f)
    return lm / (lm + lf)


def _smoking(keys: np.ndarray, state: PatientState, params: TwinParameters) -> np.ndarray:
    """Smoking category 0-4 from age-specific prevalence, more common with deprivation."""
    age = state.age_years
    odds_ratio = params["smoking_odds_ratio_per_quintile_more_deprived"] ** (3.0 - state.imd_quintile)
    p_current = params.current_smoker_fraction(age)
    odds = p_current / (1.0 - p_current) * odds_ratio
    p_current = odds / (1.0 + odds)
    p_ex = params.ex_smoker_fraction(age)
    u = rs.uniform(keys, 0, Channel.SMOKING)
    amount = rs.categorical(
        rs.uniform(keys, 0, Channel.SMOKING_AMOUNT),
        np.array([params[f"smoking_current_fraction_{k}"] for k in ("light", "moderate", "heavy")]),
    )
    smoking = np.where(u < p_current, 2 + amount, np.where(u < p_current + p_ex, 1, 0))
    return np.where(age < 16, 0, smoking)


def _smoking_quit_ages(keys: np.ndarray, state: PatientState) -> np.ndarray:
    """Age at quitting (N,) of ex-smokers, uniform between 1 and ``age - 16`` years ago (at least 1); NaN otherwise.

    Nobody starts the simulation within a year of quitting: the recently quit (first-year relapse,
    :mod:`twin_env.twin.risk_factors`) fill within the first simulated year.
    """
    years_ago_max = np.maximum(state.age_years - 16.0, 1.0)
    u = rs.uniform(keys, 0, Channel.RISK_FACTORS + 5)
    return np.where(state.smoking == 1, state.age_years - (1.0 + u * (years_ago_max - 1.0)), np.nan)


def _risk_flags(keys: np.ndarray, state: PatientState, params: TwinParameters) -> dict[str, np.ndarray]:
    """Other QRISK3 / QDiabetes flags, fixed for life in this model."""
    female, age = state.female, state.age_years
    adult = age >= params["adult_age_years"]
    qof = params.qof_prevalence_percent
    smi = qof["severe_mental_illness"] / 100.0
    probability = {
        "family_history_cvd": np.full(state.n, params["family_history_cvd_prevalence"]),
        "family_history_diabetes": np.full(state.n, params["family_history_diabetes_prevalence"]),
        "rheumatoid_arthritis": np.where(age >= 16, qof["rheumatoid_arthritis"] / 100.0, 0.0),
        "migraine": adult * np.where(female, params["migraine_prevalence_female"], params["migraine_prevalence_male"]),
        "sle": adult * np.where(female, params["sle_prevalence_female"], params["sle_prevalence_male"]),
        "severe_mental_illness": adult * smi,
        "erectile_dysfunction": (~female & (age >= 40)) * params["erectile_dysfunction_prevalence_male_40_plus"],
        "atypical_antipsychotics": adult * params["atypical_antipsychotic_prevalence"],
        "corticosteroids": adult * params["corticosteroid_prevalence"] * np.clip(age / 60.0, 0.0, 2.0),
        "learning_disability": np.full(state.n, params["learning_disability_prevalence"]),
        "gestational_diabetes": (female & (age >= 20)) * params["gestational_diabetes_history_female"],
        "pcos": (female & adult) * params["pcos_prevalence_female"],
    }
    return {name: rs.uniform(keys, 0, Channel.FLAGS + i) < probability[name] for i, name in enumerate(RISK_FLAGS)}


#: Demographics a caller may fix (:func:`sample_demographics_and_risk_factors` ``given``).
GIVEN_DEMOGRAPHICS: tuple[str, ...] = ("female", "ethnicity", "imd_quintile")


def sample_demographics_and_risk_factors(
    seed: int,
    n: int,
    params: TwinParameters,
    min_age: float,
    max_age: float,
    first_index: int = 0,
    given: Mapping[str, bool | int] | None = None,
) -> PatientState:
    """N patients with demographics, lifestyle and untreated physiology; no conditions yet.

    ``given`` fixes some of :data:`GIVEN_DEMOGRAPHICS` for every patient (a known patient's sex,
    ethnicity, IMD quintile); everything that depends on them follows. None samples them all.
    """
    given = dict(given or {})
    unknown = sorted(set(given) - set(GIVEN_DEMOGRAPHICS))
    if unknown:
        raise ValueError(f"given demographics {unknown}; allowed: {list(GIVEN_DEMOGRAPHICS)}")
    state = PatientState.empty(n)
    keys = rs.patient_keys(seed, first_index, n)
    state.patient_key = keys
    state.alive = True

    state.age_years = sample_ages(rs.uniform(keys, 0, Channel.AGE), params, min_age, max_age)
    age = state.age_years
    state.female = rs.uniform(keys, 0, Channel.SEX) >= male_probability(age, params)
    state.ethnicity = 1 + rs.categorical(rs.uniform(keys, 0, Channel.ETHNICITY), params.ethnicity_share)
    state.imd_quintile = 1 + rs.categorical(rs.uniform(keys, 0, Channel.IMD), params.imd_quintile_share)
    for name, value in given.items():
        state.columns[name][:] = value
    female = state.female
    townsend_means = np.array([params[f"townsend_mean_imd_quintile_{q}"] for q in range(1, 6)])
    state.townsend = townsend_means[state.imd_quintile - 1] + params[
        "townsend_sd_within_quintile"
    ] * rs.standard_normal(keys, 0, Channel.TOWNSEND)
    state.smoking = _smoking(keys, state, params)
    state.smoking_quit_age_years = _smoking_quit_ages(keys, state)

    south_asian = np.isin(state.ethnicity, SOUTH_ASIAN_ETHNICITIES)
    state.bmi_offset_kg_m2 = (
        params["bmi_between_person_sd_kg_m2"] * rs.standard_normal(keys, 0, Channel.BMI)
        + params["bmi_south_asian_offset_kg_m2"] * south_asian
    )

    more_deprived_steps = 3.0 - state.imd_quintile  # +2 in the most deprived quintile, -2 in the least
    state.bmi_offset_kg_m2 = (
        state.bmi_offset_kg_m2 + params["bmi_offset_per_quintile_more_deprived_kg_m2"] * more_deprived_steps
    )

    black = np.isin(state.ethnicity, BLACK_ETHNICITIES)
    state.sbp_offset_mmhg = (
        params["sbp_between_person_sd_mmhg"] * rs.standard_normal(keys, 0, Channel.SBP)
        + params["sbp_bmi_slope_mmhg_per_kg_m2"] * state.bmi_offset_kg_m2
        + params["sbp_black_offset_mmhg"] * black
        + params["sbp_smoker_offset_mmhg"] * (state.smoking >= 2)
        + params["sbp_offset_per_quintile_more_deprived_mmhg"] * more_deprived_steps
    )
    state.dbp_offset_mmhg = params["dbp_residual_sd_mmhg"] * rs.standard_normal(keys, 0, Channel.DBP)
    cv = params["sbp_visit_sd_cv"]
    log_sd = np.sqrt(np.log1p(cv**2))
    state.sbp_visit_sd_mmhg = params["sbp_visit_sd_mean_mmhg"] * np.exp(
        log_sd * rs.standard_normal(keys, 0, Channel.SBP_VISIT_SD) - log_sd**2 / 2
    )
    state.white_coat_sbp_mmhg = params["white_coat_sbp_mean_mmhg"] + params[
        "white_coat_sbp_sd_mmhg"
    ] * rs.standard_normal(keys, 0, Channel.WHITE_COAT_SBP)
    state.white_coat_dbp_mmhg = params["white_coat_dbp_mean_mmhg"] + params[
        "white_coat_dbp_sd_mmhg"
    ] * rs.standard_normal(keys, 0, Channel.WHITE_COAT_DBP)

    ratio_sd = params["chol_hdl_ratio_log_sd"]
    state.ratio_offset_log = ratio_sd * rs.standard_normal(keys, 0, Channel.RATIO) - ratio_sd**2 / 2
    hdl_mean = np.where(female, params["hdl_mean_female_mmol_l"], params["hdl_mean_male_mmol_l"])
    state.hdl_mmol_l = np.clip(hdl_mean + params["hdl_sd_mmol_l"] * rs.standard_normal(keys, 0, Channel.HDL), 0.6, 3.0)

    state.potassium_base_mmol_l = params["potassium_mean_mmol_l"] + params["potassium_sd_mmol_l"] * rs.standard_normal(
        keys, 0, Channel.POTASSIUM
    )
    for name, flag in _risk_flags(keys, state, params).items():
        state.columns[name][:] = flag
    update_age_dependent_levels(state, params)
    return state


def update_age_dependent_levels(state: PatientState, params: TwinParameters) -> None:
    """Set untreated SBP, DBP, BMI and cholesterol from the age/sex means plus individual offsets.

    BMI adds a weight programme's shift still held (:mod:`twin_env.twin.lifestyle`).
    SBP = ClinRisk mean + profile shift + (profile SD / ``sbp_between_person_sd_mmhg``) x offset: the
    whole individual deviation widens with age as the between-person SD does
    (:mod:`twin_env.twin.population_gradients`).

    The what-if shifts (``sbp_shift_mmhg``, ``ldl_shift_mmol_l``; :mod:`twin_env.twin.level_shifts`) are
    added here, so they persist as the levels follow age; the LDL shift moves total cholesterol with it.
    """
    grid = params.sbp_mean.index(state.female, state.age_years)  # all three tables share the grid
    state.bmi_kg_m2 = np.maximum(
        params.bmi_mean.at(grid) + state.bmi_offset_kg_m2 + state.bmi_programme_shift_kg_m2, 13.0
    )
    profile = sbp_profile()
    spread = _sbp_offset_scale(profile.sd_mmhg.at(grid), params)
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


def _sbp_offset_scale(sd_mmhg: np.ndarray, params: TwinParameters) -> np.ndarray:
    return sd_mmhg * (1.0 / params["sbp_between_person_sd_mmhg"])


def raise_sbp_mmhg(state: PatientState, rows: np.ndarray, mmhg: np.ndarray | float, params: TwinParameters) -> None:
    """Raise the untreated SBP of ``rows`` (k,) by ``mmhg`` (k,) at their age, through their offset.

    The offset is scaled by the between-person spread at each age (:func:`sbp_offset_scale`), so the
    offset moves by ``mmhg`` / scale; the level follows at the next :func:`update_age_dependent_levels`.
    """
    scale = _sbp_offset_scale(sbp_profile().sd_mmhg(state.female[rows], state.age_years[rows]), params)
    state.sbp_offset_mmhg[rows] += (mmhg / scale).astype(np.float32)


def sbp_offset_scale(state: PatientState, params: TwinParameters) -> np.ndarray:
    """mmHg of untreated SBP per mmHg of ``sbp_offset_mmhg`` (N,), about 0.7 at 20 to 1.3 at 82.

    A module that moves a person's SBP by x mmHg through the offset adds x / scale to it (or uses
    ``sbp_shift_mmhg``, which is not rescaled).
    """
    return _sbp_offset_scale(sbp_profile().sd_mmhg(state.female, state.age_years), params)
