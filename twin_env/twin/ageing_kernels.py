"""The step's ageing and onset detection compiled (numba): one pass each over the batch, the NumPy code's operations.

:func:`age_patients` and :func:`detect_onsets` are the bodies of the corresponding lines of
:meth:`twin_env.twin.simulator.TwinSimulator.step` (its one caller), operation for operation in the same precision
(plain additions, products and comparisons), so results are identical to the bit. Import lazily (numba).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, error_model="numpy")
def age_patients(  # noqa: PLR0913
    age_years: np.ndarray,
    sbp_offset_mmhg: np.ndarray,
    alive: np.ndarray,
    adult_age_years: float,
    dt_years: float,
    sbp_drift_per_step_mmhg: float,
) -> np.ndarray:
    """Age the living by ``dt_years`` and add the SBP drift to those 40 or over after ageing; returns adult (N,) bool.

    ``age_years`` (N,) float64 and ``sbp_offset_mmhg`` (N,) float32 in place; ``adult`` is read before ageing. As
    ``age = age + dt * alive`` then ``offset = offset + drift_per_step * (alive & (age >= 40))`` in NumPy (the
    float32 offset plus a float64 term, in float64, rounded back to float32).
    """
    adult = np.empty(age_years.size, dtype=np.bool_)
    for i in range(age_years.size):
        age = age_years[i]
        adult[i] = age >= adult_age_years
        living = alive[i]
        age = age + dt_years * (1.0 if living else 0.0)
        age_years[i] = age
        drifting = living and age >= 40.0
        sbp_offset_mmhg[i] = np.float32(
            np.float64(sbp_offset_mmhg[i]) + sbp_drift_per_step_mmhg * (1.0 if drifting else 0.0)
        )
    return adult


@numba.njit(cache=True, error_model="numpy")
def detect_onsets(  # noqa: PLR0913
    alive: np.ndarray,
    adult: np.ndarray,
    sbp_untreated_mmhg: np.ndarray,
    dbp_untreated_mmhg: np.ndarray,
    egfr_ml_min_1_73m2: np.ndarray,
    hypertension: np.ndarray,
    ckd_3_5: np.ndarray,
    qrisk3_h10: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Hypertension (untreated BP 140/90 or more) and CKD 3-5 (eGFR under 60) onsets (N,) bool of living adults.

    Sets ``hypertension`` and ``ckd_3_5`` (N,) bool where they start and clears ``qrisk3_h10`` (N,) at a CKD onset
    (a QRISK3 input changed), in place.
    """
    n = alive.size
    htn_onset, ckd_onset = np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if not (alive[i] and adult[i]):
            continue
        if (sbp_untreated_mmhg[i] >= 140.0 or dbp_untreated_mmhg[i] >= 90.0) and not hypertension[i]:
            htn_onset[i] = True
            hypertension[i] = True
        if egfr_ml_min_1_73m2[i] < 60.0 and not ckd_3_5[i]:
            ckd_onset[i] = True
            ckd_3_5[i] = True
            qrisk3_h10[i] = np.nan
    return htn_onset, ckd_onset
