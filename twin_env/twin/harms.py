"""Adverse effects of antihypertensives and statins as competing-event hazards, and their consequences.

Hypotension/syncope, injurious falls and hip fracture, acute kidney injury, hyperkalaemia,
hyponatraemia, gout, ACE-inhibitor cough, CCB oedema and statin muscle symptoms. Each hazard reads
the latent state only: drugs and doses, time since a start or step-up (``twin/treatment.py``
records it), achieved and untreated SBP, eGFR, potassium, age and a previous fall. Figures are in
``twin_env/data/harm_parameters.csv``; equations in ``docs/twin.md`` ("Treatment harms").

The hazards are computed in the compiled kernel (``twin/hazard_kernel.py``, ``_harm_hazards``); this
module holds their age tables, window formulas and the events' consequences.

Time windows (15 days after a step-up, 60 days after an ACE-inhibitor start, ...) are averaged
over the step ``[t, t + dt]``, so a monthly step carries half of a 15-day window's excess.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.events import EventKind
from twin_env.twin.parameters import GRID_MAX_AGE_YEARS, GRID_STEP_YEARS, TwinParameters
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import TREATMENT_FIELDS, PatientState

_INDEX = {field: i for i, field in enumerate(TREATMENT_FIELDS)}
_NO_STOP = -1
# random channels (offsets within Channel.HARMS's range 0-19)
_AKI_RECOVERY, _AKI_STOP, _HYPERKALAEMIA_STOP, _HYPONATRAEMIA_STOP, _GOUT_STOP = range(5)


@dataclasses.dataclass(frozen=True)
class AgeTables:
    """Background annual hazards by age on the grid of ``GRID_STEP_YEARS`` (the parameters' age grid)."""

    syncope: np.ndarray
    fall: np.ndarray
    hip: np.ndarray
    aki: np.ndarray  # untreated, eGFR above the reference


_AGE_TABLES: dict[int, tuple[TwinParameters, AgeTables]] = {}


def age_tables(p: TwinParameters) -> AgeTables:
    """The background age curves of syncope, falls and hip fracture for a parameter set (cached)."""
    held = _AGE_TABLES.get(id(p))
    if held is not None and held[0] is p:
        return held[1]
    age = np.arange(0.0, GRID_MAX_AGE_YEARS + GRID_STEP_YEARS / 2, GRID_STEP_YEARS)
    tens_over_ref = (age - p["syncope_reference_age_years"]) / 10.0
    syncope = p["syncope_rate_per_year_reference"] * p["syncope_hr_per_10_years_age"] ** tens_over_ref
    base = p["fall_injury_rate_per_year_age_80"] * (age >= p["fall_injury_min_age_years"])
    hip_share = p["hip_fracture_share_of_fall_injuries"]
    tens_over_80 = (age - 80.0) / 10.0
    adult = age >= p["adult_age_years"]
    aki_reference_hr = (p["aki_hr_raas_blocker"] * p["aki_hr_diuretic"]) ** (p["aki_reference_drug_groups"] / 2.0)
    tables = AgeTables(
        syncope=syncope * adult,
        aki=p["aki_rate_per_year_raas_or_diuretic_user"]
        / aki_reference_hr
        * p["aki_hr_per_10_years_age"] ** ((age - p["aki_reference_age_years"]) / 10.0)
        * adult,
        fall=(1.0 - hip_share) * base * p["fall_injury_hr_per_10_years_age"] ** tens_over_80,
        hip=hip_share * base * p["hip_fracture_hr_per_10_years_age"] ** tens_over_80,
    )
    if len(_AGE_TABLES) >= 8:  # a few parameter sets at a time is the usual case
        _AGE_TABLES.clear()
    _AGE_TABLES[id(p)] = (p, tables)
    return tables


def drug_lowering_below_mmhg(sbp_untreated_mmhg: np.ndarray, sbp_mmhg: np.ndarray, threshold_mmhg: float) -> np.ndarray:
    """(k,) mmHg of the treatment fall that lies below ``threshold_mmhg``: min(fall, threshold - SBP), >= 0.

    Zero for an untreated patient however low their SBP; the whole fall when untreated SBP is below the threshold.
    """
    return np.maximum(np.minimum(sbp_untreated_mmhg - sbp_mmhg, threshold_mmhg - sbp_mmhg), 0.0)


def window_fraction(elapsed_years: np.ndarray, window_years: float, dt_years: float) -> np.ndarray:
    """(k,) share of the step ``[t, t + dt]`` inside a window ``[0, window)`` after a start; 0 where t is NaN."""
    overlap = np.minimum(elapsed_years + dt_years, window_years) - elapsed_years
    return np.where(np.isnan(elapsed_years), 0.0, np.clip(overlap, 0.0, dt_years) / dt_years)


def decay_average(elapsed_years: np.ndarray, time_constant_years: float, dt_years: float) -> np.ndarray:
    """(k,) mean of exp(-s / tau) over the step ``s in [t, t + dt]``; 0 where t is NaN."""
    t = np.where(np.isnan(elapsed_years), np.inf, np.maximum(elapsed_years, 0.0))
    tau = time_constant_years
    return tau * np.exp(-t / tau) * -np.expm1(-dt_years / tau) / dt_years


TAIL_Z_MAX, TAIL_Z_STEP = 8.0, 0.001


@functools.cache
def normal_tail_grid() -> np.ndarray:
    """P(Z >= z) of a standard normal on a grid of z in [-8, 8] (step 0.001)."""
    z = np.arange(-TAIL_Z_MAX, TAIL_Z_MAX + TAIL_Z_STEP / 2, TAIL_Z_STEP)
    return np.array([0.5 * math.erfc(v / math.sqrt(2.0)) for v in z])


def apply_consequences(
    state: PatientState, kind: np.ndarray, params: TwinParameters, keys: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Consequences in the twin of this step's events ``kind`` (N,) of this module's kinds.

    Falls set the fall history; AKI lowers eGFR by its recovery class and may stop a RAAS blocker or
    diuretic; hyperkalaemia stops spironolactone (else the RAAS blocker); hyponatraemia and gout may
    stop the thiazide; cough, oedema and muscle symptoms stop their drug. Drug columns are set to 0;
    the simulator recomputes current levels at the end of the step.

    Returns (N,) int8: the index in ``TREATMENT_FIELDS`` of a drug the event made the patient stop, or -1.
    """
    p = params
    stopped = np.full(state.n, _NO_STOP, dtype=np.int8)
    harmed = np.flatnonzero(
        (kind >= EventKind.HYPOTENSION_SYNCOPE) & (kind <= EventKind.STATIN_MUSCLE_SYMPTOMS) & state.alive
    )
    if harmed.size == 0:
        return stopped
    harm = kind[harmed]
    fell = harmed[(harm == EventKind.INJURIOUS_FALL) | (harm == EventKind.HIP_FRACTURE)]
    state.injurious_fall_history[fell] = True

    aki = harmed[harm == EventKind.ACUTE_KIDNEY_INJURY]
    if aki.size:
        _aki_egfr_loss(state, p, aki, keys, counter)
        order = ("dose_acei", "dose_arb", "dose_thiazide", "dose_spironolactone")
        _stop_first_taken(state, aki, order, p["aki_stop_probability"], keys, counter, _AKI_STOP, stopped)
    hyperk = harmed[harm == EventKind.HYPERKALAEMIA]
    if hyperk.size:
        order = ("dose_spironolactone", "dose_acei", "dose_arb")
        prob = p["hyperkalaemia_stop_probability"]
        _stop_first_taken(state, hyperk, order, prob, keys, counter, _HYPERKALAEMIA_STOP, stopped)
    for event, name, channel in (
        (EventKind.HYPONATRAEMIA, "hyponatraemia_stop_probability", _HYPONATRAEMIA_STOP),
        (EventKind.GOUT, "gout_stop_probability", _GOUT_STOP),
    ):
        rows = harmed[harm == event]
        if rows.size:
            _stop_first_taken(state, rows, ("dose_thiazide",), p[name], keys, counter, channel, stopped)
    for event, field in (
        (EventKind.ACEI_COUGH, "dose_acei"),
        (EventKind.CCB_OEDEMA, "dose_ccb"),
        (EventKind.STATIN_MUSCLE_SYMPTOMS, "statin_ldl_reduction"),
    ):
        rows = harmed[harm == event]
        rows = rows[state.columns[field][rows] > 0]
        state.columns[field][rows] = 0.0
        stopped[rows] = _INDEX[field]
    return stopped


def _aki_egfr_loss(
    state: PatientState, p: TwinParameters, rows: np.ndarray, keys: np.ndarray, counter: np.ndarray
) -> None:
    """Lasting eGFR loss after AKI: none (complete recovery), partial-recovery loss, or no-recovery loss."""
    u = rs.uniform(keys[rows], counter[rows], Channel.HARMS + _AKI_RECOVERY)
    complete, partial = p["aki_recovery_complete_fraction"], p["aki_recovery_partial_fraction"]
    loss = np.where(
        u < complete,
        0.0,
        np.where(u < complete + partial, p["aki_egfr_loss_fraction_partial"], p["aki_egfr_loss_fraction_none"]),
    )
    state.egfr_ml_min_1_73m2[rows] = state.egfr_ml_min_1_73m2[rows] * (1.0 - loss)


def _stop_first_taken(
    state: PatientState,
    rows: np.ndarray,
    order: tuple[str, ...],
    probability: float,
    keys: np.ndarray,
    counter: np.ndarray,
    channel_offset: int,
    stopped: np.ndarray,
) -> None:
    """With ``probability``, patients ``rows`` stop the first drug of ``order`` they take; writes ``stopped``."""
    stop = rows[rs.uniform(keys[rows], counter[rows], Channel.HARMS + channel_offset) < probability]
    for field in order:
        taking = stop[(state.columns[field][stop] > 0) & (stopped[stop] == _NO_STOP)]
        state.columns[field][taking] = 0.0
        stopped[taking] = _INDEX[field]
