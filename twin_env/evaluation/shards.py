"""An evaluation over contiguous shards of its cohort: each shard a rollout of patients ``seed + first ..``.

A policy's ``episodes`` patients (vector-env rows seeded ``seed``: row ``i`` meets population patient ``seed + i``)
are split into ``K`` contiguous shards (:func:`twin_env.trials.shard_backend.shard_bounds`); shard ``[first, stop)``
is a rollout of ``stop - first`` rows seeded ``seed + first``, so it meets the same patients, and the twin, care and
record draw from counter-based streams keyed by patient and step, so each patient's episode is the same. The
shards' per-patient values are concatenated in row order, their reason tallies merged in order of first sight
(:func:`twin_env.evaluation.reason_tally.merge_tallies`) and the example timeline taken from the first shard that
has one, so :func:`twin_env.evaluation.evaluate.evaluate` summarises exactly the data of an unsharded run.
A policy whose rows depend on each other (``batch_dependent``: a batch-wide random stream, or a network whose
rounding depends on the batch size) runs as one shard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from twin_env.evaluation.reason_tally import ReasonTally, merge_tallies
from twin_env.evaluation.rollout import Rollout, run_rollout
from twin_env.policies import Policy, make_policy
from twin_env.trials.shard_backend import Sharding, run_shards, shard_bounds


def rollout_shard(
    policy: str | Policy,
    first: int,
    count: int,
    seed: int,
    config: dict[str, Any] | None,
    shielded: bool,
    population_seed: int,
    algo: str | None,
    progress: tqdm | None = None,
) -> Rollout:
    """Rows ``first .. first + count - 1`` of an evaluation seeded ``seed``: a rollout seeded ``seed + first``."""
    made = make_policy(policy, seed, algo=algo)
    return run_rollout(made, count, seed + first, config, shielded, population_seed, progress)


def shard_count(policy: Policy, sharding: Sharding) -> int:
    """Shards ``policy`` runs in: ``sharding.shards``, or one for a policy whose rows depend on each other."""
    return 1 if getattr(policy, "batch_dependent", False) else sharding.shards


def sharded_rollouts(
    specs: Sequence[str | Policy],
    policies: Sequence[Policy],
    episodes: int,
    seed: int,
    config: dict[str, Any] | None,
    shielded: bool,
    population_seed: int,
    algo: str | None,
    sharding: Sharding,
    bar: tqdm | None = None,
    steps_per_shard: int = 0,
) -> list[tuple[dict[str, np.ndarray], ReasonTally, dict[str, Any]]]:
    """Per policy, (per-patient values, reason tally, example timeline) over :func:`shard_count` shards, merged.

    Every policy's shards are submitted at once (one worker pool or one set of Ray tasks). ``specs[i]`` is what
    worker processes rebuild ``policies[i]`` from (a saved model's path made absolute: workers may run
    elsewhere); in this process the policy objects run. ``bar`` advances by one per decision step in process,
    else by ``steps_per_shard`` per finished shard.
    """
    fixed = (seed, config, shielded, population_seed, algo)
    bounds = [shard_bounds(episodes, shard_count(policy, sharding)) for policy in policies]
    done: Callable[[int, int], None] | None = None
    args = []
    for spec, policy, cuts in zip(specs, policies, bounds):
        if sharding.in_process:
            args += [(policy, first, stop - first, *fixed, bar) for first, stop in cuts]
        else:
            remote = str(Path(spec).resolve()) if isinstance(spec, str) and Path(spec).exists() else spec
            args += [(remote, first, stop - first, *fixed) for first, stop in cuts]
    if not sharding.in_process and bar is not None:
        done = lambda finished, total: bar.update(steps_per_shard)  # noqa: E731
    parts: list[Rollout] = run_shards(rollout_shard, args, sharding, done=done)
    out, at = [], 0
    for cuts in bounds:
        mine, at = parts[at : at + len(cuts)], at + len(cuts)
        values = {k: np.concatenate([p.values[k] for p in mine]) for k in mine[0].values}
        reasons = merge_tallies([(first, p.reasons) for (first, _), p in zip(cuts, mine)])
        out.append((values, reasons, _example_timeline(cuts, mine)))
    return out


def _example_timeline(bounds: list[tuple[int, int]], parts: list[Rollout]) -> dict[str, Any]:
    """The timeline of the cohort's example: the first shard's whose example is coded hypertensive, else row 0's."""
    for (first, _), part in zip(bounds, parts):
        if part.example_coded:
            return {**part.timeline, "row": first + part.timeline["row"]} if part.timeline else {}
    return parts[0].timeline
