"""Risk factors that move (smoking, BMI), the lifestyle API, recurrent CVD from risk factors and
drug class effects on incident diabetes instead of QDiabetes' treated-hypertension marker."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin import EventKind, PatientState, TwinParameters, TwinSimulator, recurrent_cvd, sample_population
from twin_env.twin.calibration import untreated
from twin_env.twin.lifestyle import change_weight, quit_smoking, weight_change_bmi_kg_m2
from twin_env.twin.population import update_age_dependent_levels
from twin_env.twin.recurrent_cvd_normaliser import derive_log_normaliser
from twin_env.twin.risk_equations import qdiabetes_hazard_10y
from twin_env.twin.risk_factors import relapse_cumulative_hazard, unaided_quit_probability
from twin_env.twin.state import BP_DRUG_CLASSES
from twin_env.twin.treatment_effects import apply_treatment_effects

PARAMS = TwinParameters.default()


def _cohort(n: int, seed: int, min_age: float = 40.0, max_age: float = 74.0) -> PatientState:
    state, _ = sample_population(n, seed, min_age=min_age, max_age=max_age)
    untreated(state, PARAMS)
    return state


def _t2d_hazard(state: PatientState) -> np.ndarray:
    state.qrisk3_h10[:] = np.nan  # evaluate the risk equations on the state as it is
    state.qdiabetes_h10[:] = np.nan
    return TwinSimulator(PARAMS).current_hazards(state, 1.0 / 12.0)[EventKind.TYPE2_DIABETES]


# --- no marker as a cause: QDiabetes' treated-hypertension term --------------------------------


def test_antihypertensives_in_normotensive_people_raise_diabetes_only_by_class_effects() -> None:
    state = _cohort(3_000, 41)
    state.hypertension = False
    state.type2_diabetes = False
    base = _t2d_hazard(state)
    for name in BP_DRUG_CLASSES:
        state.columns[f"dose_{name}"][:] = 1.0
    all_classes = _t2d_hazard(state)
    expected = PARAMS["thiazide_rr_type2_diabetes"] * PARAMS["beta_blocker_rr_type2_diabetes"]
    assert np.allclose(all_classes[base > 0] / base[base > 0], expected)
    untreated(state, PARAMS)
    for name in ("acei", "arb", "ccb"):
        state.columns[f"dose_{name}"][:] = 1.0
    assert np.allclose(_t2d_hazard(state), base)  # RAAS blockers and CCB: no effect


def test_qdiabetes_reads_hypertension_not_prescriptions() -> None:
    state = _cohort(2_000, 42)
    age = state.age_years
    state.hypertension = False
    normotensive = qdiabetes_hazard_10y(state, PARAMS, age)
    state.dose_ccb = 1.0
    state.dose_thiazide = 1.0
    assert np.array_equal(qdiabetes_hazard_10y(state, PARAMS, age), normotensive)
    state.hypertension = True
    assert np.all(qdiabetes_hazard_10y(state, PARAMS, age) > normotensive)


def test_statin_raises_diabetes_hazard_by_intensity() -> None:
    state = _cohort(2_000, 43)
    state.type2_diabetes = False
    base = _t2d_hazard(state)
    at_risk = base > 0
    state.statin_ldl_reduction = PARAMS.statin_ldl_reduction[("atorvastatin", 10)]  # 37%: moderate
    moderate = _t2d_hazard(state)
    state.statin_ldl_reduction = PARAMS.statin_ldl_reduction[("atorvastatin", 40)]  # 49%: high
    high = _t2d_hazard(state)
    assert np.allclose(moderate[at_risk] / base[at_risk], PARAMS["statin_rr_type2_diabetes_low_moderate_intensity"])
    assert np.allclose(high[at_risk] / base[at_risk], PARAMS["statin_rr_type2_diabetes_high_intensity"])


# --- smoking -------------------------------------------------------------------------------------


def _smokers(n: int, seed: int, age: float = 45.0) -> PatientState:
    state = _cohort(n, seed, age, age)
    state.smoking = 3
    state.smoking_quit_age_years = np.nan
    return state


def _run(state: PatientState, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``months`` steps; returns (ever became an ex-smoker, ever smoked again) per patient."""
    twin = TwinSimulator(PARAMS)
    quit = np.zeros(state.n, dtype=bool)
    relapsed = np.zeros(state.n, dtype=bool)
    for _ in range(months):
        before = state.smoking.copy()
        twin.step(state)
        quit |= (before >= 2) & (state.smoking == 1)
        relapsed |= (before == 1) & (state.smoking >= 2)
    return quit, relapsed


def test_current_smokers_quit_at_the_unaided_rate() -> None:
    state = _smokers(20_000, 44)
    quit, _ = _run(state, 12)  # every patient's yearly update falls once in 12 monthly steps
    expected = -np.expm1(-PARAMS["smoking_quit_attempts_per_year"] * unaided_quit_probability(PARAMS))
    assert quit.mean() == pytest.approx(expected, abs=0.01)
    assert unaided_quit_probability(PARAMS) == pytest.approx(0.04 / 0.25)


def test_quitters_relapse_as_ferguson_2005_and_a_supported_attempt_lasts_as_the_stop_smoking_services() -> None:
    state = _smokers(20_000, 45)
    quitters = quit_smoking(state, np.arange(state.n), PARAMS)
    assert quitters.size / state.n == pytest.approx(PARAMS["stop_smoking_service_4_week_quit_fraction"], abs=0.015)
    assert np.all(state.smoking[quitters] == 1)
    assert np.all(np.isnan(state.qrisk3_h10[quitters]))  # the risk equations see the quit at once
    _, relapsed = _run(state, 11)  # 4 to 52 weeks after the quit date
    abstinent = ~relapsed[quitters]
    assert abstinent.mean() == pytest.approx(1.0 - PARAMS["smoking_relapse_fraction_week_4_to_52"], abs=0.015)
    at_52_weeks = quitters.size * abstinent.mean() / state.n
    assert at_52_weeks == pytest.approx(PARAMS["stop_smoking_service_52_week_abstinence_fraction"], abs=0.02)


def test_supported_quit_attempt_succeeds_more_often_than_unaided() -> None:
    supported = _smokers(10_000, 46)
    unaided = supported.copy()
    rows = np.arange(supported.n)
    n_supported = quit_smoking(supported, rows, PARAMS).size
    n_unaided = quit_smoking(unaided, rows, PARAMS, success_probability=unaided_quit_probability(PARAMS)).size
    assert n_supported > 3 * n_unaided
    assert n_unaided / unaided.n == pytest.approx(unaided_quit_probability(PARAMS), abs=0.015)


def test_quit_smoking_leaves_non_smokers_and_rejects_bad_input() -> None:
    state = _cohort(500, 47)
    state.smoking = 0
    assert quit_smoking(state, np.arange(state.n), PARAMS, success_probability=1.0).size == 0
    assert np.all(state.smoking == 0)
    with pytest.raises(ValueError, match="success_probability"):
        quit_smoking(state, np.arange(3), PARAMS, success_probability=1.5)
    with pytest.raises(ValueError, match="rows"):
        quit_smoking(state, np.array([state.n]), PARAMS)


def test_long_term_ex_smokers_rarely_relapse() -> None:
    state = _cohort(20_000, 48, 50, 50)
    state.smoking = 1
    state.smoking_quit_age_years = 40.0
    _, relapsed = _run(state, 12)
    assert relapsed.mean() == pytest.approx(-np.expm1(-PARAMS["smoking_relapse_per_year_after_5_years"]), abs=0.003)
    assert (
        relapse_cumulative_hazard(np.array([10.0]), PARAMS)[0] > relapse_cumulative_hazard(np.array([1.0]), PARAMS)[0]
    )


def test_never_smokers_start_when_young_and_rarely_after_25() -> None:
    young = _cohort(20_000, 49, 18, 18)
    older = _cohort(20_000, 49, 40, 40)
    for state in (young, older):
        state.smoking = 0
        state.smoking_quit_age_years = np.nan
    started_young = _run_started(young)
    started_older = _run_started(older)
    assert 0.01 < started_young < 0.04
    assert started_older < 0.003


def _run_started(state: PatientState) -> float:
    twin = TwinSimulator(PARAMS)
    for _ in range(12):
        twin.step(state)
    return float(np.mean(state.smoking[state.alive] >= 2))


def test_quitting_moves_sbp_by_the_smoker_offset() -> None:
    state = _smokers(200, 50)
    before = state.sbp_untreated_mmhg.copy()
    quitters = quit_smoking(state, np.arange(state.n), PARAMS, success_probability=1.0)
    assert quitters.size == state.n
    update_age_dependent_levels(state, PARAMS)
    assert np.allclose(before - state.sbp_untreated_mmhg, PARAMS["sbp_smoker_offset_mmhg"], atol=1e-3)


# --- BMI -----------------------------------------------------------------------------------------


def test_bmi_spreads_within_people_while_the_population_spread_holds() -> None:
    state = _cohort(10_000, 51, 30, 60)
    offset0 = state.bmi_offset_kg_m2.copy()
    twin = TwinSimulator(PARAMS)
    for _ in range(60):
        twin.step(state)
    alive = state.alive
    change = (state.bmi_offset_kg_m2 - offset0)[alive]
    sd = PARAMS["bmi_between_person_sd_kg_m2"]
    one_year_sd = PARAMS["bmi_annual_change_sd_kg_m2"]
    keep_5y = (1.0 - one_year_sd**2 / (2.0 * sd**2)) ** 5
    assert change.std() == pytest.approx(np.sqrt(2.0 * sd**2 * (1.0 - keep_5y)), rel=0.08)
    assert state.bmi_offset_kg_m2[alive].std() == pytest.approx(offset0[alive].std(), rel=0.03)


def test_programme_weight_loss_lowers_bmi_sbp_and_diabetes_hazard_then_wears_off() -> None:
    state = _cohort(2_000, 52)
    state.type2_diabetes = False
    rows = np.arange(state.n)
    bmi0, sbp0 = state.bmi_kg_m2.copy(), state.sbp_untreated_mmhg.copy()
    t2d0 = _t2d_hazard(state)
    change_weight(state, rows, -5.0, PARAMS)
    shift = weight_change_bmi_kg_m2(state, rows, np.full(state.n, -5.0), PARAMS)
    off_floors = (bmi0 > 20.0) & (sbp0 > 100.0)  # BMI and SBP have floors (13 kg/m2, 75 mmHg)
    assert off_floors.mean() > 0.9
    assert np.allclose((state.bmi_kg_m2 - bmi0)[off_floors], shift[off_floors], atol=1e-4)
    sbp_change = (state.sbp_untreated_mmhg - sbp0)[off_floors]
    assert np.allclose(sbp_change, PARAMS["sbp_bmi_slope_mmhg_per_kg_m2"] * shift[off_floors], atol=1e-3)
    assert np.all(np.isnan(state.qdiabetes_h10))
    assert _t2d_hazard(state)[t2d0 > 0].mean() < 0.97 * t2d0[t2d0 > 0].mean()
    twin = TwinSimulator(PARAMS)
    months = int(round(12 * PARAMS["weight_regain_time_constant_years"]))
    for _ in range(months):
        twin.step(state)
    alive = state.alive
    held = state.bmi_programme_shift_kg_m2[alive] / shift[alive]
    assert held == pytest.approx(np.exp(-months / 12 / PARAMS["weight_regain_time_constant_years"]), rel=1e-3)


def test_change_weight_rejects_bad_input() -> None:
    state = _cohort(50, 53)
    with pytest.raises(ValueError, match="kg"):
        change_weight(state, np.arange(3), np.nan, PARAMS)
    with pytest.raises(ValueError, match="rows"):
        change_weight(state, np.array([0.5]), -1.0, PARAMS)


# --- recurrent CVD -------------------------------------------------------------------------------


def _recurrent_mi_hazard(state: PatientState) -> np.ndarray:
    return TwinSimulator(PARAMS).current_hazards(state, 1.0 / 12.0)[EventKind.MYOCARDIAL_INFARCTION]


def test_recurrent_cvd_is_higher_in_smokers_diabetics_and_low_egfr() -> None:
    state = _cohort(1_000, 54, 60, 70)
    state.chd = True
    state.stroke_tia = False
    state.smoking = 0
    state.type2_diabetes = False
    state.type1_diabetes = False
    state.egfr_ml_min_1_73m2 = 90.0
    established = state.has_cvd
    base = recurrent_cvd.rate_per_year(state, PARAMS, established)
    base_mi = _recurrent_mi_hazard(state)
    state.smoking = 3
    assert np.allclose(_recurrent_mi_hazard(state) / base_mi, np.exp(PARAMS["smart_log_hr_current_smoker"]))
    state.smoking = 0
    state.type2_diabetes = True
    rate = recurrent_cvd.rate_per_year(state, PARAMS, established)
    assert np.allclose(rate / base, np.exp(PARAMS["smart_log_hr_diabetes"]))
    state.type2_diabetes = False
    state.egfr_ml_min_1_73m2 = 40.0
    assert np.all(recurrent_cvd.rate_per_year(state, PARAMS, established) > base)
    state.egfr_ml_min_1_73m2 = 120.0  # above SMART's vertex (65) a high eGFR marks low muscle mass
    at_120 = recurrent_cvd.rate_per_year(state, PARAMS, established)
    state.egfr_ml_min_1_73m2 = 65.0
    assert np.allclose(at_120, recurrent_cvd.rate_per_year(state, PARAMS, established))
    assert np.all(recurrent_cvd.rate_per_year(state, PARAMS, np.zeros(state.n, dtype=bool)) == 0.0)


def test_recurrent_cvd_still_reduced_by_treatment() -> None:
    state = _cohort(1_000, 55, 60, 70)
    state.chd = True
    state.adherence = 1.0
    base = _recurrent_mi_hazard(state)
    state.statin_ldl_reduction = 0.49
    state.dose_ccb = 1.0
    apply_treatment_effects(state, PARAMS)
    assert np.all(_recurrent_mi_hazard(state) < base)


@pytest.mark.slow
def test_recurrent_normaliser_matches_its_derivation() -> None:
    assert derive_log_normaliser(200_000, 1) == pytest.approx(PARAMS["recurrent_cvd_smart_log_normaliser"], abs=5e-4)


# --- determinism ---------------------------------------------------------------------------------


def test_smoking_and_bmi_are_the_same_alone_or_in_a_batch_and_on_a_rerun() -> None:
    def run(state: PatientState) -> PatientState:
        twin = TwinSimulator(PARAMS)
        quit_smoking(state, np.arange(state.n), PARAMS)
        change_weight(state, np.arange(state.n), -3.0, PARAMS)
        for _ in range(30):
            twin.step(state)
        return state

    batch, _ = sample_population(400, 56, min_age=16, max_age=80)
    first = run(batch.copy())
    assert run(batch.copy()).equals(first)
    for i in (3, 150, 399):
        assert run(batch.take(np.array([i]))).equals(first.take(np.array([i])))
    assert not np.array_equal(first.bmi_offset_kg_m2, batch.bmi_offset_kg_m2)


@pytest.mark.slow
def test_age_profile_of_current_smoking_holds_over_ten_years() -> None:
    """The hand-calibrated quit-attempt rate keeps current smoking by age near its baseline under 65."""
    state, _ = sample_population(20_000, 3, min_age=6, max_age=90)

    def current_by_band() -> np.ndarray:
        bands = [(16, 25), (25, 35), (35, 45), (45, 55), (55, 65)]
        return np.array(
            [
                np.mean(state.smoking[state.alive & (state.age_years >= a) & (state.age_years < b)] >= 2)
                for a, b in bands
            ]
        )

    baseline = current_by_band()
    twin = TwinSimulator(PARAMS)
    for _ in range(120):
        twin.step(state)
    assert np.all(np.abs(current_by_band() - baseline) < 0.03), (current_by_band(), baseline)
