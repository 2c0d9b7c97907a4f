"""Policies without clinical logic: do nothing, and a uniformly random valid (masked) action."""

from __future__ import annotations

import numpy as np

from twin_env.policies.base import Policy, PolicyInput


class DoNothingPolicy(Policy):
    """Always action 0 (``do_nothing``): care is only what the care layer does unprompted."""

    name = "do_nothing"

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        return np.zeros(inputs.n, dtype=np.int64), ["do nothing"] * inputs.n


class RandomMaskedPolicy(Policy):
    """A uniformly random action among those the mask allows (seeded by :meth:`reset`)."""

    name = "random"
    batch_dependent = True

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        mask = inputs.mask
        u = self.rng.random(mask.shape) * mask  # masked entries score 0, valid ones (0, 1)
        u[:, 0] += 1e-12  # do_nothing is always valid; breaks the all-masked tie
        return u.argmax(axis=1).astype(np.int64), ["random valid action"] * inputs.n
