"""Population sampling: the public ``sample_cohort`` API, prevalence and its gradients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import twin_env
from twin_env.twin import TwinParameters

REQUIRED_COLUMNS = (
    "patient_id sex age ethnicity imd_quintile townsend smoking bmi sbp_mmhg chol_hdl_ratio hba1c_mmol_mol egfr "
    "hypertension type2_diabetes ckd_3_5 chd stroke_tia atrial_fibrillation heart_failure "
    "on_antihypertensive on_statin on_metformin"
).split()

#: QOF 2019/20 condition -> (cohort columns counted, register minimum age)
QOF_REGISTERS = {
    "hypertension": (("hypertension",), 0),
    "diabetes": (("type2_diabetes",), 17),
    "ckd_stage_3_5": (("ckd_3_5",), 18),
    "chd": (("chd",), 0),
    "atrial_fibrillation": (("atrial_fibrillation",), 0),
    "stroke_tia": (("stroke_tia",), 0),
    "heart_failure": (("heart_failure",), 0),
}


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return twin_env.sample_cohort(100_000, seed=2020)


def test_columns_types_and_ranges(cohort: pd.DataFrame) -> None:
    assert set(REQUIRED_COLUMNS) <= set(cohort.columns)
    assert set(cohort["sex"].unique()) == {"female", "male"}
    assert cohort["ethnicity"].between(1, 9).all()
    assert cohort["imd_quintile"].between(1, 5).all()
    assert cohort["smoking"].between(0, 4).all()
    assert cohort["age"].between(0, 100).all()
    assert cohort["patient_id"].is_unique
    for column in ("hypertension", "type2_diabetes", "on_statin"):
        assert cohort[column].dtype == bool
    numeric = cohort.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy()).all()


@pytest.mark.parametrize("condition", sorted(QOF_REGISTERS))
def test_recorded_prevalence_matches_qof(cohort: pd.DataFrame, condition: str) -> None:
    columns, min_age = QOF_REGISTERS[condition]
    register = cohort[list(columns)].any(axis=1)[cohort["age"] >= min_age]
    target = TwinParameters.default().qof_prevalence_percent[condition]
    achieved = 100 * register.mean()
    assert achieved == pytest.approx(target, rel=0.10), f"{condition}: {achieved:.2f}% vs QOF {target}%"


def test_any_diabetes_matches_qof(cohort: pd.DataFrame) -> None:
    adults = cohort[cohort["age"] >= 17]
    achieved = 100 * (adults["type2_diabetes"] | adults["type1_diabetes"]).mean()
    assert achieved == pytest.approx(7.07, rel=0.10)


def _rate(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].mean())


def test_prevalence_rises_with_age(cohort: pd.DataFrame) -> None:
    bands = pd.cut(cohort["age"], [18, 40, 60, 80, 101], right=False)
    for column in ("hypertension", "type2_diabetes", "ckd_3_5", "chd", "atrial_fibrillation", "heart_failure"):
        by_band = cohort.groupby(bands, observed=True)[column].mean().to_numpy()
        assert np.all(np.diff(by_band) > 0), f"{column} by age band: {by_band}"


def test_children_have_no_chronic_conditions(cohort: pd.DataFrame) -> None:
    children = cohort[cohort["age"] < 17]
    assert not children[["hypertension", "type2_diabetes", "ckd_3_5", "chd", "heart_failure"]].any().any()


def test_clinically_plausible_gradients(cohort: pd.DataFrame) -> None:
    adults = cohort[cohort["age"].between(40, 80)]
    south_asian = adults[adults["ethnicity"].isin([2, 3, 4])]
    white = adults[adults["ethnicity"] == 1]
    assert _rate(south_asian, "type2_diabetes") > 1.5 * _rate(white, "type2_diabetes")
    most, least = adults[adults["imd_quintile"] == 1], adults[adults["imd_quintile"] == 5]
    assert _rate(most, "type2_diabetes") > _rate(least, "type2_diabetes")
    assert _rate(most, "chd") > _rate(least, "chd")
    assert (most["smoking"] >= 2).mean() > 1.5 * (least["smoking"] >= 2).mean()
    men, women = adults[adults["sex"] == "male"], adults[adults["sex"] == "female"]
    assert _rate(men, "chd") > 1.3 * _rate(women, "chd")
    obese, lean = adults[adults["bmi"] >= 30], adults[adults["bmi"] < 25]
    assert _rate(obese, "type2_diabetes") > 2 * _rate(lean, "type2_diabetes")


def test_treatments_follow_diagnoses(cohort: pd.DataFrame) -> None:
    assert not cohort.loc[~cohort["type2_diabetes"], "on_metformin"].any()
    treated = cohort.loc[cohort["hypertension"], "on_antihypertensive"].mean()
    assert 0.75 < treated < 0.95
    secondary = cohort.loc[cohort["chd"] | cohort["stroke_tia"], "on_statin"].mean()
    assert 0.7 < secondary < 0.9


def test_demographics_match_sources(cohort: pd.DataFrame) -> None:
    params = TwinParameters.default()
    white = (cohort["ethnicity"] == 1).mean()
    assert white == pytest.approx(params.ethnicity_share[0], abs=0.01)
    adults = cohort[cohort["age"] >= 18]
    assert (adults["sex"] == "male").mean() == pytest.approx(0.496, abs=0.01)
    assert (cohort["imd_quintile"] == 1).mean() == pytest.approx(params.imd_quintile_share[0], abs=0.01)
    assert (cohort["age"] >= 90).mean() == pytest.approx(0.0092, abs=0.002)


def test_age_range_is_respected() -> None:
    frame = twin_env.sample_cohort(2_000, seed=3, min_age=40, max_age=74)
    assert frame["age"].between(40, 74).all()
    exact = twin_env.sample_cohort(50, seed=3, min_age=60, max_age=60)
    assert (exact["age"] == 60).all()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": -1, "seed": 0}, "n"),
        ({"n": 2.5, "seed": 0}, "n"),
        ({"n": 10, "seed": 1.5}, "seed"),
        ({"n": 10, "seed": "1"}, "seed"),
        ({"n": 10, "seed": -3}, "seed"),
        ({"n": 10, "seed": 0, "min_age": 70, "max_age": 40}, "min_age"),
        ({"n": 10, "seed": 0, "max_age": 130}, "max_age"),
        ({"n": 10, "seed": 0, "config": {"no_such_parameter": 1.0}}, "no_such_parameter"),
        ({"n": 10, "seed": 0, "config": {"case_fatality_mi": "high"}}, "case_fatality_mi"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        twin_env.sample_cohort(**kwargs)


def test_config_overrides_change_the_population() -> None:
    base = twin_env.sample_cohort(20_000, seed=5, min_age=40, max_age=74)
    changed = twin_env.sample_cohort(
        20_000, seed=5, min_age=40, max_age=74, config={"baseline_treated_fraction_hypertension": 0.2}
    )
    assert changed["on_antihypertensive"].mean() < base["on_antihypertensive"].mean()
