"""Risk factors that move over follow-up: smoking starts, stops and restarts; BMI wanders.

Smoking (``smoking`` 0 never, 1 ex, 2-4 current light / moderate / heavy):

- a never-smoker reaching 16 takes the population's status at 16 (``smoking_by_age.csv``, with the
  deprivation odds ratio of :mod:`twin_env.twin.population`); from 16 to
  ``smoking_initiation_window_end_age_years`` never-smokers start at the constant hazard that carries
  the table's never-smoker fraction at 16 to its value at that age; later at
  ``smoking_initiation_per_year_after_25``;
- current smokers quit at ``attempts_per_year x p4``, where p4, the chance an unaided attempt is
  abstinent at 4 weeks, is the prolonged-abstinence fraction over the share not relapsing between
  weeks 4 and 52 (Hughes 2004, Ferguson 2005). A quit makes the patient an ex-smoker (4-week
  abstinence) from ``smoking_quit_age_years``;
- ex-smokers relapse at ``-ln(1 - relapse_4_52) / (48/52)`` per year for their first 48 weeks, then
  at the years-1-5 and after-5-years rates (piecewise-constant hazard of time since quitting).

BMI: the individual offset from the age/sex mean follows an Ornstein-Uhlenbeck process around the
patient's ethnic mean offset, with stationary SD ``bmi_between_person_sd_kg_m2`` (the population's
spread holds) and one-year change SD ``bmi_annual_change_sd_kg_m2``; a weight programme's shift
(``bmi_programme_shift_kg_m2``, see :mod:`twin_env.twin.lifestyle`) decays back with time constant
``weight_regain_time_constant_years``. Every BMI change moves the SBP offset by
``sbp_bmi_slope_mmhg_per_kg_m2``; starting or stopping smoking moves it by ``sbp_smoker_offset_mmhg``.

Timing: each patient's smoking and BMI are updated once a year (a per-patient phase, as the risk
equations' refresh), with the transition probabilities of the whole year, except that first-year
relapse is drawn every step. A smoking change clears the held risk-equation values.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import SOUTH_ASIAN_ETHNICITIES, raise_sbp_mmhg
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import PatientState

#: Random channels of this module (offsets of Channel.RISK_FACTORS; lifestyle.py uses 10-19).
_QUIT_OR_START = Channel.RISK_FACTORS + 0
_RECENT_RELAPSE = Channel.RISK_FACTORS + 1
_AMOUNT = Channel.RISK_FACTORS + 2
_BMI_WALK = Channel.RISK_FACTORS + 3
_STATUS_AT_16 = Channel.RISK_FACTORS + 4
# + 5: baseline quit ages (population.py, counter 0)

SMOKING_START_AGE_YEARS = 16.0  # the youngest age the population sampler gives a smoking status
_FIRST_PERIOD_YEARS = 48.0 / 52.0  # 4-week abstinence (the quit) to 52 weeks (Ferguson 2005)
_MIDDLE_PERIOD_YEARS = 4.0  # "years 1 to 5" after the first period


def unaided_quit_probability(params: TwinParameters) -> float:
    """Chance an unaided quit attempt is abstinent at 4 weeks (becomes an ex-smoker), derived."""
    return params["smoking_unaided_prolonged_abstinence_fraction"] / (
        1.0 - params["smoking_relapse_fraction_week_4_to_52"]
    )


def relapse_cumulative_hazard(years_since_quit: np.ndarray, params: TwinParameters) -> np.ndarray:
    """Cumulative relapse hazard (N,) from quitting (4-week abstinence) to ``years_since_quit``."""
    first = -np.log1p(-params["smoking_relapse_fraction_week_4_to_52"]) / _FIRST_PERIOD_YEARS
    t = np.maximum(years_since_quit, 0.0)
    return (
        first * np.minimum(t, _FIRST_PERIOD_YEARS)
        + params["smoking_relapse_per_year_years_1_to_5"] * np.clip(t - _FIRST_PERIOD_YEARS, 0.0, _MIDDLE_PERIOD_YEARS)
        + params["smoking_relapse_per_year_after_5_years"]
        * np.maximum(t - _FIRST_PERIOD_YEARS - _MIDDLE_PERIOD_YEARS, 0.0)
    )


def initiation_per_year(age_years: np.ndarray, params: TwinParameters) -> np.ndarray:
    """Hazard (N,) that a never-smoker aged 16 or more starts smoking (per year)."""
    end = params["smoking_initiation_window_end_age_years"]
    never = (
        1.0
        - params.current_smoker_fraction(np.array([SMOKING_START_AGE_YEARS, end]))
        - params.ex_smoker_fraction(np.array([SMOKING_START_AGE_YEARS, end]))
    )
    young = -np.log(never[1] / never[0]) / (end - SMOKING_START_AGE_YEARS)
    return np.where(age_years < end, young, params["smoking_initiation_per_year_after_25"])


def deprivation_odds_ratio(imd_quintile: np.ndarray, params: TwinParameters) -> np.ndarray:
    """Odds ratio (N,) of current smoking by IMD quintile, relative to quintile 3 (as the population sampler)."""
    return params["smoking_odds_ratio_per_quintile_more_deprived"] ** (3.0 - imd_quintile)


def _current_amount(keys: np.ndarray, counter: np.ndarray, params: TwinParameters) -> np.ndarray:
    """Smoking category 2-4 for patients who start or restart smoking."""
    shares = np.array([params[f"smoking_current_fraction_{k}"] for k in ("light", "moderate", "heavy")])
    return (2 + rs.categorical(rs.uniform(keys, counter, _AMOUNT), shares)).astype(np.int8)


def set_smoking(state: PatientState, rows: np.ndarray, category: np.ndarray, params: TwinParameters) -> None:
    """Set ``rows``' smoking category (k,), moving their SBP offset and quit age with it.

    A patient becoming an ex-smoker quits now; the held risk-equation values of changed rows are cleared.
    """
    before = state.smoking[rows]
    category = np.asarray(category, dtype=np.int8)
    was_current, is_current = before >= 2, category >= 2
    offset = params["sbp_smoker_offset_mmhg"]
    raise_sbp_mmhg(state, rows, offset * (is_current.astype(np.float64) - was_current), params)
    quit_now = (category == 1) & (before != 1)
    state.smoking_quit_age_years[rows] = np.where(
        quit_now, state.age_years[rows], np.where(category == 1, state.smoking_quit_age_years[rows], np.nan)
    )
    state.smoking[rows] = category
    changed = rows[category != before]
    state.qrisk3_h10[changed] = np.nan
    state.qdiabetes_h10[changed] = np.nan


def progress(state: PatientState, params: TwinParameters, keys: np.ndarray, counter: np.ndarray, dt: float) -> None:
    """Advance smoking and BMI of the living patients by ``dt`` years (after ageing), in place."""
    from twin_env.twin.risk_factor_kernels import yearly_update_rows  # noqa: PLC0415 (numba: compiled on first use)

    period = max(1, round(1.0 / dt))
    _relapse_recent_quitters(state, params, keys, counter, dt)
    # a per-patient phase: the key's low byte, added to the step counter in uint16 arithmetic
    tick = yearly_update_rows(keys, counter, state.alive, int(np.uint16(period)))
    if tick.size:
        span = period * dt
        _smoking_transitions(state, params, tick, keys[tick], counter[tick], span, dt)
        _bmi_walk(state, params, tick, keys[tick], counter[tick], span)
    _programme_regain(state, params, dt)


def _relapse_recent_quitters(
    state: PatientState, params: TwinParameters, keys: np.ndarray, counter: np.ndarray, dt: float
) -> None:
    """Ex-smokers whose step began within their first 48 weeks relapse over the step's part of them."""
    from twin_env.twin.risk_factor_kernels import recent_quitter_rows  # noqa: PLC0415 (numba: compiled on first use)

    # time since quitting is NaN for never and current smokers
    rows = recent_quitter_rows(state.age_years, state.smoking_quit_age_years, state.alive, _FIRST_PERIOD_YEARS + dt)
    if not rows.size:
        return
    t1 = state.age_years[rows] - state.smoking_quit_age_years[rows]
    t0 = np.maximum(t1 - dt, 0.0)
    h = relapse_cumulative_hazard(np.minimum(t1, _FIRST_PERIOD_YEARS), params) - relapse_cumulative_hazard(t0, params)
    relapse = rows[rs.uniform(keys[rows], counter[rows], _RECENT_RELAPSE) < -np.expm1(-h)]
    if relapse.size:
        set_smoking(state, relapse, _current_amount(keys[relapse], counter[relapse], params), params)


def _smoking_transitions(
    state: PatientState,
    params: TwinParameters,
    rows: np.ndarray,
    keys: np.ndarray,
    counter: np.ndarray,
    span: float,
    dt: float,
) -> None:
    """A year's smoking transitions of ``rows`` (k,): start, quit, and relapse after the first 48 weeks."""
    smoking, age = state.smoking[rows], state.age_years[rows]
    u = rs.uniform(keys, counter, _QUIT_OR_START)
    new = smoking.copy()

    current = smoking >= 2
    quit_rate = params["smoking_quit_attempts_per_year"] * unaided_quit_probability(params)
    new[current & (u < -np.expm1(-quit_rate * span))] = 1

    ex = smoking == 1
    since = age - state.smoking_quit_age_years[rows]
    late = ex & (since > _FIRST_PERIOD_YEARS)
    h = relapse_cumulative_hazard(since, params) - relapse_cumulative_hazard(
        np.maximum(since - span, _FIRST_PERIOD_YEARS), params
    )
    relapse = late & (u < -np.expm1(-h))

    never = (smoking == 0) & (age >= SMOKING_START_AGE_YEARS)
    odds_ratio = deprivation_odds_ratio(state.imd_quintile[rows], params)
    # crossed 16 since the last update (and during the simulation: age at step 0 was under 16)
    reaching_16 = never & (age < SMOKING_START_AGE_YEARS + span) & (age - (counter + 1) * dt < SMOKING_START_AGE_YEARS)
    start_rate = initiation_per_year(age, params) * odds_ratio
    start = never & ~reaching_16 & (u < -np.expm1(-start_rate * span))

    if reaching_16.any():
        at_16 = np.full(int(reaching_16.sum()), SMOKING_START_AGE_YEARS)
        p_current = params.current_smoker_fraction(at_16)
        odds = p_current / (1.0 - p_current) * odds_ratio[reaching_16]
        p_current = odds / (1.0 + odds)
        v = rs.uniform(keys[reaching_16], counter[reaching_16], _STATUS_AT_16)
        status = np.where(v < p_current, 2, np.where(v < p_current + params.ex_smoker_fraction(at_16), 1, 0))
        start[np.flatnonzero(reaching_16)[status == 2]] = True
        new[np.flatnonzero(reaching_16)[status == 1]] = 1

    becomes_current = relapse | start
    if becomes_current.any():
        new[becomes_current] = _current_amount(keys[becomes_current], counter[becomes_current], params)
    changed = new != smoking
    if changed.any():
        set_smoking(state, rows[changed], new[changed], params)


def _bmi_walk(
    state: PatientState, params: TwinParameters, rows: np.ndarray, keys: np.ndarray, counter: np.ndarray, span: float
) -> None:
    """Ornstein-Uhlenbeck step of ``span`` years for the BMI offsets of ``rows``, SBP offset following."""
    sd = params["bmi_between_person_sd_kg_m2"]
    reversion_per_year = -np.log1p(-(params["bmi_annual_change_sd_kg_m2"] ** 2) / (2.0 * sd**2))
    keep = np.exp(-reversion_per_year * span)
    ethnicity = state.ethnicity[rows]
    south_asian = (ethnicity >= min(SOUTH_ASIAN_ETHNICITIES)) & (ethnicity <= max(SOUTH_ASIAN_ETHNICITIES))
    mean = params["bmi_south_asian_offset_kg_m2"] * south_asian
    before = state.bmi_offset_kg_m2[rows]
    z = rs.standard_normal(keys, counter, _BMI_WALK)
    after = mean + (before - mean) * keep + sd * np.sqrt(1.0 - keep**2) * z
    state.bmi_offset_kg_m2[rows] = after
    raise_sbp_mmhg(state, rows, params["sbp_bmi_slope_mmhg_per_kg_m2"] * (after - before), params)


def _programme_regain(state: PatientState, params: TwinParameters, dt: float) -> None:
    """A programme's BMI shift decays towards 0 (weight regained), SBP offset following."""
    rows = np.flatnonzero(state.bmi_programme_shift_kg_m2 != 0.0)  # (nonzero on floats is slow)
    rows = rows[state.alive[rows]]
    if not rows.size:
        return
    before = state.bmi_programme_shift_kg_m2[rows]
    after = before * np.float32(np.exp(-dt / params["weight_regain_time_constant_years"]))
    after[np.abs(after) < 1e-3] = 0.0  # below 0.001 kg/m2 the shift is over
    state.bmi_programme_shift_kg_m2[rows] = after
    raise_sbp_mmhg(state, rows, params["sbp_bmi_slope_mmhg_per_kg_m2"] * (after - before), params)
