"""Follow one arm up on the twin: a strategy applied to a :class:`~twin_env.simulation.Simulation`, stepped monthly.

The one follow-up loop of the trial runner (:func:`twin_env.trials.runner.run_trial`) and the what-if
forecast (:mod:`twin_env.trials.whatif`): ``round(12 * follow_up_years)`` steps of
``follow_up_years / steps`` years (about a month). An outcome's time is the end of the step of its first
event; achieved levels are means over the living at year 0 and at the end of each whole year.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from twin_env.simulation import Simulation
from twin_env.trials.outcomes import get_outcome
from twin_env.trials.schema import Population, Strategy
from twin_env.trials.strategies import ArmRunner
from twin_env.trials.summary import achieved_levels, achieved_means
from twin_env.vocab.dates import MONTHS_PER_YEAR

#: Called after each step with (sim, step (0-based), alive before the step (N,) bool, ledger length before it).
StepHook = Callable[[Simulation, int, np.ndarray, int], None]


@dataclasses.dataclass(frozen=True)
class ArmFollowUp:
    """What happened in one arm: per outcome the (N,) time of its first event in years (NaN: none), the (N,)
    time of death (NaN: alive at the end), and per patient the achieved levels at year 0 and the end of each whole
    year (``levels[year]``: :func:`~twin_env.trials.summary.achieved_levels`, (N,) each)."""

    first_years: dict[str, np.ndarray]
    death_years: np.ndarray
    levels: list[dict[str, np.ndarray]]

    @property
    def achieved(self) -> dict[str, list[float]]:
        """Achieved levels ``{name: [year 0, year 1, ...]}``: means over the living (``achieved_means``)."""
        means = [achieved_means(levels) for levels in self.levels]
        return {name: [m[name] for m in means] for name in means[0]}


def concat_follow_ups(parts: list[ArmFollowUp]) -> ArmFollowUp:
    """One arm's follow-up from its shards' (patients in shard order): every per-patient array concatenated."""
    first = {name: np.concatenate([p.first_years[name] for p in parts]) for name in parts[0].first_years}
    levels = [
        {key: np.concatenate([p.levels[year][key] for p in parts]) for key in parts[0].levels[year]}
        for year in range(len(parts[0].levels))
    ]
    return ArmFollowUp(first, np.concatenate([p.death_years for p in parts]), levels)


def step_ticker(total: int, progress: Callable[[int, int], None] | None) -> Callable[[], None]:
    """A callable that counts a step done and reports ``(done, total)`` to ``progress`` when given."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return tick


def step_count(follow_up_years: float) -> tuple[int, float]:
    """(number of steps, step length in years) of a follow-up: about monthly, at least one step."""
    steps = max(1, round(MONTHS_PER_YEAR * follow_up_years))
    return steps, follow_up_years / steps


def follow_up(
    sim: Simulation,
    strategy: Strategy,
    screening: dict[str, np.ndarray],
    population: Population,
    follow_up_years: float,
    outcomes: Mapping[str, tuple[str, ...]],
    *,
    on_step: StepHook | None = None,
    tick: Callable[[], None] | None = None,
) -> ArmFollowUp:
    """Apply ``strategy`` to ``sim`` (its patients' ``screening`` values (N,) each) and step it ``follow_up_years``.

    ``outcomes`` maps each outcome name to the vocabulary names that make it (a protocol's ``outcomes``);
    ``on_step`` sees every step (a valuation); ``tick()`` is called after each step (progress).
    """
    steps, dt_years = step_count(follow_up_years)
    year_steps = {round(year / dt_years): year for year in range(1, int(follow_up_years + 1e-9) + 1)}
    n = sim.state.n
    runner = ArmRunner(strategy, sim, screening, population, dt_years)
    levels = [achieved_levels(sim.state)]
    runner.start()
    first = {name: np.full(n, np.nan) for name in outcomes}
    death = np.full(n, np.nan)
    definitions = {name: [get_outcome(x) for x in names] for name, names in outcomes.items()}
    for step in range(steps):
        runner.before_step(step)
        alive0, ledger_start = sim.state.alive.copy(), len(sim.ledger)
        events = sim.step(dt_years)
        runner.after_step()
        if on_step is not None:
            on_step(sim, step, alive0, ledger_start)
        t = (step + 1) * dt_years
        for name, defs in definitions.items():
            hit = np.logical_or.reduce([d.occurred(events) for d in defs]) & np.isnan(first[name])
            first[name][hit] = t
        death[events.died] = t
        if step + 1 in year_steps:
            levels.append(achieved_levels(sim.state))
        if tick is not None:
            tick()
    return ArmFollowUp(first, death, levels)
