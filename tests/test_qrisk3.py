"""QRISK3-2017: published test vectors, vectorised == scalar, input validation."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin_env.equations.qrisk3 import FLAG_TERMS, qrisk3_cumulative_hazard_10y, qrisk3_risk_percent
from twin_env.models import CLINRISK_DISCLAIMER, qrisk3_score, qrisk3_score_array
from twin_env.models import qrisk3 as qrisk3_module

DEV_VECTORS = Path(__file__).parent / "data" / "qrisk3_dev_vectors.csv"

# Fixed inputs of the dev vectors (clinical.md section 1): non-smoker, no flags, SBP 120 mmHg,
# BMI from height 170 cm and weight 70 kg.
DEV_DEFAULTS: dict[str, Any] = {"smoking": 0, "sbp": 120.0, "bmi": 70 / 1.7**2}

PERSON: dict[str, Any] = {
    "sex": "male",
    "age": 60.0,
    "ethnicity": 1,
    "smoking": 0,
    "bmi": 27.0,
    "chol_hdl_ratio": 4.0,
    "sbp": 130.0,
    "sbp_sd": 8.0,
    "townsend": 0.0,
}


def _dev_vectors() -> list[dict[str, str]]:
    with DEV_VECTORS.open(newline="") as f:
        return list(csv.DictReader(f))


def _dev_inputs(row: dict[str, str]) -> dict[str, Any]:
    return {
        **DEV_DEFAULTS,
        "sex": row["sex"],
        "age": float(row["age"]),
        "ethnicity": int(row["ethnicity"]),
        "chol_hdl_ratio": float(row["chol_hdl_ratio"]),
        "sbp_sd": float(row["sbp_sd"]),
        "townsend": float(row["townsend"]),
    }


@pytest.mark.parametrize("row", _dev_vectors(), ids=lambda r: "-".join(r.values()))
def test_dev_vector(row: dict[str, str]) -> None:
    risk = qrisk3_score(**_dev_inputs(row))
    assert abs(risk - float(row["expected"])) <= float(row["tolerance"])


def test_dev_vectors_vectorised() -> None:
    rows = _dev_vectors()
    inputs = [_dev_inputs(r) for r in rows]
    risk = qrisk3_score_array(**{k: np.array([p[k] for p in inputs]) for k in inputs[0]})
    expected = np.array([float(r["expected"]) for r in rows])
    tolerance = np.array([float(r["tolerance"]) for r in rows])
    assert np.all(np.abs(risk - expected) <= tolerance)


# clinical.md section 3: "typical" White non-smokers at the QResearch mean SBP, cholesterol ratio
# and BMI for their age and sex. Assumptions (not stated with the figures): risk factors linearly
# interpolated between the table's ages, SBP SD 0 and Townsend 0. Under them the published
# figures reproduce within 0.1 percentage points (men to 0.02, women to 0.07).
_MEANS_BY_AGE = {  # age: (SBP F, SBP M, TC/HDL F, TC/HDL M, BMI F, BMI M)
    45: (123.8, 131.1, 3.58, 4.60, 26.8, 27.8),
    55: (129.0, 133.6, 3.61, 4.45, 27.0, 27.6),
    65: (133.4, 135.7, 3.59, 4.26, 26.9, 27.1),
    75: (137.0, 136.6, 3.51, 4.02, 26.4, 26.3),
    84: (139.7, 136.0, 3.35, 3.74, 25.5, 25.2),
}
_TYPICAL = [
    (50, "female", 2.1),
    (50, "male", 4.6),
    (60, "female", 5.2),
    (60, "male", 9.8),
    (70, "female", 11.8),
    (70, "male", 18.4),
    (80, "female", 25.0),
    (80, "male", 32.3),
]


@pytest.mark.parametrize(("age", "sex", "expected"), _TYPICAL)
def test_typical_person(age: int, sex: str, expected: float) -> None:
    ages = sorted(_MEANS_BY_AGE)
    means = np.array([_MEANS_BY_AGE[a] for a in ages])
    sbp, ratio, bmi = (np.interp(age, ages, means[:, j + (sex == "male")]) for j in (0, 2, 4))
    risk = qrisk3_score(
        sex=sex,
        age=age,
        ethnicity=1,
        smoking=0,
        bmi=bmi,
        chol_hdl_ratio=ratio,
        sbp=sbp,
        sbp_sd=0.0,
        townsend=0.0,
    )
    assert abs(risk - expected) <= 0.1


_people = st.fixed_dictionaries(
    {
        "sex": st.sampled_from(["female", "male"]),
        "age": st.floats(25, 85, exclude_max=True),
        "ethnicity": st.integers(0, 9),
        "smoking": st.integers(0, 4),
        "bmi": st.floats(10, 80),
        "chol_hdl_ratio": st.floats(1, 12),
        "sbp": st.floats(70, 210),
        "sbp_sd": st.floats(0, 100),
        "townsend": st.floats(-7, 11),
        **{flag: st.booleans() for flag in FLAG_TERMS},
    }
)


def _columns(people: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {k: np.array([p[k] for p in people]) for k in people[0]}


@settings(max_examples=60, deadline=None)
@given(st.lists(_people, min_size=1, max_size=40))
def test_vectorised_equals_scalar(people: list[dict[str, Any]]) -> None:
    vectorised = qrisk3_score_array(**_columns(people))
    assert np.array_equal(vectorised, [qrisk3_score(**p) for p in people])


@settings(max_examples=30, deadline=None)
@given(st.lists(_people, min_size=1, max_size=40))
def test_models_equal_equations(people: list[dict[str, Any]]) -> None:
    columns = _columns(people)
    kernel_inputs = {**columns, "female": columns["sex"] == "female"}
    del kernel_inputs["sex"]
    risk = qrisk3_risk_percent(**kernel_inputs)
    assert np.array_equal(qrisk3_score_array(**columns), risk)
    hazard = qrisk3_cumulative_hazard_10y(**kernel_inputs)
    assert np.array_equal(risk, -100.0 * np.expm1(-hazard))


def test_large_batch_is_row_independent() -> None:
    """Scores do not depend on batch size, order or chunking (the simulator's 100k batches)."""
    rng = np.random.default_rng(0)
    n = 20_000
    columns = {
        "sex": rng.choice(["female", "male"], n),
        "age": rng.uniform(25, 85, n),
        "ethnicity": rng.integers(0, 10, n),
        "smoking": rng.integers(0, 5, n),
        "bmi": rng.uniform(15, 50, n),
        "chol_hdl_ratio": rng.uniform(2, 8, n),
        "sbp": rng.uniform(90, 200, n),
        "sbp_sd": rng.uniform(0, 25, n),
        "townsend": rng.uniform(-7, 11, n),
        **{flag: rng.random(n) < 0.2 for flag in FLAG_TERMS},
    }
    risk = qrisk3_score_array(**columns)
    order = rng.permutation(n)
    shuffled = qrisk3_score_array(**{k: v[order] for k, v in columns.items()})
    assert np.array_equal(shuffled, risk[order])
    for i in rng.choice(n, 25, replace=False):
        person = {k: v[i].item() for k, v in columns.items()}
        assert qrisk3_score(**person) == risk[i]


def test_broadcasting_and_shape() -> None:
    sex = np.array([["female"], ["male"]])
    risk = qrisk3_score_array(**{**PERSON, "sex": sex, "age": np.array([40.0, 50.0, 60.0])})
    assert risk.shape == (2, 3) and risk.dtype == np.float64
    assert np.all(np.diff(risk, axis=1) > 0)
    assert risk[1, 2] == qrisk3_score(**PERSON)


def test_sex_specific_flags() -> None:
    """Erectile dysfunction has no coefficient in the female equation: accepted and ignored."""
    female = {**PERSON, "sex": "female"}
    assert qrisk3_score(**female, erectile_dysfunction=True) == qrisk3_score(**female)
    assert qrisk3_score(**PERSON, erectile_dysfunction=True) > qrisk3_score(**PERSON)


@pytest.mark.parametrize(
    ("flag", "sex"),
    [
        (flag, sex)
        for sex in ("female", "male")
        for flag in FLAG_TERMS
        if (flag, sex) != ("erectile_dysfunction", "female")  # not in the female equation
    ],
)
def test_every_flag_changes_risk(flag: str, sex: str) -> None:
    person = {**PERSON, "sex": sex}
    assert qrisk3_score(**person, **{flag: True}) != qrisk3_score(**person)


def test_ethnicity_zero_is_white() -> None:
    assert qrisk3_score(**{**PERSON, "ethnicity": 0}) == qrisk3_score(**PERSON)


_INVALID = [
    ("sex", "M", "'female' or 'male'"),
    ("sex", 1, "'female' or 'male'"),
    ("age", 24.9, "[25, 85) years"),
    ("age", 85, "[25, 85) years"),
    ("age", float("nan"), "[25, 85) years"),
    ("age", True, "real number"),
    ("age", "60", "real number"),
    ("age", None, "real number"),
    ("ethnicity", 10, "integer code 0-9"),
    ("ethnicity", -1, "integer code 0-9"),
    ("ethnicity", 1.0, "integer code 0-9"),
    ("smoking", 5, "integer code 0-4"),
    ("smoking", True, "integer code 0-4"),
    ("bmi", 9.9, "[10, 80] kg/m2"),
    ("bmi", 80.1, "[10, 80] kg/m2"),
    ("chol_hdl_ratio", 0.9, "[1, 12]"),
    ("chol_hdl_ratio", 12.5, "[1, 12]"),
    ("sbp", 69.0, "[70, 210] mmHg"),
    ("sbp", 211.0, "[70, 210] mmHg"),
    ("sbp_sd", -0.1, "[0, 100] mmHg"),
    ("sbp_sd", 101.0, "[0, 100] mmHg"),
    ("townsend", -7.5, "[-7, 11]"),
    ("townsend", 11.5, "[-7, 11]"),
    ("townsend", float("inf"), "[-7, 11]"),
] + [(flag, 1, "a bool") for flag in FLAG_TERMS]


@pytest.mark.parametrize(("field", "value", "allowed"), _INVALID)
def test_invalid_input_scalar(field: str, value: Any, allowed: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be .*{re.escape(allowed)}"):
        qrisk3_score(**{**PERSON, field: value})


@pytest.mark.parametrize(("field", "value", "allowed"), _INVALID)
def test_invalid_input_array(field: str, value: Any, allowed: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be .*{re.escape(allowed)}.*index 0"):
        qrisk3_score_array(**{**PERSON, field: np.array([value] * 3)})


def test_invalid_input_names_first_bad_index() -> None:
    with pytest.raises(ValueError, match=r"^sbp must be .*; got 250.0 at index 2$"):
        qrisk3_score_array(**{**PERSON, "sbp": np.array([120.0, 130.0, 250.0, 260.0])})


def test_scalar_api_rejects_arrays() -> None:
    with pytest.raises(ValueError, match="age must be a scalar; use qrisk3_score_array"):
        qrisk3_score(**{**PERSON, "age": [50.0, 60.0]})


def test_shapes_must_broadcast() -> None:
    with pytest.raises(ValueError, match="do not broadcast"):
        qrisk3_score_array(**{**PERSON, "age": np.full(3, 50.0), "sbp": np.full(2, 120.0)})


def test_disclaimer() -> None:
    assert CLINRISK_DISCLAIMER.startswith("The initial version of this file")
    assert CLINRISK_DISCLAIMER.endswith("wrong patients being given the wrong treatment.")
    assert "CLINRISK_DISCLAIMER" in (qrisk3_module.__doc__ or "")
