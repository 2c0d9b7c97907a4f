"""Compiled counter-based random draws (numba): the one implementation of the twin's random streams.

``uniform_at(key, counter, channel)`` is SplitMix64's finaliser (Steele, Lea & Flood 2014) applied twice
to ``key + counter * golden`` and the channel, on ``uint64`` (arithmetic wraps modulo 2**64); the top 53
bits give a float64 in [0, 1). :mod:`twin_env.twin.random_streams` is the NumPy-facing API over these
kernels; compiled kernels of the twin call ``uniform_at`` per patient.

This module imports numba: import it lazily (inside a function), never at the top of a module that
``import twin_env`` loads. Kernels compile on first call and are cached (``cache=True``) next to this
file, or under ``NUMBA_CACHE_DIR`` where the package directory is read-only.
"""

from __future__ import annotations

import numba
import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
CHANNEL = np.uint64(0xD1B54A32D192ED03)
S30, S27, S31, S11 = (np.uint64(s) for s in (30, 27, 31, 11))
TO_UNIT = 2.0**-53


@numba.njit(cache=True, error_model="numpy", inline="always")
def mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser of one uint64."""
    z = (z ^ (z >> S30)) * MIX1
    z = (z ^ (z >> S27)) * MIX2
    return z ^ (z >> S31)


@numba.njit(cache=True, error_model="numpy", inline="always")
def uniform_at(key: np.uint64, counter: np.int64, channel: np.int64) -> float:
    """One uniform draw in [0, 1) of (patient key, counter, channel)."""
    z = key + np.uint64(counter) * GOLDEN
    z = mix(mix(z) ^ (np.uint64(channel) * CHANNEL))
    return np.float64(z >> S11) * TO_UNIT


@numba.njit(cache=True, error_model="numpy", inline="always")
def occurs(u: float, cumulative_hazard: float) -> bool:
    """Whether uniform ``u`` falls below ``1 - exp(-cumulative_hazard)``: exactly ``u < -expm1(-cumulative_hazard)``.

    Skips the ``expm1`` call where ``u >= cumulative_hazard``: 1 - exp(-x) < x for x > 0, and ``expm1`` (faithfully
    rounded) returns one of the two floats around the true value, both <= the float x, so the comparison is false
    either way (for x = 0 both sides say no; a NaN x takes the full comparison). Most patients draw no event in a step.
    """
    if u >= cumulative_hazard:
        return False
    return u < -np.expm1(-cumulative_hazard)


@numba.njit(cache=True, error_model="numpy")
def uniform_array(keys: np.ndarray, counters: np.ndarray, channel: int) -> np.ndarray:
    """Uniform draws (n,) of keys (n,) uint64 and counters (n,) uint64 on one channel."""
    out = np.empty(keys.size)
    for i in range(keys.size):
        out[i] = uniform_at(keys[i], counters[i], channel)
    return out


@numba.njit(cache=True, error_model="numpy")
def patient_keys_array(root: np.uint64, first_index: int, n: int) -> np.ndarray:
    """Keys (n,) uint64 of patients ``first_index .. first_index + n - 1`` under a root key."""
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        index = np.uint64(first_index + i)
        out[i] = mix(root ^ mix(index * GOLDEN + GOLDEN))
    return out
