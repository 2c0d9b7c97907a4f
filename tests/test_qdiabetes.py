"""QDiabetes-2018: ClinRisk calculator vectors, vectorised == scalar, input validation."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin_env.equations.qdiabetes import (
    FLAG_TERMS,
    qdiabetes2018_cumulative_hazard_10y,
    qdiabetes2018_risk_percent,
)
from twin_env.models import qdiabetes as qdiabetes_module
from twin_env.models import qdiabetes2018_score, qdiabetes2018_score_array

DEV_VECTORS = Path(__file__).parent / "data" / "qdiabetes2018_dev_vectors.csv"
DEV_TOLERANCE = 0.1  # expected values are 1 dp from the ClinRisk web calculator

# Keys of the vectors' inputs_json -> our argument names.
DEV_FLAGS = {
    "antipsy": "atypical_antipsychotics",
    "steroids": "corticosteroids",
    "cvd": "cvd",
    "gestdiab": "gestational_diabetes",
    "learndiff": "learning_disability",
    "schizobipo": "schizophrenia_or_bipolar",
    "pcos": "pcos",
    "statins": "statins",
    "hypertension": "treated_hypertension",
    "fh_diab": "family_history_diabetes",
}
# A valid blood test for each model that needs one.
BLOOD_TEST: dict[str, dict[str, float]] = {
    "A": {},
    "B": {"fasting_glucose": 5.0},
    "C": {"hba1c": 35.0},
}

PERSON: dict[str, Any] = {
    "model": "A",
    "sex": "male",
    "age": 60.0,
    "ethnicity": 1,
    "smoking": 0,
    "bmi": 28.0,
    "townsend": 0.0,
}


def _dev_vectors() -> list[dict[str, str]]:
    with DEV_VECTORS.open(newline="") as f:
        return list(csv.DictReader(f))


def _dev_inputs(row: dict[str, str]) -> dict[str, Any]:
    """Defaults (clinical.md section 2): White, non-smoker, Townsend 0, no flags, age 60,
    height 1.83 m, weight 90 kg; BMI is weight/height^2 unless given."""
    given_inputs = json.loads(row["inputs_json"])
    height, weight = given_inputs.get("height", 1.83), given_inputs.get("weight", 90.0)
    inputs: dict[str, Any] = {
        "model": row["model"],
        "sex": row["sex"],
        "age": given_inputs.get("age", 60.0),
        "ethnicity": 1,
        "smoking": 0,
        "bmi": given_inputs.get("bmi", weight / height**2),
        "townsend": 0.0,
    }
    for key, arg in DEV_FLAGS.items():
        if key in given_inputs:
            inputs[arg] = bool(given_inputs[key])
    if "fpg" in given_inputs:
        inputs["fasting_glucose"] = given_inputs["fpg"]
    if "hba1c" in given_inputs:
        inputs["hba1c"] = given_inputs["hba1c"]
    unknown = set(given_inputs) - {"height", "weight", "age", "bmi", "fpg", "hba1c", *DEV_FLAGS}
    assert not unknown
    return inputs


@pytest.mark.parametrize("row", _dev_vectors(), ids=lambda r: "-".join(r.values()))
def test_dev_vector(row: dict[str, str]) -> None:
    risk = qdiabetes2018_score(**_dev_inputs(row))
    assert abs(risk - float(row["expected_1dp"])) <= DEV_TOLERANCE


def test_bmi_clamped_to_20_40() -> None:
    risk = qdiabetes2018_score_array(**{**PERSON, "bmi": np.array([12.0, 20.0, 20.5, 40.0, 55.0])})
    assert risk[0] == risk[1] < risk[2] < risk[3] == risk[4]


def _people(model: str) -> st.SearchStrategy[dict[str, Any]]:
    blood = {
        "A": {},
        "B": {"fasting_glucose": st.floats(2.0, 7.0, exclude_max=True)},
        "C": {"hba1c": st.floats(15, 48, exclude_max=True)},
    }[model]
    return st.fixed_dictionaries(
        {
            "sex": st.sampled_from(["female", "male"]),
            "age": st.floats(25, 85, exclude_max=True),
            "ethnicity": st.integers(0, 9),
            "smoking": st.integers(0, 4),
            "bmi": st.floats(10, 80),
            "townsend": st.floats(-7, 11),
            **blood,
            **{flag: st.booleans() for flag in FLAG_TERMS},
        }
    )


_batches = st.sampled_from("ABC").flatmap(
    lambda m: st.tuples(st.just(m), st.lists(_people(m), min_size=1, max_size=40))
)


def _columns(people: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {k: np.array([p[k] for p in people]) for k in people[0]}


@settings(max_examples=60, deadline=None)
@given(_batches)
def test_vectorised_equals_scalar(batch: tuple[str, list[dict[str, Any]]]) -> None:
    model, people = batch
    vectorised = qdiabetes2018_score_array(model=model, **_columns(people))
    assert np.array_equal(vectorised, [qdiabetes2018_score(model=model, **p) for p in people])


@settings(max_examples=30, deadline=None)
@given(_batches)
def test_models_equal_equations(batch: tuple[str, list[dict[str, Any]]]) -> None:
    model, people = batch
    columns = _columns(people)
    kernel_inputs = {**columns, "female": columns["sex"] == "female"}
    del kernel_inputs["sex"]
    risk = qdiabetes2018_risk_percent(model=model, **kernel_inputs)
    assert np.array_equal(qdiabetes2018_score_array(model=model, **columns), risk)
    hazard = qdiabetes2018_cumulative_hazard_10y(model=model, **kernel_inputs)
    assert np.array_equal(risk, -100.0 * np.expm1(-hazard))


@pytest.mark.parametrize("model", "ABC")
def test_large_batch_is_row_independent(model: str) -> None:
    """Scores do not depend on batch size, order or chunking (the simulator's 100k batches)."""
    rng = np.random.default_rng(1)
    n = 20_000
    columns: dict[str, np.ndarray] = {
        "sex": rng.choice(["female", "male"], n),
        "age": rng.uniform(25, 85, n),
        "ethnicity": rng.integers(0, 10, n),
        "smoking": rng.integers(0, 5, n),
        "bmi": rng.uniform(15, 50, n),
        "townsend": rng.uniform(-7, 11, n),
        **{flag: rng.random(n) < 0.2 for flag in FLAG_TERMS},
    }
    if model == "B":
        columns["fasting_glucose"] = rng.uniform(3.0, 6.9, n)
    if model == "C":
        columns["hba1c"] = rng.uniform(20.0, 47.0, n)
    risk = qdiabetes2018_score_array(model=model, **columns)
    order = rng.permutation(n)
    shuffled = qdiabetes2018_score_array(model=model, **{k: v[order] for k, v in columns.items()})
    assert np.array_equal(shuffled, risk[order])
    for i in rng.choice(n, 25, replace=False):
        person = {k: v[i].item() for k, v in columns.items()}
        assert qdiabetes2018_score(model=model, **person) == risk[i]


@pytest.mark.parametrize("flag", ["gestational_diabetes", "pcos"])
def test_female_only_flags_ignored_for_men(flag: str) -> None:
    assert qdiabetes2018_score(**PERSON, **{flag: True}) == qdiabetes2018_score(**PERSON)
    female = {**PERSON, "sex": "female"}
    assert qdiabetes2018_score(**female, **{flag: True}) > qdiabetes2018_score(**female)


@pytest.mark.parametrize(
    ("model", "flag", "sex"),
    [
        (model, flag, sex)
        for model in "ABC"
        for sex in ("female", "male")
        for flag in FLAG_TERMS
        if sex == "female" or flag not in ("gestational_diabetes", "pcos")
    ],
)
def test_every_flag_changes_risk(model: str, flag: str, sex: str) -> None:
    person = {**PERSON, "model": model, "sex": sex, **BLOOD_TEST[model]}
    assert qdiabetes2018_score(**person, **{flag: True}) != qdiabetes2018_score(**person)


def test_blood_tests_raise_risk() -> None:
    b = {**PERSON, "model": "B"}
    assert np.all(np.diff(qdiabetes2018_score_array(**b, fasting_glucose=[4.0, 5.0, 6.5])) > 0)
    c = {**PERSON, "model": "C"}
    assert np.all(np.diff(qdiabetes2018_score_array(**c, hba1c=[30.0, 38.0, 45.0])) > 0)


_INVALID = [
    ("sex", "F", "'female' or 'male'"),
    ("age", 24.0, "[25, 85) years"),
    ("age", 85.0, "[25, 85) years"),
    ("age", float("nan"), "[25, 85) years"),
    ("ethnicity", 10, "integer code 0-9"),
    ("ethnicity", 2.0, "integer code 0-9"),
    ("smoking", -1, "integer code 0-4"),
    ("bmi", 9.0, "[10, 80] kg/m2"),
    ("bmi", 81.0, "[10, 80] kg/m2"),
    ("townsend", 12.0, "[-7, 11]"),
    ("townsend", "0", "[-7, 11]"),
] + [(flag, 0, "a bool") for flag in FLAG_TERMS]

_INVALID_BLOOD = [
    ("B", "fasting_glucose", 1.9, "[2, 7) mmol/L"),
    ("B", "fasting_glucose", 7.0, "[2, 7) mmol/L"),
    ("C", "hba1c", 14.0, "[15, 48) mmol/mol"),
    ("C", "hba1c", 48.0, "[15, 48) mmol/mol"),
]


@pytest.mark.parametrize(("field", "value", "allowed"), _INVALID)
def test_invalid_input_scalar(field: str, value: Any, allowed: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be .*{re.escape(allowed)}"):
        qdiabetes2018_score(**{**PERSON, field: value})


@pytest.mark.parametrize(("field", "value", "allowed"), _INVALID)
def test_invalid_input_array(field: str, value: Any, allowed: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be .*{re.escape(allowed)}.*index 0"):
        qdiabetes2018_score_array(**{**PERSON, field: np.array([value] * 3)})


@pytest.mark.parametrize(("model", "field", "value", "allowed"), _INVALID_BLOOD)
def test_invalid_blood_test(model: str, field: str, value: float, allowed: str) -> None:
    person = {**PERSON, "model": model}
    with pytest.raises(ValueError, match=rf"^{field} must be .*{re.escape(allowed)}"):
        qdiabetes2018_score(**person, **{field: value})
    with pytest.raises(ValueError, match=rf"^{field} must be .*{re.escape(allowed)}.*index 1"):
        qdiabetes2018_score_array(**person, **{field: np.array([BLOOD_TEST[model][field], value])})


@pytest.mark.parametrize("model", ["a", "D", None, 1])
def test_invalid_model(model: Any) -> None:
    with pytest.raises(ValueError, match=r"^model must be one of 'A', 'B', 'C'"):
        qdiabetes2018_score(**{**PERSON, "model": model})


@pytest.mark.parametrize(("model", "test"), [("B", "fasting_glucose"), ("C", "hba1c")])
def test_missing_blood_test(model: str, test: str) -> None:
    with pytest.raises(ValueError, match=rf"^{test} is required for model {model}: a real number"):
        qdiabetes2018_score(**{**PERSON, "model": model})


@pytest.mark.parametrize(
    ("model", "test"),
    [("A", "fasting_glucose"), ("A", "hba1c"), ("B", "hba1c"), ("C", "fasting_glucose")],
)
def test_unused_blood_test_rejected(model: str, test: str) -> None:
    unused = {"fasting_glucose": 5.0, "hba1c": 35.0}[test]
    person = {**PERSON, "model": model, **BLOOD_TEST[model], test: unused}
    with pytest.raises(ValueError, match=rf"^{test} is not an input of model {model}"):
        qdiabetes2018_score(**person)


def test_scalar_api_rejects_arrays() -> None:
    with pytest.raises(ValueError, match="bmi must be a scalar; use qdiabetes2018_score_array"):
        qdiabetes2018_score(**{**PERSON, "bmi": np.array([25.0])})


def test_disclaimer_referenced() -> None:
    assert "CLINRISK_DISCLAIMER" in (qdiabetes_module.__doc__ or "")
