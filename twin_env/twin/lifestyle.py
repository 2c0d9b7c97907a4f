"""The twin's lifestyle API: what a stop-smoking attempt, a weight or a diabetes prevention programme does.

Care calls these (as it calls :mod:`twin_env.twin.treatment` for drugs) instead of writing risk-factor
columns. Each recomputes the patients' untreated and current levels at once, so the next hazards see
the change; what happens afterwards (relapse to smoking, weight regain) is
:func:`twin_env.twin.risk_factors.progress`'s.

Random draws are pure functions of (patient key, step index, channel), so a patient's attempt
succeeds or fails the same way alone or in a batch.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import raise_sbp_mmhg, update_age_dependent_levels
from twin_env.twin.random_streams import Channel
from twin_env.twin.risk_factors import set_smoking
from twin_env.twin.state import PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects

_QUIT_ATTEMPT = Channel.RISK_FACTORS + 10


def _checked_rows(state: PatientState, rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows)
    if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
        raise ValueError(f"rows must be a 1-D array of patient indices, got shape {rows.shape} of {rows.dtype}")
    if rows.size and (rows.min() < 0 or rows.max() >= state.n):
        raise ValueError(f"rows must be patient indices in [0, {state.n}), got {rows.min()}..{rows.max()}")
    return rows


def stop_smoking_service_quit_probability(params: TwinParameters) -> float:
    """Chance a quit attempt supported by an NHS stop-smoking service is abstinent at 4 weeks (54%)."""
    return params["stop_smoking_service_4_week_quit_fraction"]


def quit_smoking(
    state: PatientState, rows: np.ndarray, params: TwinParameters, success_probability: float | None = None
) -> np.ndarray:
    """The living current smokers among ``rows`` (k,) make a quit attempt now; returns the rows that quit.

    ``success_probability`` is the chance of 4-week abstinence: the stop-smoking service's (default,
    :func:`stop_smoking_service_quit_probability`) or
    :func:`twin_env.twin.risk_factors.unaided_quit_probability` for an attempt
    without support. A quitter becomes an ex-smoker now and then relapses as any ex-smoker (about 75%
    within the year). Non-smokers, ex-smokers and the dead are unchanged.
    """
    rows = _checked_rows(state, rows)
    probability = stop_smoking_service_quit_probability(params) if success_probability is None else success_probability
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"success_probability must be in [0, 1], got {probability!r}")
    smokers = rows[(state.smoking[rows] >= 2) & state.alive[rows]]
    u = rs.uniform(state.patient_key[smokers], state.step_index[smokers], _QUIT_ATTEMPT)
    quitters = smokers[u < probability]
    if quitters.size:
        set_smoking(state, quitters, np.ones(quitters.size, dtype=np.int8), params)
        _update_levels(state, params)
    return quitters


def weight_change_bmi_kg_m2(
    state: PatientState, rows: np.ndarray, kg: np.ndarray, params: TwinParameters
) -> np.ndarray:
    """BMI change (k,) of a weight change in kg, at the mean adult height of each patient's sex."""
    height = np.where(state.female[rows], params["adult_height_mean_female_m"], params["adult_height_mean_male_m"])
    return np.asarray(kg, dtype=np.float64) / height**2


def change_weight(state: PatientState, rows: np.ndarray, kg: float | np.ndarray, params: TwinParameters) -> None:
    """The living patients ``rows`` (k,) change weight by ``kg`` (scalar or (k,)) now, e.g. after a programme.

    The change is held as ``bmi_programme_shift_kg_m2`` (added to any shift still held) and wears off
    exponentially (``weight_regain_time_constant_years``: WRAP, most of a loss regained by 5 years).
    Untreated SBP moves with BMI (``sbp_bmi_slope_mmhg_per_kg_m2``); the held risk-equation values of
    the patients are cleared so QRISK3 and QDiabetes see the new BMI at the next step.
    """
    rows = _checked_rows(state, rows)
    kg = np.broadcast_to(np.asarray(kg, dtype=np.float64), rows.shape)
    if not np.all(np.isfinite(kg)):
        raise ValueError("kg must be finite numbers of kilograms")
    alive = state.alive[rows]
    rows, kg = rows[alive], kg[alive]
    if not rows.size:
        return
    shift = weight_change_bmi_kg_m2(state, rows, kg, params)
    state.bmi_programme_shift_kg_m2[rows] += shift.astype(np.float32)
    raise_sbp_mmhg(state, rows, params["sbp_bmi_slope_mmhg_per_kg_m2"] * shift, params)
    state.qrisk3_h10[rows] = np.nan
    state.qdiabetes_h10[rows] = np.nan
    _update_levels(state, params)


def lower_hba1c(state: PatientState, rows: np.ndarray, mmol_mol: float | np.ndarray, params: TwinParameters) -> None:
    """The living patients ``rows`` (k,) lower their untreated HbA1c by ``mmol_mol`` (scalar or (k,), >= 0) now.

    A lifestyle programme's glycaemic change (NHS DPP); the level then progresses as before
    (:func:`twin_env.twin.glycaemia.progress`), so the fall is carried forward, not regained.
    """
    rows = _checked_rows(state, rows)
    fall = np.broadcast_to(np.asarray(mmol_mol, dtype=np.float64), rows.shape)
    if not np.all(np.isfinite(fall)) or np.any(fall < 0):
        raise ValueError("mmol_mol must be finite numbers >= 0 (a fall of HbA1c)")
    alive = state.alive[rows]
    rows, fall = rows[alive], fall[alive]
    if rows.size:
        state.hba1c_untreated_mmol_mol[rows] -= fall
        _update_levels(state, params)


def lower_diabetes_hazard(state: PatientState, rows: np.ndarray, hazard_ratio: float) -> None:
    """The type 2 diabetes hazard of the living ``rows`` (k,) is at most ``hazard_ratio`` (in (0, 1]) times the usual.

    Held as ``diabetes_programme_hazard_ratio`` (1 by default; a second programme does not compound the
    first) and read by the simulator's diabetes hazard: a prevention programme's effect beyond the
    weight it takes off (which reaches the QDiabetes hazard through BMI). Kept for life, as the
    Finnish DPS's effect lasted (Lindstrom 2006).
    """
    rows = _checked_rows(state, rows)
    if not (np.isfinite(hazard_ratio) and 0 < hazard_ratio <= 1):
        raise ValueError(f"hazard_ratio must be a number in (0, 1], got {hazard_ratio!r}")
    rows = rows[state.alive[rows]]
    held = state.diabetes_programme_hazard_ratio
    held[rows] = np.minimum(held[rows], np.float32(hazard_ratio))


def _update_levels(state: PatientState, params: TwinParameters) -> None:
    """Untreated levels from the offsets, then current levels from the drugs taken (both pure functions)."""
    update_age_dependent_levels(state, params)
    apply_treatment_effects(state, params)
