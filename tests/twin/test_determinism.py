"""Same seed, same result to the bit; patients independent of batch size and companions."""

from __future__ import annotations

import numpy as np
import pandas as pd

import twin_env
from twin_env.twin import PatientState, TwinSimulator, sample_population


def _simulate(state: PatientState, months: int) -> list[np.ndarray]:
    simulator = TwinSimulator()
    kinds = []
    for _ in range(months):
        kinds.append(simulator.step(state).kind.copy())
    return kinds


def test_sample_cohort_is_bitwise_reproducible() -> None:
    pd.testing.assert_frame_equal(twin_env.sample_cohort(5_000, seed=9), twin_env.sample_cohort(5_000, seed=9))


def test_different_seeds_differ() -> None:
    a, b = twin_env.sample_cohort(500, seed=1), twin_env.sample_cohort(500, seed=2)
    assert not np.array_equal(a["age"], b["age"])


def test_cohort_is_a_prefix_of_a_larger_cohort() -> None:
    small = twin_env.sample_cohort(100, seed=4)
    large = twin_env.sample_cohort(1_000, seed=4)
    pd.testing.assert_frame_equal(small, large.iloc[:100])


def test_simulation_is_bitwise_reproducible() -> None:
    a, _ = sample_population(2_000, 8, min_age=40, max_age=80)
    b, _ = sample_population(2_000, 8, min_age=40, max_age=80)
    kinds_a, kinds_b = _simulate(a, 60), _simulate(b, 60)
    assert all(np.array_equal(x, y) for x, y in zip(kinds_a, kinds_b))
    assert a.equals(b)


def test_a_patient_alone_follows_its_trajectory_in_the_batch() -> None:
    batch, _ = sample_population(300, 12, min_age=50, max_age=80)
    loners = [batch.take(np.array([i])) for i in (0, 7, 123, 299)]
    batch_kinds = np.stack(_simulate(batch, 120))
    for i, loner in zip((0, 7, 123, 299), loners):
        loner_kinds = np.stack(_simulate(loner, 120))[:, 0]
        assert np.array_equal(loner_kinds, batch_kinds[:, i])
        assert loner.equals(batch.take(np.array([i])))


def test_something_happens() -> None:
    state, _ = sample_population(5_000, 21, min_age=60, max_age=80)
    kinds = np.stack(_simulate(state, 120))
    assert (kinds > 0).any(axis=0).mean() > 0.2
    assert not state.alive.all()
