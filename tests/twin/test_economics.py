"""NICE reference-case economics: discounting, cost-year inflation and the terminal value, against hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin_env.twin import TwinParameters, TwinSimulator, economics, lifetime_value, sample_population
from twin_env.twin import valuation as val
from twin_env.twin.events import EventKind
from twin_env.twin.state import PatientState

P = TwinParameters.default()


def test_discount_factors_by_hand() -> None:
    assert economics.discount_factor(1.0, 0.035) == pytest.approx(1 / 1.035)
    assert economics.discount_factor(10.0, 0.035) == pytest.approx(0.708919, abs=1e-6)  # 1.035**-10
    assert economics.discount_factor(0.0, 0.035) == 1.0
    assert economics.discount_per_step(0.25, 0.035) == pytest.approx(1.035**-0.25)
    assert economics.discount_per_step(0.25, 0.035) ** 4 == pytest.approx(1 / 1.035)
    assert economics.discount_per_step(1.0, 0.015) == pytest.approx(1 / 1.015)


def test_the_reference_case_and_its_sensitivity_are_the_data_files() -> None:
    assert economics.ECONOMICS["discount_rate_per_year"] == 0.035
    assert economics.ECONOMICS["discount_rate_sensitivity_per_year"] == 0.015
    assert economics.COST_YEAR == 2020 and economics.COST_YEAR in economics.INFLATION_INDEX
    years = sorted(economics.INFLATION_INDEX)
    assert all(economics.INFLATION_INDEX[a] < economics.INFLATION_INDEX[b] for a, b in zip(years, years[1:]))


@pytest.mark.parametrize("rate", [-0.01, 0.5, "0.035", True, math.nan])
def test_a_bad_discount_rate_is_one_line(rate: object) -> None:
    with pytest.raises(ValueError, match=r"^discount_rate_per_year must be a rate per year in \[0, 0.2\]") as err:
        economics.check_discount_rate(rate)
    assert "\n" not in str(err.value)


def test_inflation_to_the_cost_year() -> None:
    index = economics.INFLATION_INDEX
    assert economics.to_cost_year_gbp(100.0, 2020, "x") == 100.0
    assert economics.to_cost_year_gbp(100.0, 2009, "x") == pytest.approx(100.0 * index[2020] / index[2009])
    with pytest.raises(ValueError, match="^x: price_year 1990 has no NHS cost inflation index; allowed: 2009-2020$"):
        economics.to_cost_year_gbp(100.0, 1990, "x")


def _stroke_survivor_aged_98() -> PatientState:
    """A woman of 98 with a past stroke (no TIA only), no other condition, no drugs, eGFR 90."""
    state = PatientState.empty(1)
    state.alive, state.female, state.age_years, state.egfr_ml_min_1_73m2 = True, True, 98.0, 90.0
    state.stroke_tia, state.stroke = True, True
    return state


def test_terminal_value_of_a_known_patient_by_hand() -> None:
    """Twice the life-table hazard, to age 100: two years, qx 0.29126 (98) and 0.309526 (99), ONS 2017-19 women."""
    state = _stroke_survivor_aged_98()
    hazards = np.zeros((len(EventKind), 1))
    hazards[EventKind.DEATH_NON_CVD] = 2.0 * P.life_table.annual_hazard(state.age_years, state.female)
    p0, p1 = (1 - 0.29126) ** 2, (1 - 0.309526) ** 2  # survive each year at twice the hazard
    years0, years1 = (1 + p0) / 2, p0 * (1 + p1) / 2 / 1.035  # deaths mid-year; year 1 discounted once
    norm98 = 0.9508566 - 0.0002587 * 98 - 0.0000332 * 98**2  # Ara & Brazier, female
    norm99 = 0.9508566 - 0.0002587 * 99 - 0.0000332 * 99**2
    expected_qalys = years0 * (norm98 - 0.164) + years1 * (norm99 - 0.164)  # less the stroke decrement
    expected_cost = (years0 + years1) * (6750.0 + 100.0)  # stroke later years + 100 GBP of drugs a year
    qalys, cost = lifetime_value.expected_remaining_value(
        state, P, hazards, np.array([100.0]), 0.035, max_age_years=100.0
    )
    assert qalys[0] == pytest.approx(expected_qalys, rel=1e-9)
    assert cost[0] == pytest.approx(expected_cost, rel=1e-9)
    assert expected_qalys == pytest.approx(0.4887, abs=1e-4)  # 0.7512 x 0.4427 + 0.3584 x 0.4359


def test_the_terminal_value_falls_with_risk_and_is_zero_for_the_dead() -> None:
    state, _ = sample_population(400, 3, min_age=60, max_age=61)
    hazards = TwinSimulator(P).current_hazards(state, 0.25)
    qalys, cost = lifetime_value.expected_remaining_value(state, P, hazards, 0.0, 0.035)
    sicker = state.copy()
    sicker.heart_failure = True
    q_sick, c_sick = lifetime_value.expected_remaining_value(
        sicker, P, TwinSimulator(P).current_hazards(sicker, 0.25), 0.0, 0.035
    )
    alive = state.alive & ~state.heart_failure
    assert (q_sick[alive] < qalys[alive]).all()  # a shorter life at a lower utility
    assert (c_sick[alive & (cost == 0)] > 0).all()  # heart failure's ongoing cost (a shorter life may cost less)
    q15, _ = lifetime_value.expected_remaining_value(state, P, hazards, 0.0, 0.015)
    assert (q15[alive] > qalys[alive]).all()  # a lower discount rate values the same life more
    assert 8.0 < np.median(qalys[alive]) < 16.0  # about 20 discounted life-years at 60, at utility about 0.8
    state.alive[:5] = False
    assert (lifetime_value.expected_remaining_value(state, P, hazards, 0.0, 0.035)[0][:5] == 0.0).all()


def test_a_tia_is_apart_from_stroke() -> None:
    state = _stroke_survivor_aged_98()
    state.stroke = False  # a TIA only
    stroke = _stroke_survivor_aged_98()
    assert val.health_utility(state, P)[0] - val.health_utility(stroke, P)[0] == pytest.approx(0.164)
    assert val.chronic_cost_gbp_per_year(state, P)[0] == 0.0
    assert val.chronic_cost_gbp_per_year(stroke, P)[0] == P["cost_stroke_later_years_gbp"]
    assert val.EVENT_QALY_LOSS[EventKind.TIA] > 0 and val.EVENT_COST_GBP[EventKind.TIA] > 0
    assert val.EVENT_COST_GBP[EventKind.ANGINA] > 0


def test_ongoing_costs_of_heart_failure_ckd_and_diabetes() -> None:
    state = PatientState.empty(4)
    state.alive, state.egfr_ml_min_1_73m2 = True, np.array([90.0, 45.0, 10.0, 90.0])
    state.heart_failure = [True, False, False, False]
    state.ckd_3_5 = [False, True, True, False]
    state.type2_diabetes = [False, False, False, True]
    costs = val.HEALTH_STATE_COST_GBP_PER_YEAR
    np.testing.assert_allclose(
        val.chronic_cost_gbp_per_year(state, P),
        [
            costs["heart_failure"],
            costs["ckd_3_5"],
            P["cost_renal_failure_annual_gbp"],  # below eGFR 15 renal failure replaces CKD's cost
            P["cost_annual_no_complications_gbp"],
        ],
    )


def test_future_strokes_in_the_terminal_value_by_hand() -> None:
    """One year left (age 99 to 100), a stroke hazard of 0.05 a year and nothing else: first-order expected strokes."""
    state = _stroke_survivor_aged_98()
    state.age_years, state.stroke_tia, state.stroke = 99.0, False, False
    hazards = np.zeros((len(EventKind), 1))
    hazards[EventKind.STROKE] = 0.05
    fatality = P["case_fatality_stroke"]
    p0 = math.exp(-0.05 * fatality)  # the only death is a fatal stroke
    years0 = (1 + p0) / 2
    non_fatal = 0.05 * (1 - fatality)
    norm99 = 0.9508566 - 0.0002587 * 99 - 0.0000332 * 99**2
    # strokes in the year: non_fatal x years0; each then costs the stroke decrement over years0 (T_0 = Y_0)
    expected_qalys = years0 * norm99 - non_fatal * 0.164 * years0 * years0
    expected_cost = non_fatal * (12627.0 * years0 + 6750.0 * years0 * years0)
    qalys, cost = lifetime_value.expected_remaining_value(state, P, hazards, 0.0, 0.035, max_age_years=100.0)
    assert qalys[0] == pytest.approx(expected_qalys, rel=1e-9)
    assert cost[0] == pytest.approx(expected_cost, rel=1e-9)
    after = state.copy()
    after.stroke, after.stroke_tia = True, True
    assert (
        lifetime_value.expected_future_cvd_events(after, P, hazards, np.array([[years0]]))[0][0] == 0.0
    )  # no new decrement
