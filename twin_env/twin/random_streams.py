"""Per-patient counter-based random numbers.

Every random number the twin draws is a pure function of (patient key, counter, channel), where
the patient key is a 64-bit integer derived from the user's seed through
:class:`numpy.random.SeedSequence`. This gives each patient an independent stream that does not
depend on how many other patients are simulated alongside, in which order, or under which policy:

- a patient behaves identically alone (N = 1) and in a batch of 100,000;
- two policies compared on the same seed face the same "luck" (common random numbers);
- a cohort of n patients is a prefix of the cohort of n + 1.

The mixing function is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied twice, on
``uint64`` (arithmetic wraps modulo 2**64). It is compiled once, in :mod:`twin_env.twin.random_kernels`
(numba, imported on the first draw so that ``import twin_env`` stays quick); this module is its NumPy API.
"""

from __future__ import annotations

import enum

import numpy as np


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
    NATRIURETIC_PEPTIDE = 290  # twin/natriuretic_peptide.py: the patient's spread (counter 0)
    HEART_FAILURE_SYMPTOMS = 291  # twin/heart_failure_symptoms.py: symptoms brought to the GP this step


def patient_keys(seed: int, first_index: int, n: int) -> np.ndarray:
    """Keys (n,) uint64 of patients ``first_index .. first_index + n - 1`` for a seed."""
    from twin_env.twin.random_kernels import patient_keys_array  # noqa: PLC0415 (numba: imported on first use)

    root = np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0]
    return patient_keys_array(root, int(first_index), int(n))


def uniform(keys: np.ndarray, counter: np.ndarray | int, channel: int) -> np.ndarray:
    """Uniform draws in [0, 1), shape of ``keys``; a pure function of its arguments."""
    from twin_env.twin.random_kernels import uniform_array  # noqa: PLC0415 (numba: imported on first use)

    keys = np.asarray(keys, dtype=np.uint64)
    counters = np.asarray(counter).astype(np.uint64, copy=False)
    if counters.shape != keys.shape:  # a scalar counter (broadcasting costs more than the draws of a small batch)
        counters = np.broadcast_to(counters, keys.shape)
    flat = uniform_array(
        np.ascontiguousarray(keys).reshape(-1), np.ascontiguousarray(counters).reshape(-1), int(channel)
    )
    return flat.reshape(keys.shape)


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
