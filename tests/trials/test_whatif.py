"""The what-if forecast engine on sampled states: determinism, common random numbers, re-keying, summaries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from twin_env.trials.protocol import parse_arm
from twin_env.trials.whatif import FORECAST_OUTCOMES, forecast
from twin_env.trials.whatif_summary import summarise
from twin_env.twin.cohort import sample_population

START = dt.date(2024, 1, 1)
NONE = parse_arm({"kind": "none"}, "s")
ATORVASTATIN_80 = {"kind": "drugs", "start": [{"drug": "atorvastatin", "dose": 80}]}
STATIN = parse_arm({"name": "statin", "strategy": ATORVASTATIN_80}, "s")


def _states(n: int = 40, seed: int = 5):
    return sample_population(n, seed, min_age=60, max_age=80)


def _same(a, b) -> bool:
    return all(np.array_equal(a.first_years[k], b.first_years[k], equal_nan=True) for k in a.first_years) and (
        np.array_equal(a.death_years, b.death_years, equal_nan=True)
        and np.array_equal(a.qalys, b.qalys)
        and np.array_equal(a.cost_gbp, b.cost_gbp)
    )


def test_same_states_and_seed_give_identical_forecasts() -> None:
    state, dx = _states()
    one = forecast(state, dx, [NONE, STATIN], start_date=START, years=1, seed=2)
    two = forecast(state, dx, [NONE, STATIN], start_date=START, years=1, seed=2)
    assert all(_same(one.strategies[k], two.strategies[k]) for k in ("none", "statin"))
    other = forecast(state, dx, [NONE], start_date=START, years=1, seed=3)
    assert not _same(one.strategies["none"], other.strategies["none"])


def test_a_strategy_does_not_depend_on_the_others_run_beside_it() -> None:
    state, dx = _states()
    alone = forecast(state, dx, [NONE], start_date=START, years=1, seed=2).strategies["none"]
    beside = forecast(state, dx, [STATIN, NONE], start_date=START, years=1, seed=2).strategies["none"]
    assert _same(alone, beside)


def test_repeated_samples_meet_their_own_chance_and_the_input_is_not_changed() -> None:
    state, dx = sample_population(1, 0, min_age=85, max_age=90)
    key = state.patient_key.copy()
    many, many_dx = state.take(np.zeros(60, dtype=np.intp)), dx.take(np.zeros(60, dtype=np.intp))
    result = forecast(many, many_dx, [NONE], start_date=START, years=5, seed=0).strategies["none"]
    assert 0 < np.count_nonzero(np.isnan(result.death_years)) < 60 and np.unique(result.qalys).size > 1
    assert np.array_equal(state.patient_key, key) and np.unique(many.patient_key).size == 1


def test_summary_holds_each_outcome_by_year_and_intervals_around_the_mean() -> None:
    state, dx = _states()
    out = summarise(forecast(state, dx, [NONE, STATIN], start_date=START, years=2, seed=1))
    assert list(out) == ["none", "statin"]
    for s in out.values():
        assert list(s) == ["risk_by_year", "qalys", "cost_gbp"]
        assert list(s["risk_by_year"]) == list(FORECAST_OUTCOMES)
        for rows in s["risk_by_year"].values():
            assert [r["year"] for r in rows] == [1, 2]
            assert all(0 <= r["p05"] <= r["mean"] <= r["p95"] <= 1 for r in rows)
            assert rows[0]["mean"] <= rows[1]["mean"]
        for key in ("qalys", "cost_gbp"):
            assert s[key]["p05"] <= s[key]["mean"] <= s[key]["p95"]
        assert 0 < s["qalys"]["mean"] < 2 and s["cost_gbp"]["mean"] > 0


@pytest.mark.parametrize(
    ("arms", "years", "message"),
    [
        ([NONE], 0, "years must be"),
        ([NONE], 2.5, "years must be"),
        ([NONE, NONE], 1, "distinct names"),
        ([], 1, "at least one"),
    ],
)
def test_bad_requests_are_one_line_errors(arms, years, message: str) -> None:
    state, dx = _states(2)
    with pytest.raises(ValueError, match=message) as info:
        forecast(state, dx, arms, start_date=START, years=years, seed=0)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_a_statin_lowers_the_risk_of_mi_on_common_random_numbers() -> None:
    """1,000 people aged 65-85 not on a statin, five years: atorvastatin 80 mg against background care alone."""
    state, dx = sample_population(2000, 7, min_age=65, max_age=85)
    keep = np.flatnonzero(state.statin_ldl_reduction == 0)[:1000]
    result = forecast(state.take(keep), dx.take(keep), [NONE, STATIN], start_date=START, years=5, seed=7)
    risk = {k: summarise(result)[k]["risk_by_year"]["mi"][-1]["mean"] for k in ("none", "statin")}
    assert risk["statin"] < risk["none"]
    cvd = {k: np.count_nonzero(~np.isnan(v.first_years["cvd"])) for k, v in result.strategies.items()}
    assert cvd["statin"] < cvd["none"]
