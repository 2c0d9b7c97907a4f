"""95% confidence intervals for the evaluation's per-patient metrics, from scipy.stats.

Each metric has a kind (:data:`IntervalKind`) that picks its interval:

- ``proportion``: a share of patients (values 0 or 1): Wilson score interval (``binomtest(...).proportion_ci``);
- ``count``: events per patient (whole numbers >= 0): exact (Garwood) Poisson interval on the cohort total,
  ``chi2.ppf(a/2, 2k)/2`` to ``chi2.ppf(1-a/2, 2k+2)/2``, divided by the patients;
- ``mean``: any other per-patient value: percentile bootstrap of the mean (``scipy.stats.bootstrap``).

A paired difference between two policies on the same patients is a paired bootstrap of the mean difference.
No interval of a count or a share goes below zero. The bootstrap draws from a fixed seed (deterministic).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy import stats

IntervalKind = Literal["proportion", "count", "mean"]
CONFIDENCE = 0.95
#: Bootstrap resamples and the seed they are drawn from (fixed: the same data gives the same interval).
BOOTSTRAP_RESAMPLES = 2_000
BOOTSTRAP_SEED = 20_250_007
#: Values resampled per batch (resamples x patients), bounding the bootstrap's memory (8 bytes each).
_BOOTSTRAP_BATCH_VALUES = 4_000_000
#: How each kind's interval is computed, for results.json.
METHODS: dict[str, str] = {
    "proportion": "Wilson score interval (scipy.stats.binomtest.proportion_ci)",
    "count": "exact Poisson (Garwood) interval on the cohort total (scipy.stats.chi2)",
    "mean": f"percentile bootstrap of the mean, {BOOTSTRAP_RESAMPLES} resamples (scipy.stats.bootstrap)",
    "paired": f"paired percentile bootstrap of the mean difference, {BOOTSTRAP_RESAMPLES} resamples",
}


def _nan_summary(n: int = 0) -> dict[str, float]:
    return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": n}


def wilson_ci(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a proportion ``successes / n`` (n >= 1)."""
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return float(ci.low), float(ci.high)


def poisson_rate_ci(total: float, n: int) -> tuple[float, float]:
    """Exact 95% interval of a rate per unit when ``total`` events were seen over ``n`` units (n >= 1)."""
    alpha = 1.0 - CONFIDENCE
    low = 0.0 if total == 0 else stats.chi2.ppf(alpha / 2, 2 * total) / 2
    high = stats.chi2.ppf(1 - alpha / 2, 2 * total + 2) / 2
    return float(low) / n, float(high) / n


def bootstrap_mean_ci(values: np.ndarray) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean of ``values`` (n,) (n >= 2); equal ends for constant data."""
    v = np.asarray(values, dtype=float)
    if np.all(v == v[0]):
        return float(v[0]), float(v[0])
    res = stats.bootstrap(
        (v,),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        batch=max(1, _BOOTSTRAP_BATCH_VALUES // v.size),
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def summarise(values: np.ndarray, kind: IntervalKind) -> dict[str, float]:
    """``{mean, ci_low, ci_high, n}`` of per-patient ``values`` (n,) over the non-NaN ones; a bootstrapped mean
    needs n >= 2 (NaN bounds for one value)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return _nan_summary()
    mean = float(v.mean())
    if v.size < 2 and kind == "mean":
        return {"mean": mean, "ci_low": math.nan, "ci_high": math.nan, "n": 1}
    if kind == "proportion":
        low, high = wilson_ci(int(np.count_nonzero(v)), v.size)
    elif kind == "count":
        low, high = poisson_rate_ci(float(v.sum()), v.size)
    else:
        low, high = bootstrap_mean_ci(v)
    return {"mean": mean, "ci_low": low, "ci_high": high, "n": int(v.size)}


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Mean of ``a - b`` (both (n,), the same patients) and its paired bootstrap 95% interval, over the patients
    where both are not NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    if a.size < 2:
        return _nan_summary(int(a.size)) if a.size == 0 else {**_nan_summary(1), "mean": float(a[0] - b[0])}
    d = a - b
    if np.all(d == d[0]):
        return {"mean": float(d[0]), "ci_low": float(d[0]), "ci_high": float(d[0]), "n": int(d.size)}
    res = stats.bootstrap(
        (a, b),
        lambda x, y, axis=-1: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        paired=True,
        confidence_level=CONFIDENCE,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        batch=max(1, _BOOTSTRAP_BATCH_VALUES // a.size),
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return {"mean": float(d.mean()), "ci_low": low, "ci_high": high, "n": int(d.size)}
