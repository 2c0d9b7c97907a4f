"""A what-if forecast summarised: per strategy, risk of each outcome by year, QALYs and costs, with 90% intervals.

Every summary is ``{"mean", "p05", "p95"}``: the mean and a 90% interval. A risk is the share of the K
samples with the outcome by the end of the year (cumulative incidence; death competes), its interval the
Wilson score interval of that Monte Carlo proportion (scipy). QALYs and costs are per sample; their interval
is the 5th to 95th percentile over the samples (the spread of what may happen to the patient, posterior
uncertainty and the twin's chance together).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binomtest

from twin_env.trials.whatif import Forecast, StrategyForecast

INTERVAL = 0.90


def risk_summary(had: np.ndarray) -> dict[str, float]:
    """``{"mean", "p05", "p95"}`` of a (K,) bool: the proportion and its 90% Wilson score interval."""
    k, n = int(np.count_nonzero(had)), int(had.size)
    ci = binomtest(k, n).proportion_ci(confidence_level=INTERVAL, method="wilson")
    return {"mean": k / n, "p05": float(ci.low), "p95": float(ci.high)}


def value_summary(values: np.ndarray) -> dict[str, float]:
    """``{"mean", "p05", "p95"}`` of (K,) values: the mean and the 5th and 95th percentiles."""
    low, high = np.percentile(values, [50 * (1 - INTERVAL), 50 * (1 + INTERVAL)])
    return {"mean": float(np.mean(values)), "p05": float(low), "p95": float(high)}


def strategy_summary(result: StrategyForecast, years: int) -> dict[str, Any]:
    """``{"risk_by_year": {outcome: [year 1, ..., year Y]}, "qalys": {...}, "cost_gbp": {...}}``."""
    risks = {}
    for outcome in result.first_years:
        had = result.had_by_year(outcome, years)
        risks[outcome] = [{"year": y + 1, **risk_summary(had[:, y])} for y in range(years)]
    return {"risk_by_year": risks, "qalys": value_summary(result.qalys), "cost_gbp": value_summary(result.cost_gbp)}


def summarise(forecast: Forecast) -> dict[str, dict[str, Any]]:
    """``{strategy: strategy_summary}`` in the strategies' order (the ``strategies`` key of whatif.json)."""
    return {name: strategy_summary(result, forecast.years) for name, result in forecast.strategies.items()}
