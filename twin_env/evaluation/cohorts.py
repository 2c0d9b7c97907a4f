"""The fixed cohorts: training, validation and evaluation draw patients from different synthetic populations.

Training envs use ``EnvConfig(population_seed=TRAIN_POPULATION_SEED)`` (the env default, 0);
training picks its best checkpoint on ``VALIDATION_POPULATION_SEED`` (:mod:`twin_env.training.validation`);
evaluation uses ``EVAL_POPULATION_SEED``, a third population that neither training nor
checkpoint selection ever samples. Within the evaluation population, ``--seed S`` with ``--episodes N`` is patients
``S .. S+N-1`` (vector-env rows), the same patients for every policy (common random numbers:
the twin, care and record draw from counter-based streams keyed by patient and step, so
policies differ only through their actions).
"""

from __future__ import annotations

from typing import Any

from twin_env.envs.config import EnvConfig

TRAIN_POPULATION_SEED = 0
EVAL_POPULATION_SEED = 20_250_007
VALIDATION_POPULATION_SEED = 20_261_121


def cohort_config(overrides: dict[str, Any] | None, population_seed: int) -> EnvConfig:
    """``overrides`` as an EnvConfig on the population ``population_seed`` (one of the seeds above),
    whatever they say."""
    return EnvConfig.from_value({**(overrides or {}), "population_seed": population_seed})
