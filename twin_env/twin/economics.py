"""NICE reference-case economics: discounting, the cost year, and the value of the life after a horizon.

- Discounting: a flow at ``t`` years after the first decision is worth ``(1 + r)**-t`` of one now
  (``r`` = ``discount_rate_per_year`` of ``economics_parameters.csv``, 3.5% for costs and QALYs alike).
- Cost year: every cost is in ``cost_year`` prices; a figure from another price year is inflated with the
  NHS cost inflation index (``nhs_cost_inflation_index.csv``) by :func:`to_cost_year_gbp`.
- Terminal value (:func:`terminal_value`): a patient alive at the horizon is credited the expected
  discounted QALYs and costs of the rest of their life, a life-table expectation: the ONS all-cause hazard
  at each later age times the patient's hazard multiplier now (the twin's death hazard from its own
  state, over the life-table hazard at their age and sex), with the utility and annual cost of the
  health states they have at the horizon held for life (the age-sex utility norm still ages).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from twin_env.twin.parameters import LifeTable, read_data_csv, read_scalars

ECONOMICS_FILE = "economics_parameters.csv"
INFLATION_FILE = "nhs_cost_inflation_index.csv"
#: Discount rates, cost year and the terminal value's last age (``economics_parameters.csv``).
ECONOMICS: dict[str, float] = read_scalars(ECONOMICS_FILE)
COST_YEAR: int = int(ECONOMICS["cost_year"])
#: NHS perspective of every cost, as NICE's reference case states it.
PERSPECTIVE = "NHS and personal social services (PSS)"
#: Largest discount rate a configuration may ask for (per year).
MAX_DISCOUNT_RATE_PER_YEAR = 0.2


def _read_inflation_index() -> dict[int, float]:
    """{financial year start: NHS cost inflation index}."""
    return {int(r["financial_year_start"]): float(r["index"]) for r in read_data_csv(INFLATION_FILE)}


#: {financial year start (2020 = 2020/21): pay and prices index}.
INFLATION_INDEX: dict[int, float] = _read_inflation_index()


def to_cost_year_gbp(cost_gbp: float, price_year: int, where: str) -> float:
    """``cost_gbp`` at ``price_year`` prices inflated to :data:`COST_YEAR` prices; ``where`` names it in errors."""
    if price_year not in INFLATION_INDEX or COST_YEAR not in INFLATION_INDEX:
        years = f"{min(INFLATION_INDEX)}-{max(INFLATION_INDEX)}"
        raise ValueError(f"{where}: price_year {price_year!r} has no NHS cost inflation index; allowed: {years}")
    return cost_gbp if price_year == COST_YEAR else cost_gbp * INFLATION_INDEX[COST_YEAR] / INFLATION_INDEX[price_year]


def check_discount_rate(rate_per_year: object, name: str = "discount_rate_per_year") -> float:
    """``rate_per_year`` as a float in [0, :data:`MAX_DISCOUNT_RATE_PER_YEAR`]; a one-line ValueError otherwise."""
    ok = isinstance(rate_per_year, numbers.Real) and not isinstance(rate_per_year, bool)
    if not ok or not 0.0 <= rate_per_year <= MAX_DISCOUNT_RATE_PER_YEAR:
        raise ValueError(
            f"{name} must be a rate per year in [0, {MAX_DISCOUNT_RATE_PER_YEAR}] (NICE: 0.035, sensitivity 0.015), "
            f"got {rate_per_year!r}"
        )
    return float(rate_per_year)


def discount_factor(years: np.ndarray | float, rate_per_year: float) -> np.ndarray:
    """``(1 + rate)**-years``: the present value of one unit ``years`` (any shape) from now."""
    return (1.0 + rate_per_year) ** -np.asarray(years, dtype=np.float64)


def discount_per_step(dt_years: float, rate_per_year: float) -> float:
    """The per-step discount factor ``(1 + rate)**-dt_years`` (an MDP's gamma for steps of ``dt_years``)."""
    return math.pow(1.0 + rate_per_year, -dt_years)


def discounted_life_years(
    age_years: np.ndarray,
    female: np.ndarray,
    hazard_multiplier: np.ndarray,
    life_table: LifeTable,
    rate_per_year: float,
    max_age_years: float = ECONOMICS["terminal_value_max_age_years"],
) -> tuple[np.ndarray, np.ndarray]:
    """Expected discounted life-years in each whole year from now, and the age at the start of each.

    Year ``j`` (0-based) starts at age ``a + j``; the patient survives it with ``p_j = exp(-m * mu(a + j))``
    (``mu`` the life-table hazard, ``m`` the multiplier) and lives ``S_j * (1 + p_j) / 2`` years in it
    (``S_j`` the survival to its start, deaths mid-year), discounted by ``(1 + r)**-j``.

    Args:
        age_years, female, hazard_multiplier: (N,) each.
        life_table: the ONS all-cause hazards by age and sex.
        rate_per_year: discount rate.
        max_age_years: the expectation stops at this age.
    Returns:
        ((N, J) discounted life-years, (N, J) ages in years), J = ``ceil(max_age_years)`` (0 past that age).
    """
    age = np.asarray(age_years, dtype=np.float64)
    # a fixed J, whatever the batch: each row's sums are then the same in a batch of 1 or of many
    n_years = max(1, math.ceil(max_age_years))
    j = np.arange(n_years, dtype=np.float64)
    ages = age[:, None] + j[None, :]
    hazard = life_table.annual_hazard(ages.ravel(), np.repeat(np.asarray(female), n_years)).reshape(ages.shape)
    survive_year = np.exp(-np.asarray(hazard_multiplier, dtype=np.float64)[:, None] * hazard)
    survival_start = np.cumprod(np.concatenate([np.ones((age.size, 1)), survive_year[:, :-1]], axis=1), axis=1)
    years_lived = survival_start * (1.0 + survive_year) / 2.0 * (ages < max_age_years)
    return years_lived * discount_factor(j, rate_per_year)[None, :], ages


def terminal_value(
    years_lived: np.ndarray, utility_by_year: np.ndarray, annual_cost_gbp: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) expected discounted QALYs and costs (GBP) of the rest of life, at the horizon.

    Args:
        years_lived: (N, J) discounted life-years per year of :func:`discounted_life_years`.
        utility_by_year: (N, J) EQ-5D utility in each year.
        annual_cost_gbp: (N,) cost per year alive of the patient's health states and treatment.
    """
    return _sum_years(years_lived * utility_by_year), _sum_years(years_lived) * np.asarray(annual_cost_gbp)


def _sum_years(per_year: np.ndarray) -> np.ndarray:
    """(N,) row sums of (N, J), added year by year: the same sum in a batch of any size (NumPy's differ)."""
    total = np.zeros(per_year.shape[0])
    for column in per_year.T:
        total += column
    return total
