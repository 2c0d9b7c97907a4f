"""The terminal value: a patient's expected discounted QALYs and costs for the rest of life, from their state now.

Method (docs/economics.md): a life-table expectation with the twin's own hazard multiplier
(:func:`twin_env.twin.economics.discounted_life_years`), the utility and costs of today's health states held
for life, and first-order expected non-fatal CVD events (:func:`expected_future_cvd_events`).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from twin_env.twin import economics
from twin_env.twin.events import EventKind
from twin_env.twin.mortality import death_probability_per_event
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState
from twin_env.twin.valuation import (
    EVENT_COST_GBP,
    EVENT_QALY_LOSS,
    chronic_cost_gbp_per_year,
    condition_decrement,
    pill_disutility,
    population_norm_utility_at,
)


def death_hazard_per_year(hazards: np.ndarray, params: TwinParameters) -> np.ndarray:
    """(N,) all-cause death hazard per year from the twin's (len(EventKind), N) event hazards (case fatality incl.)."""
    total = np.zeros(hazards.shape[1])
    for probability, hazard in zip(death_probability_per_event(params), hazards):
        total += probability * hazard  # added in a fixed order: the same sum in a batch of any size
    return total


def expected_remaining_value(
    state: PatientState,
    params: TwinParameters,
    hazards: np.ndarray,
    extra_annual_cost_gbp: np.ndarray | float,
    rate_per_year: float,
    max_age_years: float = economics.ECONOMICS["terminal_value_max_age_years"],
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) terminal value: expected discounted QALYs and costs (GBP) of the rest of each patient's life.

    ``hazards`` are the twin's (len(EventKind), N) annual hazards now; the hazard multiplier is their death
    hazard over the life table's at the patient's age and sex. Utility: the age-sex norm at each later age
    less today's condition decrements and pill burden (floored at 0); cost per year: today's health-state
    costs plus ``extra_annual_cost_gbp`` (N,) (e.g. the drugs taken). 0 for the dead.
    """
    life = params.life_table.annual_hazard(state.age_years, state.female)
    multiplier = death_hazard_per_year(hazards, params) / np.maximum(life, 1e-12)
    years_lived, ages = economics.discounted_life_years(
        state.age_years, state.female, multiplier, params.life_table, rate_per_year, max_age_years
    )
    norm_later = population_norm_utility_at(ages, state.female, params)
    held = condition_decrement(state, params) + pill_disutility(state, params)
    utility = np.maximum(norm_later - held[:, None], 0.0)
    cost = chronic_cost_gbp_per_year(state, params) + extra_annual_cost_gbp
    qalys, costs = economics.terminal_value(years_lived, utility, cost)
    events_qalys, events_cost = expected_future_cvd_events(state, params, hazards, years_lived)
    return (qalys - events_qalys) * state.alive, (costs + events_cost) * state.alive


#: Non-fatal CVD events the terminal value expects after the horizon -> the state flags each sets.
FUTURE_CVD_EVENTS: MappingProxyType[EventKind, tuple[str, ...]] = MappingProxyType(
    {
        EventKind.MYOCARDIAL_INFARCTION: ("myocardial_infarction", "chd"),
        EventKind.ANGINA: ("chd",),
        EventKind.STROKE: ("stroke", "stroke_tia"),
        EventKind.TIA: ("stroke_tia",),
        EventKind.HEART_FAILURE: ("heart_failure",),
    }
)
_NON_FATAL_EVENT_COST = {
    EventKind.MYOCARDIAL_INFARCTION: "cost_mi_nonfatal_event_year_gbp",
    EventKind.STROKE: "cost_stroke_nonfatal_event_year_gbp",
    EventKind.HEART_FAILURE: "cost_heart_failure_event_gbp",
}


def expected_future_cvd_events(
    state: PatientState, params: TwinParameters, hazards: np.ndarray, years_lived: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) expected discounted QALYs lost and costs (GBP) of non-fatal CVD events after the horizon (first order).

    Each kind of :data:`FUTURE_CVD_EVENTS` happens at its non-fatal rate now (hazard x (1 - case fatality), held
    for life) in every year lived: ``rate * Y_j`` events in year ``j`` (``Y_j`` the discounted life-years of
    ``years_lived`` (N, J)). Each costs its one-off QALY loss and cost, and from then on the lasting change it
    makes (the decrement and ongoing cost of the state it sets, 0 where the patient has it already) over the
    remaining discounted life expectancy ``T_j = sum_{i>=j} Y_i / Y-weight of year j``. Events after the first,
    and an event's effect on survival, are left out.
    """
    survival_discounted = np.cumsum(years_lived[:, ::-1], axis=1)[:, ::-1]  # sum_{i>=j} Y_i, (N, J)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = years_lived / np.maximum(years_lived[:, :1], 1e-300)  # S_j v^j relative to year 0 (about)
    remaining = np.where(weight > 0, survival_discounted / np.maximum(weight, 1e-300), 0.0)  # T_j, (N, J)
    events_weighted = _sum_years_of(years_lived)  # sum_j Y_j
    lasting_weighted = _sum_years_of(years_lived * remaining)  # sum_j Y_j T_j
    fatality = death_probability_per_event(params)
    decrement_now, cost_now = condition_decrement(state, params), chronic_cost_gbp_per_year(state, params)
    qalys, cost = np.zeros(state.n), np.zeros(state.n)
    for kind, fields in FUTURE_CVD_EVENTS.items():
        rate = hazards[kind] * (1.0 - fatality[kind])
        after = state.copy()
        for field in fields:
            after.columns[field][:] = True
        one_off_cost = params[_NON_FATAL_EVENT_COST[kind]] if kind in _NON_FATAL_EVENT_COST else EVENT_COST_GBP[kind]
        qalys += rate * (
            EVENT_QALY_LOSS[kind] * events_weighted
            + (condition_decrement(after, params) - decrement_now) * lasting_weighted
        )
        cost += rate * (
            one_off_cost * events_weighted + (chronic_cost_gbp_per_year(after, params) - cost_now) * lasting_weighted
        )
    return qalys, cost


def _sum_years_of(per_year: np.ndarray) -> np.ndarray:
    """(N,) row sums of (N, J) added year by year (the same sum in a batch of any size)."""
    total = np.zeros(per_year.shape[0])
    for column in per_year.T:
        total += column
    return total
