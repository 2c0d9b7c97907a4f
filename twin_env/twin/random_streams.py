"""Per-patient counter-based random numbers.

Every random number the twin draws is a pure function of (patient key, counter, channel), where
the patient key is a 64-bit integer derived from the user's seed through
:class:`numpy.random.SeedSequence`. This gives each patient an independent stream that does not
depend on how many other patients are simulated alongside, in which order, or under which policy:

- a patient behaves identically alone (N = 1) and in a batch of 100,000;
- two policies compared on the same seed face the same "luck" (common random numbers);
- a cohort of n patients is a prefix of the cohort of n + 1.

The mixing function is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied twice, on
NumPy ``uint64`` arrays (arithmetic wraps modulo 2**64).
"""

from __future__ import annotations

import enum

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_CHANNEL = np.uint64(0xD1B54A32D192ED03)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_TO_UNIT = 2.0**-53


class Channel(enum.IntEnum):
    """Purpose of a draw; each purpose gets its own independent stream."""

    # population sampling (counter = 0)
    SEX = 1
    AGE = 2
    ETHNICITY = 3
    IMD = 4
    TOWNSEND = 5
    SMOKING = 6
    SMOKING_AMOUNT = 7
    BMI = 8
    SBP = 9
    SBP_VISIT_SD = 10
    DBP = 11
    RATIO = 12
    HDL = 13
    HBA1C = 14
    EGFR = 15
    ACR = 16
    POTASSIUM = 17
    FLAGS = 18  # offset by the flag's index
    WHITE_COAT_SBP = 40
    WHITE_COAT_DBP = 41
    CONDITION = 60  # offset by the condition's index
    DIAGNOSED = 80  # offset by the condition's index
    TREATMENT = 100  # offset by the treatment's index
    ADHERENCE = 120
    # natural history (counter = step index)
    EVENT_OCCURS = 200
    EVENT_KIND = 201
    CASE_FATALITY = 202
    TREATMENT_STOP = 203
    TREATMENT_STOP_KIND = 204
    ONSET_LEVEL = 205
    HARMS = 210  # twin/harms.py: offset 0-19
    GLYCAEMIA = 230  # twin/glycaemia.py: offset 0-19
    MORTALITY = 250  # twin/mortality.py: offset 0-9
    RISK_FACTORS = 260  # twin/risk_factors.py: offset 0-19
    TREATMENT_BURDEN = 280  # twin/treatment_burden.py: offset 0-9


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def patient_keys(seed: int, first_index: int, n: int) -> np.ndarray:
    """Keys (n,) uint64 of patients ``first_index .. first_index + n - 1`` for a seed."""
    root = np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0]
    index = np.arange(first_index, first_index + n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _mix(root ^ _mix(index * _GOLDEN + _GOLDEN))


def uniform(keys: np.ndarray, counter: np.ndarray | int, channel: int) -> np.ndarray:
    """Uniform draws in [0, 1), shape of ``keys``; a pure function of its arguments."""
    with np.errstate(over="ignore"):
        z = keys + np.asarray(counter, dtype=np.uint64) * _GOLDEN
        z = _mix(_mix(z) ^ (np.uint64(channel) * _CHANNEL))
    return (z >> _S11).astype(np.float64) * _TO_UNIT


def standard_normal(keys: np.ndarray, counter: np.ndarray | int, channel: int) -> np.ndarray:
    """Standard normal draws by the Box-Muller transform of two independent uniforms."""
    u1 = uniform(keys, counter, channel)
    u2 = uniform(keys, counter, channel + 1000)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def categorical(u: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Category index for uniforms ``u`` (n,) given probabilities (k,) or (n, k) summing to 1."""
    cumulative = np.cumsum(probabilities, axis=-1)
    if cumulative.ndim == 1:
        return np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), cumulative.shape[1] - 1)
