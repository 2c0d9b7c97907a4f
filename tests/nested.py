"""Shared test helper: deep equality of nested observations and infos (dicts, sequences, arrays)."""

from __future__ import annotations

import numpy as np


def same(a: object, b: object) -> bool:
    """``a`` equals ``b`` element for element, recursing into dicts, lists and tuples; arrays exactly."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b
