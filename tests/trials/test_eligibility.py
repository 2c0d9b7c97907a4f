"""Eligibility on hand-built cohorts: inclusive ranges, open ends, NaN, conditions, flags, any_of."""

from __future__ import annotations

import numpy as np

from twin_env.trials.eligibility import eligible, meets
from twin_env.trials.schema import Criteria, Eligibility, Range


def _cohort() -> dict[str, np.ndarray]:
    return {
        "age": np.array([79.9, 80.0, 90.0, 100.0, 85.0]),
        "sbp_mmhg": np.array([170.0, 160.0, 199.0, 199.5, 180.0]),
        "egfr": np.array([50.0, 29.9, 30.0, 90.0, 60.0]),
        "qrisk3_percent": np.array([np.nan, 10.0, 20.0, 15.0, np.nan]),
        "hypertension": np.array([True, True, True, True, False]),
        "stroke_tia": np.array([False, False, True, False, False]),
        "chd": np.array([False, True, False, False, False]),
        "on_statin": np.array([False, False, False, True, False]),
    }


def test_ranges_are_inclusive_and_null_is_open() -> None:
    c = _cohort()
    assert meets(Criteria(age=Range(80, 100)), c).tolist() == [False, True, True, True, True]
    assert meets(Criteria(sbp_mmhg=Range(160, 199)), c).tolist() == [True, True, True, False, True]
    assert meets(Criteria(egfr=Range(30, None)), c).tolist() == [True, False, True, True, True]
    assert meets(Criteria(egfr=Range(None, None)), c).all()


def test_nan_fails_a_bounded_range() -> None:
    assert meets(Criteria(qrisk3_percent=Range(15, None)), _cohort()).tolist() == [False, False, True, True, False]


def test_conditions_and_treatment_flags() -> None:
    c = _cohort()
    assert meets(Criteria(require_all=("hypertension",)), c).tolist() == [True, True, True, True, False]
    assert meets(Criteria(exclude_any=("stroke_tia", "chd")), c).tolist() == [True, False, False, True, True]
    assert meets(Criteria(on_statin=False), c).tolist() == [True, True, True, False, True]
    assert meets(Criteria(on_statin=True), c).tolist() == [False, False, False, True, False]


def test_any_of_needs_one_group_and_all_main_criteria() -> None:
    c = _cohort()
    rule = Eligibility(
        require_all=("hypertension",),
        any_of=(Criteria(require_all=("chd",)), Criteria(qrisk3_percent=Range(15, None))),
    )
    assert eligible(rule, c).tolist() == [False, True, True, True, False]
    assert eligible(Eligibility(), c).all()
