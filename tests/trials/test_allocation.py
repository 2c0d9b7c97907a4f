"""Allocation: randomised is a seeded, balanced partition; paired puts everyone in every arm."""

from __future__ import annotations

import numpy as np

from twin_env.trials.allocation import allocate


def test_randomised_is_a_balanced_partition() -> None:
    index = np.arange(1000, 2001)  # 1001 patients
    arms = allocate(index, ("a", "b", "c"), "randomised", seed=5)
    sizes = sorted(len(v) for v in arms.values())
    assert sizes == [333, 334, 334]
    together = np.concatenate(list(arms.values()))
    assert np.array_equal(np.sort(together), index)


def test_randomised_depends_on_the_seed_only() -> None:
    index = np.arange(500)
    first = allocate(index, ("a", "b"), "randomised", seed=1)
    again = allocate(index, ("a", "b"), "randomised", seed=1)
    other = allocate(index, ("a", "b"), "randomised", seed=2)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["a"], other["a"])


def test_paired_puts_everyone_in_every_arm() -> None:
    index = np.array([3, 8, 9])
    arms = allocate(index, ("x", "y"), "paired", seed=0)
    assert all(np.array_equal(v, index) for v in arms.values())
