"""What if: given latent twin states (a patient's posterior ensemble), followed forward under each strategy.

Every strategy starts from the same states, with the same random-stream keys, so a sample meets the same
luck under every strategy (common random numbers): the differences between strategies are the strategies'.
Each strategy is one arm of the trial runner's follow-up (:func:`twin_env.trials.follow_up.follow_up`:
background care included, monthly steps, the record without artefacts), valued step by step as the env
values it (:func:`twin_env.envs.step_value.step_components`), discounted to the start at the reference
case's rate (docs/economics.md). The horizon's QALYs and costs are the forecast's years only: no terminal value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.envs.config import EnvConfig
from twin_env.envs.rewards import total_cost_gbp, total_qalys
from twin_env.envs.step_value import step_components
from twin_env.simulation import Simulation
from twin_env.trials.follow_up import follow_up, step_count, step_ticker
from twin_env.trials.outcomes import get_outcome
from twin_env.trials.schema import Arm, Population
from twin_env.trials.screening import screen
from twin_env.twin import random_streams as rs
from twin_env.twin.baseline_conditions import BaselineDiagnoses
from twin_env.twin.cohort import validate_seed
from twin_env.twin.economics import discount_factor
from twin_env.twin.state import PatientState

#: Forecast outcome -> the outcome vocabulary's names that make it (as a protocol's ``outcomes``).
#: ``cvd`` is QRISK3's end point: coronary heart disease (MI, angina), stroke or TIA.
FORECAST_OUTCOMES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "mi": ("mi",),
        "stroke": ("stroke",),
        "cvd": ("mi", "angina", "stroke", "tia"),
        "heart_failure": ("heart_failure",),
        "cvd_death": ("cvd_death",),
        "death": ("death",),
        "type2_diabetes": ("type2_diabetes",),
        "ckd_3_5": ("ckd_3_5",),
    }
)
MAX_YEARS = 30


@dataclasses.dataclass(frozen=True)
class StrategyForecast:
    """One strategy's K trajectories: per outcome the (K,) time of its first event in years (NaN: none),
    the (K,) time of death (NaN: alive at the end), and the (K,) discounted QALYs and NHS costs (GBP)."""

    first_years: dict[str, np.ndarray]
    death_years: np.ndarray
    qalys: np.ndarray
    cost_gbp: np.ndarray

    def had_by_year(self, outcome: str, years: int) -> np.ndarray:
        """(K, years) bool: whether the outcome had happened by the end of year 1, 2, ... (death competes)."""
        time = self.first_years[outcome]
        ends = np.arange(1, years + 1, dtype=np.float64)
        return ~np.isnan(time)[:, None] & (time[:, None] <= ends[None, :] + 1e-9)


@dataclasses.dataclass(frozen=True)
class Forecast:
    """Every strategy's forecast of the same K samples over ``years`` from ``start_date``."""

    years: int
    start_date: dt.date
    strategies: dict[str, StrategyForecast]


def check_years(years: object) -> int:
    """``years`` as an int in [1, :data:`MAX_YEARS`]; a one-line ValueError otherwise."""
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_YEARS:
        raise ValueError(f"years must be a whole number of years from 1 to {MAX_YEARS}, got {years!r}")
    return years


def forecast(
    state: PatientState,
    diagnoses: BaselineDiagnoses,
    arms: Sequence[Arm],
    *,
    start_date: dt.date,
    years: int,
    seed: int,
    outcomes: Mapping[str, tuple[str, ...]] = FORECAST_OUTCOMES,
    progress: Callable[[int, int], None] | None = None,
) -> Forecast:
    """Follow ``state`` (K samples; their diagnoses recorded at the start) for ``years`` under each arm's strategy.

    Sample ``i`` gets the random-stream key of patient ``i`` of population ``seed`` (a resampled posterior repeats
    rows: each copy then meets its own chance), the same key under every strategy; ``seed`` also seeds a
    ``policy`` strategy's policy.
    ``progress(done, total)`` is called after every step of every strategy. Deterministic to the byte.
    """
    years, seed = check_years(years), validate_seed(seed)
    names = [arm.name for arm in arms]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"strategies must be at least one, with distinct names, got {names}")
    for names_of in outcomes.values():
        for name in names_of:
            get_outcome(name)
    state = state.copy()
    state.patient_key = rs.patient_keys(seed, 0, state.n)
    screening = screen(state, diagnoses, CareParameters.default())
    ages = state.age_years
    population = Population(state.n, seed, float(ages.min()), float(ages.max()), start_date)
    config = EnvConfig(
        start_date=start_date.isoformat(), artefacts=False, decision_interval_months=1, horizon_years=float(years)
    )
    steps, dt_years = step_count(years)
    tick = step_ticker(steps * len(arms), progress)

    strategies = {}
    for arm in arms:
        sim = Simulation(state.copy(), diagnoses.take(slice(None)), start_date=start_date, artefacts=False)
        value = _DiscountedValue(state.n, config, dt_years)
        arm_result = follow_up(sim, arm.strategy, screening, population, years, outcomes, on_step=value, tick=tick)
        strategies[arm.name] = StrategyForecast(
            arm_result.first_years, arm_result.death_years, value.qalys, value.cost_gbp
        )
    return Forecast(years, start_date, strategies)


class _DiscountedValue:
    """A follow-up step hook: each sample's QALYs and costs, discounted by ``(1 + r)**-t`` at the step's start."""

    def __init__(self, n: int, config: EnvConfig, dt_years: float) -> None:
        self.config, self.dt_years = config, dt_years
        self.qalys, self.cost_gbp = np.zeros(n), np.zeros(n)
        self._none = np.zeros(n, dtype=bool)

    def __call__(self, sim: Simulation, step: int, alive0: np.ndarray, ledger_start: int) -> None:
        comps = step_components(sim, alive0, ledger_start, self._none, self._none, self.config)
        discount = discount_factor(step * self.dt_years, self.config.discount_rate_per_year)
        self.qalys += discount * total_qalys(comps)
        self.cost_gbp += discount * total_cost_gbp(comps)
