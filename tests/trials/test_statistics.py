"""Trial statistics: Cox HR against lifelines and an independent Efron fit, risk ratios by hand, zero events."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi, load_waltons
from scipy.optimize import minimize_scalar

from twin_env.trials.statistics import (
    Z95,
    compare_arms,
    kaplan_meier,
    outcome_json,
    paired_risk_ratio,
    risk_ratio,
)


def _efron_log_likelihood(beta: float, time: np.ndarray, event: np.ndarray, x: np.ndarray) -> float:
    """Cox partial log-likelihood with Efron ties, written out from the formula (one covariate)."""
    total = 0.0
    for t in np.unique(time[event]):
        dead = (time == t) & event
        at_risk = time >= t
        d = int(dead.sum())
        risk_sum = np.exp(beta * x[at_risk]).sum()
        tied_sum = np.exp(beta * x[dead]).sum()
        total += beta * x[dead].sum() - sum(math.log(risk_sum - (k / d) * tied_sum) for k in range(d))
    return total


def test_hr_matches_a_direct_lifelines_fit_on_rossi() -> None:
    rossi = load_rossi()
    direct = CoxPHFitter().fit(rossi[["week", "arrest", "fin"]], "week", "arrest")
    arm = np.where(rossi["fin"] == 1, "aid", "no_aid")
    result = compare_arms(arm, rossi["week"] / 52.0, rossi["arrest"], "no_aid")["aid"]
    lo, hi = np.exp(direct.confidence_intervals_.loc["fin"])
    assert result.hr == pytest.approx(float(direct.hazard_ratios_["fin"]), rel=1e-7)
    assert result.hr_ci95 == pytest.approx((lo, hi), rel=1e-7)
    assert result.events == int(rossi.loc[rossi["fin"] == 1, "arrest"].sum())


def test_hr_matches_an_independent_efron_fit_on_waltons() -> None:
    waltons = load_waltons()
    time, event = waltons["T"].to_numpy(), waltons["E"].to_numpy().astype(bool)
    x = (waltons["group"] == "miR-137").to_numpy().astype(float)
    best = minimize_scalar(
        lambda b: -_efron_log_likelihood(b, time, event, x), bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
    )
    result = compare_arms(waltons["group"], time, event, "control")["miR-137"]
    assert math.log(result.hr) == pytest.approx(best.x, abs=1e-5)


def test_identical_arms_give_hr_exactly_one_with_zero_log_rank() -> None:
    time = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0])
    event = np.array([1, 1, 0, 1, 1, 0, 1, 0], dtype=bool)
    arm = np.repeat(["a", "b"], len(time))
    t2, e2 = np.tile(time, 2), np.tile(event, 2)
    # Mantel-Haenszel / log-rank: observed minus expected in arm a is 0 at every event time.
    o_minus_e = sum(
        (e2 & (t2 == t) & (arm == "a")).sum()
        - (e2 & (t2 == t)).sum() * ((t2 >= t) & (arm == "a")).sum() / (t2 >= t).sum()
        for t in np.unique(time[event])
    )
    assert o_minus_e == 0
    for patient in (None, np.tile(np.arange(len(time)), 2)):
        result = compare_arms(arm, t2, e2, "b", patient_id=patient)["a"]
        assert result.hr == 1.0
        assert result.rr == 1.0
        assert result.hr_ci95[0] <= 1.0 <= result.hr_ci95[1]


def test_identical_arms_in_shuffled_order_still_give_exactly_one() -> None:
    rng = np.random.default_rng(3)
    time = rng.integers(1, 60, 400) / 12.0
    event = rng.random(400) < 0.3
    order = rng.permutation(800)
    arm = np.repeat(["x", "ref"], 400)[order]
    result = compare_arms(arm, np.tile(time, 2)[order], np.tile(event, 2)[order], "ref")
    assert result["x"].hr == 1.0


def test_risk_ratio_against_a_hand_computation() -> None:
    rr, (lo, hi) = risk_ratio(30, 100, 50, 100)
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 50 - 1 / 100)
    assert rr == pytest.approx(0.6)
    assert (lo, hi) == pytest.approx((0.6 * math.exp(-Z95 * se), 0.6 * math.exp(Z95 * se)))
    assert (lo, hi) == pytest.approx((0.41951, 0.85814), abs=1e-5)


def test_risk_ratio_zero_cells() -> None:
    rr, (lo, hi) = risk_ratio(0, 100, 10, 100)
    assert rr == pytest.approx(0.5 / 10.5)  # 0.5 added to every cell: (0.5/101) / (10.5/101)
    assert lo < rr < hi
    assert all(math.isnan(x) for x in (risk_ratio(0, 100, 0, 100)[0], *risk_ratio(0, 100, 0, 100)[1]))


def test_zero_event_arms_do_not_crash() -> None:
    time = np.ones(40)
    event = np.r_[np.zeros(20), np.r_[np.ones(5), np.zeros(15)]].astype(bool)
    arm = np.repeat(["treated", "control"], 20)
    treated = compare_arms(arm, time, event, "control")["treated"]
    assert treated.hr == 0.0 and treated.hr_ci95[0] == 0.0 and math.isnan(treated.hr_ci95[1])
    assert treated.events == 0
    reverse = compare_arms(arm, time, event, "treated")["control"]
    assert reverse.hr == math.inf
    none = compare_arms(arm, time, np.zeros(40, dtype=bool), "control")["treated"]
    assert math.isnan(none.hr) and math.isnan(none.rr)
    json.dumps(outcome_json({"r": reverse, "n": none}), allow_nan=False)  # null, never NaN or Infinity


def test_json_shape_and_reference_arm() -> None:
    rossi = load_rossi()
    results = compare_arms(np.where(rossi["fin"] == 1, "aid", "none"), rossi["week"], rossi["arrest"], "none")
    table = outcome_json(results)
    assert list(table) == ["none", "aid"]
    assert set(table["aid"]) == {"events", "person_years", "hr", "hr_ci95", "rr", "rr_ci95"}
    assert table["none"]["hr"] == 1 and table["none"]["rr"] == 1 and table["none"]["hr_ci95"] == [None, None]
    assert results["none"].person_years == pytest.approx(rossi.loc[rossi["fin"] == 0, "week"].sum())
    aid = results["aid"]
    assert aid.rate_per_1000_person_years == pytest.approx(1000 * aid.events / aid.person_years)


def test_paired_design_uses_a_cluster_robust_variance() -> None:
    rng = np.random.default_rng(0)
    n = 300
    base = rng.exponential(8.0, n)
    t_ref, t_arm = np.minimum(base, 5.0), np.minimum(base * 1.3, 5.0)  # the arm delays every event
    e_ref, e_arm = base < 5.0, base * 1.3 < 5.0
    arm = np.repeat(["arm", "ref"], n)
    time, event = np.r_[t_arm, t_ref], np.r_[e_arm, e_ref]
    patient = np.tile(np.arange(n), 2)
    paired = compare_arms(arm, time, event, "ref", patient_id=patient)["arm"]
    naive = compare_arms(arm, time, event, "ref")["arm"]
    direct = CoxPHFitter().fit(
        pd.DataFrame({"t": time, "e": event.astype(int), "x": (arm == "arm") * 1.0, "id": patient}),
        "t",
        "e",
        cluster_col="id",
    )
    assert paired.hr == pytest.approx(naive.hr, rel=1e-7)
    assert paired.hr_ci95 == pytest.approx(tuple(np.exp(direct.confidence_intervals_.loc["x"])), rel=1e-7)
    assert paired.hr_ci95[1] - paired.hr_ci95[0] < naive.hr_ci95[1] - naive.hr_ci95[0]
    b, c = int(np.sum(e_arm & ~e_ref)), int(np.sum(~e_arm & e_ref))
    a = int(np.sum(e_arm & e_ref))
    assert paired.rr == pytest.approx((a + b) / (a + c))


def test_paired_risk_ratio_by_hand_and_validation() -> None:
    arm = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    ref = np.array([1, 1, 0, 1, 1, 0, 0, 0, 0, 0], dtype=bool)  # a=2, b=1, c=2
    rr, (lo, hi) = paired_risk_ratio(arm, ref)
    se = math.sqrt(3 / (3 * 4))
    assert rr == pytest.approx(0.75)
    assert (lo, hi) == pytest.approx((0.75 * math.exp(-Z95 * se), 0.75 * math.exp(Z95 * se)))
    with pytest.raises(ValueError, match="exactly once in every arm"):
        compare_arms(["a", "b", "b"], [1, 1, 1], [0, 1, 0], "b", patient_id=[1, 1, 2])


def test_kaplan_meier_by_hand() -> None:
    curves = kaplan_meier(["a"] * 3 + ["b"] * 2, [1.0, 2.0, 3.0, 1.0, 1.0], [1, 1, 0, 0, 0])
    a = curves["a"]
    assert a.time_years.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert a.survival == pytest.approx([1.0, 2 / 3, 1 / 3, 1 / 3])
    assert a.at_risk.tolist() == [3, 3, 2, 1]
    assert curves["b"].survival.tolist() == [1.0, 1.0]
    assert set(a.to_json()) == {"time_years", "survival", "ci95_lower", "ci95_upper", "at_risk"}


def test_arms_order_and_an_empty_arm() -> None:
    results = compare_arms(["r", "a", "r", "a"], [1.0, 2.0, 3.0, 1.0], [1, 1, 0, 0], "r", arms=["a", "empty", "r"])
    assert list(results) == ["a", "empty", "r"]
    empty = results["empty"]
    assert empty.patients == 0 and empty.events == 0 and math.isnan(empty.hr) and math.isnan(empty.rr)
    with pytest.raises(ValueError, match="not listed"):
        compare_arms(["r", "a"], [1.0, 1.0], [1, 1], "r", arms=["r"])


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        compare_arms(["a", "b"], [-1.0, 1.0], [0, 1], "b")
    with pytest.raises(ValueError, match="reference arm"):
        compare_arms(["a", "b"], [1.0, 1.0], [0, 1], "c")
    with pytest.raises(ValueError, match="0/1"):
        compare_arms(["a", "b"], [1.0, 1.0], [0, 2], "b")


def test_collapsing_censored_rows_matches_a_direct_fit_with_heavy_ties() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    x = rng.integers(0, 2, n)
    time = np.minimum(np.ceil(rng.exponential(np.where(x == 1, 12.0, 9.0)) * 12) / 12, 5.0)  # monthly, 5-year cut
    event = (time < 5.0) & (rng.random(n) < 0.8)
    direct = CoxPHFitter().fit(pd.DataFrame({"t": time, "e": event.astype(int), "x": x * 1.0}), "t", "e")
    result = compare_arms(np.where(x == 1, "b", "a"), time, event, "a")["b"]
    assert result.hr == pytest.approx(float(direct.hazard_ratios_["x"]), rel=1e-9)
    assert result.hr_ci95 == pytest.approx(tuple(np.exp(direct.confidence_intervals_.loc["x"])), rel=1e-9)
