"""What a patient's health is worth: health-state utility, one-off QALY losses and NHS costs of events.

Utility (EQ-5D, per year, floored at 0):

    U = Ara & Brazier norm(age, sex) - sum of condition decrements (UKPDS) - pill burden

with the pill burden ``pill_disutility_per_daily_dose`` (Hutchins 2015) times the daily
dose-times of every drug taken (:func:`twin_env.twin.treatment_burden.total_daily_dose_times`).
Chronic states other parts add (amputation, retinopathy) take their decrement when the state has
the field (:data:`CHRONIC_STATE_DECREMENTS`; a test checks the fields exist once they are merged).

The stroke decrement is a stroke's (``state.stroke``): a TIA alone has its own short-lived loss and
cost (its row in ``event_values.csv``), no lasting decrement.

Events: MI, stroke and heart failure cost as in the UKPDS-derived model (fatal or not); every
event kind with a row in ``event_values.csv`` has a one-off QALY loss (for survivors of the step)
and a cost. Treatment harms (:data:`twin_env.twin.events.TREATMENT_HARMS`) are costed apart from disease events.

Ongoing costs per year alive (:func:`chronic_cost_gbp_per_year`): MI and stroke later years, renal
failure, diabetes without complications (``cost_annual_no_complications_gbp``), and each state of
``health_state_costs.csv`` (heart failure, CHD, CKD 3-5, diabetes complications). Every cost is at the
cost year's prices (:mod:`twin_env.twin.economics`): file rows carry their price year and are inflated.

The terminal value of a patient at a horizon is in :mod:`twin_env.twin.lifetime_value`.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from twin_env.twin import economics
from twin_env.twin.events import DIABETES_COMPLICATIONS, TREATMENT_HARMS, EventKind, StepEvents
from twin_env.twin.parameters import TwinParameters, read_data_csv
from twin_env.twin.state import FIELDS, PatientState
from twin_env.twin.treatment_burden import total_daily_dose_times

EVENT_VALUES_FILE = "event_values.csv"
HEALTH_STATE_COSTS_FILE = "health_state_costs.csv"
#: Chronic state field (bool) -> twin parameter holding its utility decrement.
CHRONIC_STATE_DECREMENTS: MappingProxyType[str, str] = MappingProxyType(
    {"amputation": "utility_decrement_amputation", "retinopathy": "utility_decrement_retinopathy"}
)
#: Kinds valued only through ``event_values.csv`` (harms, complications, angina, TIA): each needs a row.
VALUED_BY_FILE_KINDS: tuple[EventKind, ...] = (
    *TREATMENT_HARMS,
    *DIABETES_COMPLICATIONS,
    EventKind.ANGINA,
    EventKind.TIA,
)


def _price_year(row: dict[str, str], where: str) -> int:
    """The row's ``price_year`` as an int (a one-line error naming ``where`` otherwise)."""
    try:
        return int(row["price_year"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"{where}: price_year must be a financial year start such as 2020, got {row.get('price_year')!r}"
        ) from None


def _read_event_values() -> tuple[np.ndarray, np.ndarray, frozenset[EventKind]]:
    """(len(EventKind),) one-off QALY loss and cost (GBP) per kind (0 without a row), and the kinds with a row."""
    qaly_loss, cost = np.zeros(len(EventKind)), np.zeros(len(EventKind))
    seen: set[str] = set()
    for row in read_data_csv(EVENT_VALUES_FILE):
        name = row["event"].strip()
        if name not in EventKind.__members__ or name == "NONE":
            allowed = sorted(k.name for k in VALUED_BY_FILE_KINDS)
            raise ValueError(f"{EVENT_VALUES_FILE}: event {name!r} is not an event kind; allowed: {allowed}")
        if name in seen:
            raise ValueError(f"{EVENT_VALUES_FILE}: event {name!r} has two rows")
        seen.add(name)
        for column, table in (("qaly_loss", qaly_loss), ("cost_gbp", cost)):
            try:
                value = float(row[column])
            except (TypeError, ValueError):
                value = float("nan")
            if not value >= 0.0:
                raise ValueError(f"{EVENT_VALUES_FILE}: {column} of {name} must be a number >= 0, got {row[column]!r}")
            table[EventKind[name]] = value
        where = f"{EVENT_VALUES_FILE} {name}"
        cost[EventKind[name]] = economics.to_cost_year_gbp(cost[EventKind[name]], _price_year(row, where), where)
    return qaly_loss, cost, frozenset(EventKind[name] for name in seen)


def _read_health_state_costs() -> dict[str, float]:
    """{state field (bool): ongoing cost per year alive in it (GBP, cost-year prices)}."""
    costs: dict[str, float] = {}
    for row in read_data_csv(HEALTH_STATE_COSTS_FILE):
        name, where = row["state"].strip(), f"{HEALTH_STATE_COSTS_FILE} {row['state']}"
        if name not in FIELDS or name in costs:
            raise ValueError(f"{where}: state must be a patient state field named once, got {name!r}")
        value = float(row["cost_gbp_per_year"])
        if not value >= 0.0:
            raise ValueError(f"{where}: cost_gbp_per_year must be a number >= 0, got {row['cost_gbp_per_year']!r}")
        costs[name] = economics.to_cost_year_gbp(value, _price_year(row, where), where)
    return costs


#: (len(EventKind),) one-off QALY loss and cost (GBP) per event kind, and the kinds with a row in the file.
EVENT_QALY_LOSS, EVENT_COST_GBP, KINDS_WITH_VALUES = _read_event_values()
_IS_HARM = np.isin(np.arange(len(EventKind)), TREATMENT_HARMS)
#: {state field: ongoing cost per year (GBP, cost-year prices)} of ``health_state_costs.csv``.
HEALTH_STATE_COST_GBP_PER_YEAR: MappingProxyType[str, float] = MappingProxyType(_read_health_state_costs())


def population_norm_utility_at(age_years: np.ndarray, female: np.ndarray, params: TwinParameters) -> np.ndarray:
    """UK general-population EQ-5D at ``age_years`` (any shape; ``female`` (N,) broadcast on the first axis)."""
    age = np.asarray(age_years, dtype=np.float64)
    male = ~np.asarray(female).reshape((-1,) + (1,) * (age.ndim - 1))
    return (
        params["utility_norm_intercept"]
        + params["utility_norm_male"] * male
        + params["utility_norm_age"] * age
        + params["utility_norm_age_squared"] * age**2
    )


def population_norm_utility(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) UK general-population EQ-5D at each patient's age and sex (Ara & Brazier 2010)."""
    return population_norm_utility_at(state.age_years, state.female, params)


def condition_decrement(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) EQ-5D lost to chronic conditions (UKPDS decrements, added)."""
    decrement = (
        params["utility_decrement_heart_failure"] * state.heart_failure
        + params["utility_decrement_ihd"] * state.chd
        + params["utility_decrement_mi"] * state.myocardial_infarction
        + params["utility_decrement_stroke"] * state.stroke
        + params["utility_decrement_renal_failure"] * (state.egfr_ml_min_1_73m2 < 15)
    )
    for field, name in CHRONIC_STATE_DECREMENTS.items():
        if field in FIELDS:  # added by another part of the model; tests check it is there once merged
            decrement = decrement + params[name] * state.columns[field]
    return decrement


def pill_disutility(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) EQ-5D lost to taking pills: per daily dose-time of every drug taken (Hutchins 2015)."""
    return params["pill_disutility_per_daily_dose"] * total_daily_dose_times(state)


def health_utility(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) EQ-5D utility per year of each patient's current state, floored at 0."""
    utility = population_norm_utility(state, params) - condition_decrement(state, params)
    return np.maximum(utility - pill_disutility(state, params), 0.0)


def event_qaly_loss(events: StepEvents) -> np.ndarray:
    """(N,) one-off QALYs lost to the step's event (``event_values.csv``); none for those who died in the step."""
    return EVENT_QALY_LOSS.take(events.kind.astype(np.intp)) * ~events.died


def acute_cvd_cost_gbp(events: StepEvents, params: TwinParameters) -> np.ndarray:
    """(N,) cost (GBP) of an MI, stroke or heart-failure event in the step (UKPDS-derived, fatal or not)."""
    kind, died = events.kind, events.died
    mi, stroke = kind == EventKind.MYOCARDIAL_INFARCTION, kind == EventKind.STROKE
    return (
        np.where(mi, np.where(died, params["cost_mi_fatal_gbp"], params["cost_mi_nonfatal_event_year_gbp"]), 0.0)
        + np.where(
            stroke, np.where(died, params["cost_stroke_fatal_gbp"], params["cost_stroke_nonfatal_event_year_gbp"]), 0.0
        )
        + (kind == EventKind.HEART_FAILURE) * params["cost_heart_failure_event_gbp"]
    )


def event_cost_gbp(events: StepEvents, params: TwinParameters) -> tuple[np.ndarray, np.ndarray]:
    """(N,) costs (GBP) of the step's events: (disease events, treatment harms)."""
    kind = events.kind.astype(np.intp)
    from_file = EVENT_COST_GBP.take(kind)
    harm = _IS_HARM.take(kind)
    return acute_cvd_cost_gbp(events, params) + from_file * ~harm, from_file * harm


def chronic_cost_gbp_per_year(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) annual cost (GBP) of living with the patient's health states (see the module docstring).

    CKD 3-5's cost applies at eGFR >= 15; below it renal failure's (dialysis) replaces it.
    """
    renal_failure = state.egfr_ml_min_1_73m2 < 15
    cost = (
        state.myocardial_infarction * params["cost_mi_later_years_gbp"]
        + state.stroke * params["cost_stroke_later_years_gbp"]
        + renal_failure * params["cost_renal_failure_annual_gbp"]
        + (state.type2_diabetes | state.type1_diabetes) * params["cost_annual_no_complications_gbp"]
    )
    for field, cost_per_year in HEALTH_STATE_COST_GBP_PER_YEAR.items():
        has = state.columns[field] & ~renal_failure if field == "ckd_3_5" else state.columns[field]
        cost = cost + has * cost_per_year
    return cost
