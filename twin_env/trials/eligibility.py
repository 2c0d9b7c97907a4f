"""Eligibility: which screened patients meet a protocol's criteria (ranges inclusive, ``null`` open)."""

from __future__ import annotations

import numpy as np

from twin_env.trials.schema import Criteria, Eligibility


def meets(criteria: Criteria, screening: dict[str, np.ndarray]) -> np.ndarray:
    """(N,) bool: every criterion of the group holds (an empty group holds for everyone).

    ``screening`` is :func:`twin_env.trials.screening.screen`'s output (or a hand-built dict with the keys
    the criteria read: range keys, condition names, ``on_*`` flags).
    """
    n = len(next(iter(screening.values())))
    ok = np.ones(n, dtype=bool)
    for key, allowed in criteria.ranges().items():
        ok &= allowed.contains(screening[key])
    for name in criteria.require_all:
        ok &= np.asarray(screening[name], dtype=bool)
    for name in criteria.exclude_any:
        ok &= ~np.asarray(screening[name], dtype=bool)
    for key, wanted in criteria.flags().items():
        ok &= np.asarray(screening[key], dtype=bool) == wanted
    return ok


def eligible(eligibility: Eligibility, screening: dict[str, np.ndarray]) -> np.ndarray:
    """(N,) bool: the main criteria hold and, if ``any_of`` groups are given, at least one of them."""
    ok = meets(eligibility, screening)
    if eligibility.any_of:
        ok &= np.logical_or.reduce([meets(group, screening) for group in eligibility.any_of])
    return ok
