"""Prevalence gradients by age, sex and deprivation against the published HSE and ONS figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin_env.twin import TwinParameters, sample_population
from twin_env.twin.calibration import recorded_prevalence_percent
from twin_env.twin.gradient_calibration import (
    achieved_percent,
    fit_sbp_profile,
    gradient_checks,
    gradient_frame,
    gradient_report,
    logit,
)
from twin_env.twin.population import sbp_offset_scale, update_age_dependent_levels
from twin_env.twin.population_gradients import diagnosed_logit, published_gradients, sbp_profile


@pytest.fixture(scope="module")
def adults() -> pd.DataFrame:
    return gradient_frame(60_000, seed=3)


def _published(condition: str, measure: str, **where: object) -> list:
    rows = [g for g in published_gradients() if g.condition == condition and g.measure == measure]
    return [g for g in rows if all(getattr(g, k) == v for k, v in where.items())]


def _by_quintile(adults: pd.DataFrame, column: str) -> np.ndarray:
    return adults.groupby("imd_quintile")[column].mean().to_numpy()  # quintile 1 (most deprived) first


def test_published_file_has_a_source_and_status_for_every_figure() -> None:
    allowed = {"verified", "verified-secondary", "derived", "unverified"}
    assert len(published_gradients()) >= 30
    for g in published_gradients():
        assert g.status in allowed, g
        assert g.source.strip(), g
        assert 0.0 < g.value_percent < 100.0, g


def test_true_hypertension_follows_the_published_age_sex_profile(adults: pd.DataFrame) -> None:
    bands = [g for g in _published("hypertension", "true", deprivation="all") if g.sex != "all"]
    assert len(bands) == 14
    for g in bands:
        assert achieved_percent(adults, g) == pytest.approx(g.value_percent, abs=4.0), g.label


def test_true_hypertension_is_steep_in_age(adults: pd.DataFrame) -> None:
    young = adults[adults["age"] < 35]["hypertension_true"].mean()
    old = adults[adults["age"] >= 75]["hypertension_true"].mean()
    assert old > 8 * young


def test_true_hypertension_rises_with_deprivation_as_in_hse(adults: pd.DataFrame) -> None:
    share = _by_quintile(adults, "hypertension_true")
    assert np.all(np.diff(share) < 0), share  # falls from most (1) to least (5) deprived
    for g in _published("hypertension", "true", sex="all", age_lower=16.0, age_upper=120.0):
        if g.deprivation != "all":
            assert achieved_percent(adults, g) == pytest.approx(g.value_percent, abs=3.0), g.label


def test_undiagnosed_hypertension_keeps_the_ons_shape_by_age_and_sex(adults: pd.DataFrame) -> None:
    """The diagnosis log-odds carry one calibrated shift, so log-odds differences between groups are ONS's."""
    rows = [g for g in _published("hypertension", "undiagnosed_share") if g.sex != "all"]
    reference = rows[0]
    for g in rows[1:]:
        published = logit(g.value_percent / 100) - logit(reference.value_percent / 100)
        achieved = logit(achieved_percent(adults, g) / 100) - logit(achieved_percent(adults, reference) / 100)
        assert achieved == pytest.approx(published, abs=0.35), g.label


def test_diagnosis_log_odds_reproduce_the_ons_anchors() -> None:
    female = np.array([False, True, False, True])
    age = np.array([20.5, 20.5, 80.0, 80.0])
    expected = [1 - 0.66, 1 - 0.26, 1 - 0.17, 1 - 0.21]
    assert np.allclose(diagnosed_logit("hypertension", female, age), logit(expected))
    assert np.allclose(diagnosed_logit("diabetes", female[:2], np.array([30.5, 80.0])), logit([0.50, 0.73]))


def test_diabetes_by_age_and_sex_matches_hse(adults: pd.DataFrame) -> None:
    (young,) = _published("diabetes", "diagnosed", age_upper=35.0)
    (old,) = _published("diabetes", "diagnosed", age_lower=75.0)
    assert achieved_percent(adults, young) < 1.5
    assert achieved_percent(adults, old) == pytest.approx(old.value_percent, abs=3.0)
    (men,) = _published("diabetes", "diagnosed", sex="male")
    (women,) = _published("diabetes", "diagnosed", sex="female")
    assert achieved_percent(adults, men) > achieved_percent(adults, women) + 1.0
    assert achieved_percent(adults, men) == pytest.approx(men.value_percent, abs=1.5)
    assert achieved_percent(adults, women) == pytest.approx(women.value_percent, abs=1.5)


def test_diabetes_rises_with_deprivation(adults: pd.DataFrame) -> None:
    total = _by_quintile(adults, "diabetes_true")
    assert np.all(np.diff(total) < 0), total
    assert total[0] / total[-1] > 1.35  # HSE by income: 16% / 7%; by IMD area the twin gives about 1.5
    undiagnosed = (adults["diabetes_true"] & ~adults["diabetes_diagnosed"]).groupby(adults["imd_quintile"]).mean()
    assert undiagnosed[1] > 1.3 * undiagnosed[5]


def test_sbp_deviation_widens_with_age_as_the_profile_sd() -> None:
    state, _ = sample_population(2, 4, min_age=30, max_age=30)
    state.sbp_offset_mmhg = np.array([10.0, 10.0], dtype=np.float32)
    state.female = np.array([False, False])
    params = TwinParameters.default()
    deviation = []
    for age in (25.0, 80.0):
        state.age_years = np.full(2, age)
        update_age_dependent_levels(state, params)
        deviation.append(state.sbp_untreated_mmhg[0] - params.sbp_mean(state.female, state.age_years)[0])
    profile = sbp_profile()
    sd = profile.sd_mmhg(np.array([False, False]), np.array([25.0, 80.0]))
    shift = profile.shift_mmhg(np.array([False, False]), np.array([25.0, 80.0]))
    assert np.allclose(deviation, shift + sd / params["sbp_between_person_sd_mmhg"] * 10.0, atol=1e-4)
    assert deviation[1] - shift[1] > 1.5 * (deviation[0] - shift[0])
    assert np.allclose(sbp_offset_scale(state, params), sd[1] / params["sbp_between_person_sd_mmhg"])


def test_deprivation_offsets_move_sbp_and_bmi() -> None:
    params = TwinParameters.default()
    flat = params.replace(
        sbp_offset_per_quintile_more_deprived_mmhg=0.0, bmi_offset_per_quintile_more_deprived_kg_m2=0.0
    )
    state, _ = sample_population(4_000, 9, min_age=40, max_age=60, config=params)
    base, _ = sample_population(4_000, 9, min_age=40, max_age=60, config=flat)
    # a baseline sulfonylurea adds its weight gain to the offset, and who is on one depends on the gradient
    same = (state.bmi_sulfonylurea_gain_kg_m2 == 0) & (base.bmi_sulfonylurea_gain_kg_m2 == 0)
    steps = 3.0 - state.imd_quintile[same]
    bmi = params["bmi_offset_per_quintile_more_deprived_kg_m2"]
    assert np.allclose(state.bmi_offset_kg_m2[same] - base.bmi_offset_kg_m2[same], bmi * steps, atol=1e-4)
    sbp = params["sbp_offset_per_quintile_more_deprived_mmhg"] + params["sbp_bmi_slope_mmhg_per_kg_m2"] * bmi
    assert np.allclose(state.sbp_offset_mmhg[same] - base.sbp_offset_mmhg[same], sbp * steps, atol=1e-3)


def test_gradients_are_a_pure_function_of_seed_and_patient_index() -> None:
    batch, dx = sample_population(300, 12, min_age=18, max_age=100)
    for i in (0, 157, 299):
        one, one_dx = sample_population(1, 12, min_age=18, max_age=100, first_index=i)
        assert one.sbp_untreated_mmhg[0] == batch.sbp_untreated_mmhg[i]
        for name in ("hypertension", "type2_diabetes"):
            assert one_dx.diagnosed[name][0] == dx.diagnosed[name][i]
    again = gradient_frame(2_000, seed=12)
    pd.testing.assert_frame_equal(again, gradient_frame(2_000, seed=12))


def test_report_has_one_row_per_published_figure() -> None:
    checks = gradient_checks(n=3_000, seed=2)
    report = gradient_report(checks, n=3_000, seed=2)
    assert len(checks) == len(published_gradients())
    assert report.count("\n| ") == len(checks) + 1  # header plus one row each


@pytest.mark.slow
def test_recorded_prevalence_still_matches_qof() -> None:
    params = TwinParameters.default()
    achieved = recorded_prevalence_percent(200_000, 1, params)
    for condition in ("hypertension", "diabetes"):
        assert achieved[condition] == pytest.approx(params.qof_prevalence_percent[condition], rel=0.03), condition


@pytest.mark.slow
def test_packaged_sbp_profile_is_the_fit() -> None:
    table, slope = fit_sbp_profile(n=200_000, iterations=4)
    packaged = pd.read_csv("twin_env/data/sbp_profile_by_age_sex.csv")
    assert np.allclose(table.to_numpy(), packaged.to_numpy(), atol=0.6)
    assert slope == pytest.approx(TwinParameters.default()["sbp_offset_per_quintile_more_deprived_mmhg"], abs=0.15)
