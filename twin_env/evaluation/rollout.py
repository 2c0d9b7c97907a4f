"""One policy's rollout on the native vector env: one episode per patient, per-patient outcomes and audits.

:func:`rollout` is what an evaluation (:mod:`twin_env.evaluation.evaluate`, a shard of one:
:mod:`twin_env.evaluation.shards`) and training's validation run; :func:`run_rollout` also returns what shards
need to merge exactly (:class:`Rollout`).
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

import numpy as np
from tqdm import tqdm

from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.evaluation.audits import AuditAccumulator
from twin_env.evaluation.cohorts import cohort_config, evaluation_population
from twin_env.evaluation.metrics import OutcomeAccumulator
from twin_env.evaluation.reason_tally import ReasonTally
from twin_env.evaluation.timeline import TimelineRecorder, example_row, hypertension_rows
from twin_env.policies import Policy, policy_inputs


def check_observation_space(policy: Policy, env: PrimaryCareVectorEnv) -> None:
    """``ValueError`` when ``policy`` declares an ``observation_space`` whose keys or shapes differ from ``env``'s."""
    space = getattr(policy, "observation_space", None)
    if space is None:
        return
    want = {k: tuple(v.shape or ()) for k, v in getattr(space, "spaces", {}).items()}
    got = {k: tuple(v.shape or ()) for k, v in env.single_observation_space.spaces.items()}
    if want != got:
        diff = sorted(set(want) ^ set(got)) or sorted(k for k in want if want[k] != got[k])
        raise ValueError(
            f"{policy.name} expects other observations than this env gives (differing: {diff}); "
            "allowed: the env config it was trained with (--env-config, e.g. observation_mode)"
        )


@dataclasses.dataclass(frozen=True)
class Rollout:
    """One policy's rollout: per-patient ``values`` ({name: (episodes,)}), the policy's ``reasons`` (a
    :class:`~twin_env.evaluation.reason_tally.ReasonTally`), the example patient's ``timeline`` and whether that
    example's record codes hypertension (``example_coded``; else it is row 0)."""

    values: dict[str, np.ndarray]
    reasons: ReasonTally
    timeline: dict[str, Any]
    example_coded: bool


def rollout(
    policy: Policy,
    episodes: int,
    seed: int,
    config: dict[str, Any] | None = None,
    shielded: bool = False,
    population_seed: int | None = None,
    progress: tqdm | None = None,
    record_audit: bool = True,
) -> tuple[dict[str, np.ndarray], collections.Counter, dict[str, Any]]:
    """Run ``policy`` for one episode on each of ``episodes`` patients of population ``population_seed``.

    ``population_seed`` moves ``config`` to that population whatever it names (training's validation passes its
    full training config); ``None``: the config's population, else the evaluation population.

    Returns per-patient metrics and audits ({name: (episodes,)}, plus ``start_age_years``), a count of the
    policy's reasons and the example patient's timeline (:mod:`twin_env.evaluation.timeline`). ``progress``
    (a tqdm bar) advances by one per decision step. ``record_audit=False`` skips judging every executed
    prescription (about half the time of a rollout; the ``record_hard_violations`` audits are then zero).
    """
    done = run_rollout(policy, episodes, seed, config, shielded, population_seed, progress, record_audit)
    return done.values, done.reasons, done.timeline


def run_rollout(
    policy: Policy,
    episodes: int,
    seed: int,
    config: dict[str, Any] | None = None,
    shielded: bool = False,
    population_seed: int | None = None,
    progress: tqdm | None = None,
    record_audit: bool = True,
) -> Rollout:
    """:func:`rollout`, with what a sharded evaluation needs to merge shards (:class:`Rollout`)."""
    population = evaluation_population(config, None) if population_seed is None else population_seed
    cfg = cohort_config(config, population)
    base = PrimaryCareVectorEnv(episodes, cfg)
    check_observation_space(policy, base)
    env = VectorSafetyShield(base, mode="replace") if shielded else base
    obs, _ = env.reset(seed=seed)
    policy.reset(seed)
    acc = OutcomeAccumulator(
        episodes, cfg.willingness_to_pay_gbp, shielded=shielded, discount_rate_per_year=cfg.discount_rate_per_year
    )
    batch = base.batch
    audits = AuditAccumulator(batch, judge_record=record_audit)
    reasons = ReasonTally()
    coded = hypertension_rows(batch).size > 0
    timeline = TimelineRecorder(batch, example_row(batch))
    steps = 0
    while acc.active.any():
        inputs = policy_inputs(base, obs)
        actions, why = policy.act(inputs)
        reasons.add(steps, why, acc.active.tolist())
        acc.before_step(batch, actions, inputs.mask)
        audits.before_step(batch, acc.active)
        day = int(batch.sim.days[timeline.row])
        obs, _, terminated, truncated, info = env.step(actions)
        executed = info["executed_action"] if shielded else np.where(info["action_executed"], actions, 0)
        timeline.record_step(day, int(actions[timeline.row]), int(executed[timeline.row]))
        if shielded:
            acc.add_safety(info)
        done = terminated | truncated
        if done[timeline.row]:
            timeline.finish(batch)
        audits.after_step(batch)
        acc.after_step(batch, info["reward_components"], done, cfg.dt_years)
        steps += 1
        if progress is not None:
            progress.update(1)
    if progress is not None:
        progress.update(max(0, cfg.max_steps - steps))
    values = {**acc.per_patient(), **audits.per_patient(), "start_age_years": audits.start_age_years}
    return Rollout(values, reasons, timeline.data or {}, coded)
