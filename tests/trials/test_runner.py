"""run_trial on small cohorts: flow, paired identity, zero physiology shift, strategies, determinism."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from twin_env.trials import ProtocolError, TrialResult, run_trial

ANY = ["death", "mi", "stroke", "tia", "heart_failure", "angina", "atrial_fibrillation", "type2_diabetes", "ckd_3_5"]

TWO_ARMS = [{"name": "usual", "strategy": {"kind": "none"}}, {"name": "other", "strategy": {"kind": "none"}}]


def _protocol(arms: list[dict], *, n: int = 400, allocation: str = "paired", years: float = 0.5) -> dict:
    return {
        "version": 1,
        "name": "test",
        "population": {"n": n, "seed": 3, "min_age": 70, "max_age": 90, "start_date": "2020-04-01"},
        "eligibility": {"sbp_mmhg": [140, None]},
        "allocation": allocation,
        "arms": arms,
        "reference_arm": "usual",
        "follow_up_years": years,
        "outcomes": {"any": ANY, "death": ["death"]},
    }


@pytest.fixture(scope="module")
def paired() -> TrialResult:
    arms = [
        {"name": "usual", "strategy": {"kind": "none"}},
        {"name": "usual_again", "strategy": {"kind": "none"}},
        {"name": "zero_shift", "strategy": {"kind": "physiology", "sbp_offset_mmhg": 0.0}},
        {"name": "indapamide", "strategy": {"kind": "drugs", "start": [{"drug": "indapamide", "dose": 1.0}]}},
        {"name": "intensive", "strategy": {"kind": "bp_target", "target_sbp_mmhg": 120, "visit_months": 1}},
        {"name": "lower_sbp", "strategy": {"kind": "physiology", "sbp_offset_mmhg": -20.0}},
        {"name": "guideline", "strategy": {"kind": "policy", "policy": "nice_guideline"}},
    ]
    return run_trial(_protocol(arms, n=300, years=1.0))  # one year: achieved has year 0 and year 1


def _rows(result: TrialResult, arm: str) -> pd.DataFrame:
    return result.per_patient[result.per_patient["arm"] == arm].drop(columns="arm").reset_index(drop=True)


def test_flow_counts_add_up(paired: TrialResult) -> None:
    flow = paired.flow
    assert flow["sampled"] == 300 and 0 < flow["eligible"] < 300
    for arm, n in flow["allocated"].items():
        assert n == flow["eligible"]
        assert flow["died"][arm] + flow["completed"][arm] == n
    assert set(paired.to_json()) == {"flow", "baseline", "achieved", "outcomes"}


def test_identical_strategies_give_identical_patients_and_hr_one(paired: TrialResult) -> None:
    pd.testing.assert_frame_equal(_rows(paired, "usual"), _rows(paired, "usual_again"))
    result = paired.outcomes["any"]["usual_again"]
    assert result.events > 0
    assert result.hr == 1.0


def test_zero_physiology_shift_changes_nothing(paired: TrialResult) -> None:
    pd.testing.assert_frame_equal(_rows(paired, "usual"), _rows(paired, "zero_shift"))
    assert paired.outcomes["any"]["zero_shift"].hr == 1.0
    assert paired.achieved["zero_shift"] == paired.achieved["usual"]


def test_sbp_shift_lowers_achieved_sbp(paired: TrialResult) -> None:
    usual, lower = paired.achieved["usual"]["sbp_mmhg"], paired.achieved["lower_sbp"]["sbp_mmhg"]
    assert lower[0] == usual[0]  # year 0 is before the shift
    assert lower[-1] < usual[-1] - 10.0


def test_drugs_arm_prescribes_at_baseline(paired: TrialResult) -> None:
    classes = paired.achieved["indapamide"]["drug_classes"]
    assert classes[-1] > paired.achieved["usual"]["drug_classes"][-1] + 0.5


def test_bp_target_lowers_achieved_sbp(paired: TrialResult) -> None:
    assert paired.achieved["intensive"]["sbp_mmhg"][-1] < paired.achieved["usual"]["sbp_mmhg"][-1] - 5.0
    assert paired.achieved["intensive"]["drug_classes"][-1] > 1.5


def test_policy_arm_runs(paired: TrialResult) -> None:
    assert paired.flow["allocated"]["guideline"] == paired.flow["eligible"]
    assert np.isfinite(paired.achieved["guideline"]["sbp_mmhg"][-1])


def test_randomised_trial_is_deterministic_to_the_byte() -> None:
    arms = [
        {"name": "usual", "strategy": {"kind": "none"}},
        {"name": "intensive", "strategy": {"kind": "bp_target", "target_sbp_mmhg": 130, "visit_months": 2}},
    ]
    calls: list[tuple[int, int]] = []
    first = run_trial(_protocol(arms, n=300, allocation="randomised"), progress=lambda d, t: calls.append((d, t)))
    again = run_trial(_protocol(arms, n=300, allocation="randomised"))
    assert json.dumps(first.to_json(), sort_keys=True) == json.dumps(again.to_json(), sort_keys=True)
    pd.testing.assert_frame_equal(first.per_patient, again.per_patient)
    allocated = first.flow["allocated"]
    assert abs(allocated["usual"] - allocated["intensive"]) <= 1
    assert calls[-1] == (12, 12) and len(calls) == 12  # 6 monthly steps per arm


def test_too_few_eligible_is_a_one_line_error() -> None:
    protocol = _protocol(TWO_ARMS, n=20)
    protocol["eligibility"] = {"sbp_mmhg": [290, 300]}
    with pytest.raises(ValueError, match=r"^eligibility: 0 of 20 sampled patients are eligible"):
        run_trial(protocol)


def test_invalid_protocol_is_refused_before_any_work() -> None:
    protocol = _protocol(TWO_ARMS)
    protocol["follow_up_years"] = -1
    with pytest.raises(ProtocolError, match="follow_up_years"):
        run_trial(protocol)


def test_a_loose_target_never_withdraws_treatment_taken_before_the_trial() -> None:
    """A target far above everyone's SBP: the titration steps nobody up, so it may step nobody down either."""
    arms = [
        {"name": "usual", "strategy": {"kind": "none"}},
        {"name": "loose", "strategy": {"kind": "bp_target", "target_sbp_mmhg": 200, "visit_months": 1}},
    ]
    result = run_trial(_protocol(arms, n=300, years=0.5))
    usual, loose = result.achieved["usual"]["drug_classes"], result.achieved["loose"]["drug_classes"]
    assert usual[0] > 0.3  # people were on treatment at baseline
    assert loose == usual  # paired, same care: no class was stopped by the algorithm
