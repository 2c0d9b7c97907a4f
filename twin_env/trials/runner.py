"""``run_trial``: sample, screen, select, allocate, follow each arm up on the twin, and analyse.

Each arm is its own :class:`~twin_env.simulation.Simulation` of its patients (taken from one sampled
population, so a patient keeps its random-stream key in every arm: paired arms share their luck),
followed up by :func:`twin_env.trials.follow_up.follow_up` (monthly steps). The follow-up runs over
contiguous shards of the eligible cohort (:mod:`twin_env.trials.shards`; one shard, in this process, by
default); the analysis runs once on the merged per-patient data, so the result is the same for any sharding.
The record is kept without artefacts (``artefacts=False``). An outcome's time is the end of the step
of its first event; death without it censors at death, survivors at the end of follow-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin_env.care.parameters import CareParameters
from twin_env.trials.allocation import allocate
from twin_env.trials.eligibility import eligible
from twin_env.trials.protocol import load_protocol
from twin_env.trials.result import TrialResult
from twin_env.trials.schema import Protocol
from twin_env.trials.screening import screen
from twin_env.trials.shard_backend import Sharding
from twin_env.trials.shards import check_shardable, follow_up_shards
from twin_env.trials.statistics import compare_arms, kaplan_meier
from twin_env.trials.summary import baseline_table
from twin_env.twin.cohort import sample_population


def run_trial(
    protocol: Protocol | str | Path | dict[str, Any],
    *,
    progress: Callable[[int, int], None] | None = None,
    sharding: Sharding | None = None,
) -> TrialResult:
    """Run ``protocol`` (a Protocol, a path to its JSON, or its dict) on the twin.

    ``progress(done, total)`` is called after every simulated step of every arm (with shards outside this
    process: after every shard). ``sharding``: the follow-up over contiguous shards of the eligible cohort
    (default: one shard, in this process); the result is byte-identical for every sharding. Deterministic to
    the byte for a protocol (its population seed). Raises ``ProtocolError`` for an invalid protocol and
    ``ValueError`` (one line) when an arm would have no patients, for more shards than eligible patients, or
    for a sharded policy arm whose policy draws one random stream for the whole batch.
    """
    protocol = _as_protocol(protocol)
    sharding = sharding or Sharding()
    check_shardable(protocol, sharding)
    pop = protocol.population
    state, diagnoses = sample_population(pop.n, pop.seed, min_age=pop.min_age, max_age=pop.max_age)
    care_params = CareParameters.default()
    screening = screen(state, diagnoses, care_params)
    selected = np.flatnonzero(eligible(protocol.eligibility, screening))
    arms = allocate(selected, protocol.arm_names, protocol.allocation, pop.seed)
    if min(len(index) for index in arms.values()) == 0:
        raise ValueError(
            f"eligibility: {len(selected)} of {pop.n} sampled patients are eligible, too few for "
            f"{len(arms)} arms; widen the criteria or raise population.n"
        )
    followed = follow_up_shards(protocol, selected, arms, sharding, progress)

    frames, achieved, baseline, died = [], {}, {}, {}
    for arm in protocol.arms:
        index, arm_result = arms[arm.name], followed[arm.name]
        baseline[arm.name] = baseline_table({k: v[index] for k, v in screening.items()})
        achieved[arm.name] = arm_result.achieved
        died[arm.name] = int(np.count_nonzero(~np.isnan(arm_result.death_years)))
        frames.append(
            _per_patient(arm.name, index, arm_result.first_years, arm_result.death_years, protocol.follow_up_years)
        )

    per_patient = pd.concat(frames, ignore_index=True)
    outcomes, survival = _analyse(protocol, per_patient)
    flow = {
        "sampled": int(pop.n),
        "eligible": int(len(selected)),
        "allocated": {name: int(len(arms[name])) for name in protocol.arm_names},
        "died": died,
        "completed": {name: int(len(arms[name])) - died[name] for name in protocol.arm_names},
    }
    return TrialResult(protocol, flow, baseline, achieved, outcomes, survival, per_patient)


def _as_protocol(protocol: Protocol | str | Path | dict[str, Any]) -> Protocol:
    return protocol if isinstance(protocol, Protocol) else load_protocol(protocol)


def _per_patient(
    arm: str, index: np.ndarray, first: dict[str, np.ndarray], death: np.ndarray, follow_up_years: float
) -> pd.DataFrame:
    """One arm's rows: arm, patient_index, and per outcome ``<name>_time_years`` and ``<name>_event``."""
    columns: dict[str, Any] = {"arm": np.full(len(index), arm, dtype=object), "patient_index": index}
    end = np.where(np.isnan(death), follow_up_years, death)
    for name, time in first.items():
        event = ~np.isnan(time)
        columns[f"{name}_time_years"] = np.where(event, time, end)
        columns[f"{name}_event"] = event
    return pd.DataFrame(columns)


def _analyse(protocol: Protocol, per_patient: pd.DataFrame) -> tuple[dict, dict]:
    """Outcome comparisons against the reference arm and Kaplan-Meier curves, per outcome."""
    paired = protocol.allocation == "paired"
    outcomes, survival = {}, {}
    for name in protocol.outcomes:
        args = (per_patient["arm"], per_patient[f"{name}_time_years"], per_patient[f"{name}_event"])
        patient = per_patient["patient_index"] if paired else None
        outcomes[name] = compare_arms(*args, protocol.reference_arm, patient_id=patient, arms=protocol.arm_names)
        survival[name] = kaplan_meier(*args)
    return outcomes, survival
