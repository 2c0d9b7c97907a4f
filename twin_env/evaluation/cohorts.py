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
    """``overrides`` (e.g. a trained model's full EnvConfig) moved to the population ``population_seed``,
    whatever population they name: for callers that choose the cohort (training, validation). An evaluation
    picks its population with :func:`evaluation_population` first, which refuses a contradiction."""
    return EnvConfig.from_value({**(overrides or {}), "population_seed": population_seed})


#: What each fixed population is for (any other seed is a population the project never samples).
POPULATION_ROLES: dict[int, str] = {
    TRAIN_POPULATION_SEED: "training",
    VALIDATION_POPULATION_SEED: "validation",
    EVAL_POPULATION_SEED: "evaluation",
}


def evaluation_population(config: dict[str, Any] | None, population_seed: int | None) -> int:
    """The population an evaluation runs on: ``population_seed``, else the config's ``population_seed``, else
    :data:`EVAL_POPULATION_SEED`. Raises ``ValueError`` when both are given and differ (never a silent choice)."""
    in_config = (config or {}).get("population_seed")
    if population_seed is not None and in_config is not None and in_config != population_seed:
        raise ValueError(
            f"population_seed {in_config!r} in the env config contradicts the population seed {population_seed}; "
            "allowed: give it once (twin-env evaluate: --population-seed)"
        )
    if population_seed is not None:
        return int(population_seed)
    return EVAL_POPULATION_SEED if in_config is None else int(in_config)
