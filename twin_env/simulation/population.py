"""Patients drawn from a seeded population by index (the env's batches, the CLI's cohorts)."""

from __future__ import annotations

import numpy as np

from twin_env.twin.baseline_conditions import BaselineDiagnoses
from twin_env.twin.cohort import sample_population
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


def sample_patients(
    index: np.ndarray,
    population_seed: int,
    *,
    min_age_years: float,
    max_age_years: float,
    twin_params: TwinParameters | None = None,
) -> tuple[PatientState, BaselineDiagnoses]:
    """The population's patients at ``index`` (k,) int, in that order (k rows).

    One block from the smallest to the largest index is sampled, so keep the indices close
    together (one episode's); patient ``i`` depends only on (seed, i).
    """
    lo, hi = int(index.min()), int(index.max()) + 1
    state, dx = sample_population(
        hi - lo, population_seed, min_age=min_age_years, max_age=max_age_years, first_index=lo, config=twin_params
    )
    take = index - lo
    return state.take(take), BaselineDiagnoses({k: np.asarray(v)[take] for k, v in dx.diagnosed.items()})
