"""Allocation of the eligible patients to arms: ``randomised`` (seeded equal split) or ``paired``."""

from __future__ import annotations

import numpy as np

#: Mixed into the population seed so the allocation stream is independent of the population's.
ALLOCATION_STREAM = 0x7472_6961_6C73  # "trials"


def allocate(eligible_index: np.ndarray, arms: tuple[str, ...], allocation: str, seed: int) -> dict[str, np.ndarray]:
    """Arm -> sorted population indices (k,) int64 of its patients.

    ``randomised``: a seeded random permutation dealt round-robin, so arm sizes differ by at most one;
    ``paired``: every eligible patient in every arm (common random numbers make the arms counterfactuals).
    """
    index = np.asarray(eligible_index, dtype=np.int64)
    if allocation == "paired":
        return {arm: index.copy() for arm in arms}
    if allocation != "randomised":
        raise ValueError(f"allocation {allocation!r}; allowed: randomised, paired")
    order = np.random.default_rng([seed, ALLOCATION_STREAM]).permutation(len(index))
    return {arm: np.sort(index[order[i :: len(arms)]]) for i, arm in enumerate(arms)}
