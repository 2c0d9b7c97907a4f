"""The evaluation's intervals against scipy.stats and statistics worked by hand: never a negative bound on a count."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from twin_env.evaluation.intervals import (
    BOOTSTRAP_RESAMPLES,
    bootstrap_mean_ci,
    paired_difference,
    poisson_rate_ci,
    summarise,
    wilson_ci,
)


def test_wilson_matches_the_closed_form_and_scipy() -> None:
    k, n, z = 7, 40, stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert wilson_ci(k, n) == pytest.approx((centre - half, centre + half), rel=1e-9)
    low, high = wilson_ci(0, 12)
    assert low == 0.0 and high == pytest.approx(z**2 / (12 + z**2))  # k = 0: upper bound z^2 / (n + z^2)


def test_exact_poisson_matches_hand_worked_values() -> None:
    assert poisson_rate_ci(0, 1) == pytest.approx((0.0, 3.688879), rel=1e-6)  # -ln(0.025)
    assert poisson_rate_ci(10, 1) == pytest.approx((4.795389, 18.390356), rel=1e-6)  # Garwood 1936 table
    low, high = poisson_rate_ci(10, 100)
    assert (low, high) == pytest.approx((0.04795389, 0.18390356), rel=1e-6)


def test_counts_and_shares_never_get_a_negative_bound() -> None:
    rare = np.zeros(200)
    rare[:2] = 1.0  # 2 events in 200 patients: the normal approximation would go below zero
    for kind in ("count", "proportion", "mean"):
        s = summarise(rare, kind)
        assert s["ci_low"] >= 0.0 and s["ci_low"] <= s["mean"] <= s["ci_high"] and s["n"] == 200
    assert summarise(np.zeros(5), "count")["ci_low"] == 0.0 and summarise(np.zeros(5), "count")["ci_high"] > 0


def test_bootstrap_is_scipy_percentile_and_deterministic() -> None:
    v = np.random.default_rng(1).gamma(2.0, 3.0, size=150)
    low, high = bootstrap_mean_ci(v)
    ref = stats.bootstrap(
        (v,), np.mean, n_resamples=BOOTSTRAP_RESAMPLES, method="percentile", rng=np.random.default_rng(7)
    ).confidence_interval
    assert (low, high) == bootstrap_mean_ci(v.copy())
    assert (
        low < v.mean() < high and low == pytest.approx(ref.low, rel=0.03) and high == pytest.approx(ref.high, rel=0.03)
    )
    assert bootstrap_mean_ci(np.full(4, 2.5)) == (2.5, 2.5)


def test_summary_ignores_nan_and_needs_two_values() -> None:
    s = summarise(np.array([1.0, np.nan, 3.0]), "mean")
    assert s["n"] == 2 and s["mean"] == 2.0
    one = summarise(np.array([np.nan, 4.0]), "mean")
    assert one["n"] == 1 and one["mean"] == 4.0 and np.isnan(one["ci_low"])
    assert summarise(np.array([1.0]), "proportion")["ci_low"] == wilson_ci(1, 1)[0] > 0
    assert summarise(np.array([np.nan]), "count")["n"] == 0


def test_paired_difference_is_narrower_than_unpaired_on_correlated_data() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(30_000, 5_000, size=300)
    treated = base + rng.normal(100, 50, size=300)  # same patients: a small, consistent gain
    d = paired_difference(treated, base)
    assert d["ci_low"] > 0 and d["mean"] == pytest.approx((treated - base).mean())
    unpaired = summarise(treated, "mean")["ci_high"] - summarise(treated, "mean")["ci_low"]
    assert d["ci_high"] - d["ci_low"] < unpaired / 10
    with_nan = paired_difference(np.array([1.0, np.nan, 3.0, 5.0]), np.array([0.0, 1.0, np.nan, 4.0]))
    assert with_nan["n"] == 2 and with_nan["mean"] == 1.0
