"""A trial's follow-up over contiguous shards of its eligible cohort: each shard a pure function of (seed, indices).

:func:`follow_up_shards` splits the eligible patients (population indices, ascending) into ``K`` contiguous shards
(:func:`twin_env.trials.shard_backend.shard_bounds`); :func:`follow_up_shard` samples a shard's patients
afresh from the population seed (patient ``i`` depends only on (seed, i)), screens them (counter-based streams
keyed by patient) and follows every arm's patients of the shard up; the shards' per-patient results are then
concatenated in index order (:func:`twin_env.trials.follow_up.concat_follow_ups`), so the trial's analysis sees
exactly the arrays of an unsharded run. Needs arms whose strategy treats each patient on its own: a policy arm
whose policy decides rows together (``batch_dependent``: a batch-wide random stream, or a trained network) is
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.policies import make_policy
from twin_env.simulation import Simulation, sample_patients
from twin_env.trials.follow_up import ArmFollowUp, concat_follow_ups, follow_up, step_count, step_ticker
from twin_env.trials.protocol import parse_protocol, protocol_to_dict
from twin_env.trials.schema import PolicyStrategy, Protocol
from twin_env.trials.screening import screen
from twin_env.trials.shard_backend import Sharding, run_shards, shard_bounds


def follow_up_shard(
    protocol_dict: dict[str, Any], arms: dict[str, np.ndarray], tick: Callable[[], None] | None = None
) -> dict[str, ArmFollowUp]:
    """Follow up one shard: ``arms`` maps each arm to its patients' population indices (k,) ascending in the shard;
    the result has an entry for each arm with patients here.

    ``protocol_dict``: the protocol as :func:`~twin_env.trials.protocol.protocol_to_dict` writes it (plain data, for
    worker processes). The patients are sampled from its population and screened here, so a shard needs only the
    protocol and the indices. ``tick()`` is called after each simulated step (in-process progress).
    """
    protocol = parse_protocol(protocol_dict)
    pop = protocol.population
    index = np.unique(np.concatenate(list(arms.values())))
    state, diagnoses = sample_patients(index, pop.seed, min_age_years=pop.min_age, max_age_years=pop.max_age)
    screening = screen(state, diagnoses, CareParameters.default())
    out = {}
    for arm in protocol.arms:
        if len(arms[arm.name]) == 0:  # a randomised arm may have no patient in a small shard
            continue
        rows = np.searchsorted(index, arms[arm.name])
        seen = {k: v[rows] for k, v in screening.items()}
        sim = Simulation(state.take(rows), diagnoses.take(rows), start_date=pop.start_date, artefacts=False)
        out[arm.name] = follow_up(sim, arm.strategy, seen, pop, protocol.follow_up_years, protocol.outcomes, tick=tick)
    return out


def follow_up_shards(
    protocol: Protocol,
    selected: np.ndarray,
    arms: dict[str, np.ndarray],
    sharding: Sharding,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, ArmFollowUp]:
    """Every arm followed up over ``sharding.shards`` contiguous shards of the eligible ``selected`` (n,) indices.

    ``arms``: arm -> its sorted population indices (from ``allocate``). Progress is ``(steps done, total)`` in
    process, else ``(shards done, shards)``. Raises ``ValueError`` (one line) for more shards than eligible
    patients. Callers check :func:`check_shardable` first (before sampling anyone).
    """
    bounds = shard_bounds(len(selected), sharding.shards)
    plain, tasks = protocol_to_dict(protocol), []
    for arm in plain["arms"]:  # a saved model's directory, absolute: worker processes may start elsewhere
        policy = arm["strategy"].get("policy")
        if policy is not None and Path(policy).is_dir():
            arm["strategy"]["policy"] = str(Path(policy).resolve())
    for first, stop in bounds:
        lo, hi = selected[first], selected[stop - 1]
        tasks.append({name: index[(index >= lo) & (index <= hi)] for name, index in arms.items()})
    if sharding.in_process:
        steps, _ = step_count(protocol.follow_up_years)
        tick = step_ticker(steps * sum(len(i) > 0 for t in tasks for i in t.values()), progress)
        parts = run_shards(follow_up_shard, [(plain, t, tick) for t in tasks], sharding)
    else:
        parts = run_shards(follow_up_shard, [(plain, t) for t in tasks], sharding, done=progress)
    return {arm.name: concat_follow_ups([p[arm.name] for p in parts if arm.name in p]) for arm in protocol.arms}


def check_shardable(protocol: Protocol, sharding: Sharding) -> None:
    """``ValueError`` naming the arm when sharding would change a policy arm's actions (rows decided together)."""
    if sharding.shards == 1:
        return
    for index, arm in enumerate(protocol.arms):
        strategy = arm.strategy
        if isinstance(strategy, PolicyStrategy) and getattr(make_policy(strategy.policy), "batch_dependent", False):
            raise ValueError(
                f"arms[{index}].strategy.policy: {strategy.policy!r} draws one random stream for the whole batch, "
                "so its actions would depend on the shard; run it with --shards 1"
            )
