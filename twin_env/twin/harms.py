"""Adverse effects of antihypertensives and statins as competing-event hazards, and their consequences.

Hypotension/syncope, injurious falls and hip fracture, acute kidney injury, hyperkalaemia,
hyponatraemia, gout, ACE-inhibitor cough, CCB oedema and statin muscle symptoms. Each hazard reads
the latent state only: drugs and doses, time since a start or step-up (``twin/treatment.py``
records it), achieved and untreated SBP, eGFR, potassium, age and a previous fall. Figures are in
``twin_env/data/harm_parameters.csv``; equations in ``docs/twin.md`` ("Treatment harms").

Time windows (15 days after a step-up, 60 days after an ACE-inhibitor start, ...) are averaged
over the step ``[t, t + dt]``, so a monthly step carries half of a 15-day window's excess.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.events import EventKind
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import BP_DRUG_CLASSES, TREATMENT_FIELDS, PatientState

_INDEX = {field: i for i, field in enumerate(TREATMENT_FIELDS)}
_NO_STOP = -1
# random channels (offsets within Channel.HARMS's range 0-19)
_AKI_RECOVERY, _AKI_STOP, _HYPERKALAEMIA_STOP, _HYPONATRAEMIA_STOP, _GOUT_STOP = range(5)


def add_hazards(state: PatientState, params: TwinParameters, hazards: np.ndarray, dt_years: float) -> None:
    """Write the annual hazards (len(EventKind), N) of the harm event kinds in place, for a step of ``dt_years``."""
    p = params
    classes = np.zeros(state.n)
    for name in BP_DRUG_CLASSES:
        classes += state.columns[f"dose_{name}"] > 0
    treated = classes > 0
    lowering_below_10 = drug_lowering_below_mmhg(state, p["harm_sbp_threshold_mmhg"]) / 10.0
    raas = (state.dose_acei > 0) | (state.dose_arb > 0)
    dual_raas = (state.dose_acei > 0) & (state.dose_arb > 0)

    hazards[EventKind.HYPOTENSION_SYNCOPE] = _syncope(state, p, classes, lowering_below_10)
    _falls(state, p, hazards, treated, dt_years)
    hazards[EventKind.ACUTE_KIDNEY_INJURY] = _aki(state, p, raas, dual_raas, lowering_below_10, dt_years)
    _hyperkalaemia(state, p, hazards, raas, dual_raas)
    _thiazide_harms(state, p, hazards, dt_years)
    _intolerance(state, p, hazards, dt_years)


def drug_lowering_below_mmhg(state: PatientState, threshold_mmhg: float) -> np.ndarray:
    """(N,) mmHg of the treatment fall that lies below ``threshold_mmhg``: min(fall, threshold - SBP), >= 0.

    Zero for an untreated patient however low their SBP; the whole fall when untreated SBP is below the threshold.
    """
    fall = state.sbp_untreated_mmhg - state.sbp_mmhg
    return np.maximum(np.minimum(fall, threshold_mmhg - state.sbp_mmhg), 0.0)


def window_fraction(elapsed_years: np.ndarray, window_years: float, dt_years: float) -> np.ndarray:
    """(k,) share of the step ``[t, t + dt]`` inside a window ``[0, window)`` after a start; 0 where t is NaN."""
    overlap = np.minimum(elapsed_years + dt_years, window_years) - elapsed_years
    return np.where(np.isnan(elapsed_years), 0.0, np.clip(overlap, 0.0, dt_years) / dt_years)


def decay_average(elapsed_years: np.ndarray, time_constant_years: float, dt_years: float) -> np.ndarray:
    """(k,) mean of exp(-s / tau) over the step ``s in [t, t + dt]``; 0 where t is NaN."""
    t = np.where(np.isnan(elapsed_years), np.inf, np.maximum(elapsed_years, 0.0))
    tau = time_constant_years
    return tau * np.exp(-t / tau) * -np.expm1(-dt_years / tau) / dt_years


def _syncope(state: PatientState, p: TwinParameters, classes: np.ndarray, lowering_10: np.ndarray) -> np.ndarray:
    """SAE hypotension or syncope: background rising with age, x per class taken, x per 10 mmHg of drug lowering."""
    log_h = (
        np.log(p["syncope_hr_per_10_years_age"]) * (state.age_years - p["syncope_reference_age_years"]) / 10.0
        + np.log(p["syncope_hr_per_drug_class"]) * classes
        + np.log(p["syncope_hr_per_10mmhg_drug_lowering_below_threshold"]) * lowering_10
    )
    adult = state.age_years >= p["adult_age_years"]
    return p["syncope_rate_per_year_reference"] * np.exp(log_h) * adult


def _falls(state: PatientState, p: TwinParameters, hazards: np.ndarray, treated: np.ndarray, dt: float) -> None:
    """Injurious fall (no hip fracture) and hip fracture, for patients aged ``fall_injury_min_age_years`` and over."""
    rows = np.flatnonzero(state.age_years >= p["fall_injury_min_age_years"])
    if rows.size == 0:
        return
    sub = state.view(rows)
    age = sub.age_years
    tens_over_80 = (age - 80.0) / 10.0
    sbp = sub.sbp_mmhg
    lowering_floor_10 = (
        np.maximum(np.minimum(sub.sbp_untreated_mmhg - sbp, p["sbp_benefit_floor_mmhg"] - sbp), 0.0) / 10
    )
    log_common = (
        np.log(p["fall_hr_on_antihypertensive"]) * treated[rows]
        + np.log(p["fall_hr_previous_fall"]) * sub.injurious_fall_history
        + np.log(p["fall_hr_per_10mmhg_drug_lowering_below_floor"]) * lowering_floor_10
    )
    log_fall = np.log(p["fall_injury_hr_per_10_years_age"]) * tens_over_80 + log_common
    log_hip = np.log(p["hip_fracture_hr_per_10_years_age"]) * tens_over_80 + log_common
    base = p["fall_injury_rate_per_year_age_80"]
    hip_share = p["hip_fracture_share_of_fall_injuries"]
    fall = base * (1.0 - hip_share) * np.exp(log_fall)
    hip = base * hip_share * np.exp(log_hip)
    # windows after a start / added class / titration, only for the recently intensified
    elapsed = age - sub.bp_intensified_age_years
    recent = np.flatnonzero(elapsed < max(p["fall_window_years"], p["hip_fracture_window_years"]))  # NaN: never
    if recent.size:
        log_or = np.log(
            [1.0, p["fall_or_window_start"], p["fall_or_window_added_class"], p["fall_or_window_titration"]]
        )
        log_or_kind = log_or[sub.bp_intensification_kind[recent]]
        hip_log_irr = log_or_kind * np.log(p["hip_fracture_irr_window_start"]) / log_or[1]
        t = elapsed[recent]
        fall[recent] *= 1.0 + np.expm1(log_or_kind) * window_fraction(t, p["fall_window_years"], dt)
        hip[recent] *= 1.0 + np.expm1(hip_log_irr) * window_fraction(t, p["hip_fracture_window_years"], dt)
    hazards[EventKind.INJURIOUS_FALL, rows] = fall
    hazards[EventKind.HIP_FRACTURE, rows] = hip


def _aki(
    state: PatientState,
    p: TwinParameters,
    raas: np.ndarray,
    dual_raas: np.ndarray,
    lowering_10: np.ndarray,
    dt: float,
) -> np.ndarray:
    """AKI: untreated rate x RAAS, diuretic, dual blockade, low eGFR, drug lowering; + an ACEi/ARB start excess."""
    diuretic = (state.dose_thiazide > 0) | (state.dose_spironolactone > 0)
    hr_raas, hr_diuretic = p["aki_hr_raas_blocker"], p["aki_hr_diuretic"]
    reference_hr = (hr_raas * hr_diuretic) ** (p["aki_reference_drug_groups"] / 2.0)
    untreated_rate = p["aki_rate_per_year_raas_or_diuretic_user"] / reference_hr
    egfr_below_10 = np.maximum(p["aki_egfr_reference_ml_min"] - state.egfr_ml_min_1_73m2, 0.0) / 10.0
    log_h = (
        np.log(hr_raas) * raas
        + np.log(hr_diuretic) * diuretic
        + np.log(p["aki_hr_dual_raas"]) * dual_raas
        + np.log(p["aki_hr_per_10_egfr_below_reference"]) * egfr_below_10
        + np.log(p["aki_hr_per_10mmhg_drug_lowering_below_threshold"]) * lowering_10
    )
    hazard = untreated_rate * np.exp(log_h) * (state.age_years >= p["adult_age_years"])
    started = np.flatnonzero(raas & ~np.isnan(state.raas_started_age_years))
    if started.size:
        elapsed = state.age_years[started] - state.raas_started_age_years[started]
        window = window_fraction(elapsed, p["aki_raas_start_window_years"], dt)
        hazard[started] += p["aki_raas_start_excess_per_year"] * window
    return hazard


@functools.lru_cache(maxsize=1)
def _normal_tail_grid() -> tuple[np.ndarray, np.ndarray]:
    """P(Z >= z) of a standard normal on a grid of z in [-8, 8] (step 0.001), for interpolation."""
    z = np.linspace(-8.0, 8.0, 16_001)
    return z, np.array([0.5 * math.erfc(v / math.sqrt(2.0)) for v in z])


def _hyperkalaemia(
    state: PatientState, p: TwinParameters, hazards: np.ndarray, raas: np.ndarray, dual_raas: np.ndarray
) -> None:
    """Admission for K >= 6.0: scale x P(K >= 6.0 | usual K, within-person SD) x dual blockade.

    Only for patients on a RAAS blocker or spironolactone or with eGFR < 60 (others are not modelled).
    """
    rows = np.flatnonzero(raas | (state.dose_spironolactone > 0) | (state.egfr_ml_min_1_73m2 < 60.0))
    if rows.size == 0:
        return
    sd = p["hyperkalaemia_within_person_sd_mmol_l"]
    z = (p["hyperkalaemia_threshold_mmol_l"] - state.potassium_mmol_l[rows]) / sd
    tail = np.interp(z, *_normal_tail_grid())
    dual = np.where(dual_raas[rows], p["hyperkalaemia_hr_dual_raas"], 1.0)
    hazards[EventKind.HYPERKALAEMIA, rows] = p["hyperkalaemia_rate_scale_per_year"] * tail * dual


def _thiazide_harms(state: PatientState, p: TwinParameters, hazards: np.ndarray, dt: float) -> None:
    """Thiazide-attributable hyponatraemia (higher in the first 30 days) and gout (excess over background)."""
    rows = np.flatnonzero(state.dose_thiazide > 0)
    if rows.size == 0:
        return
    elapsed = state.age_years[rows] - state.thiazide_started_age_years[rows]
    early = window_fraction(elapsed, p["hyponatraemia_window_years"], dt)
    late = p["hyponatraemia_excess_per_year_thiazide"]
    hazards[EventKind.HYPONATRAEMIA, rows] = late + (p["hyponatraemia_excess_per_year_first_30_days"] - late) * early
    hazards[EventKind.GOUT, rows] = p["gout_rate_per_year_background"] * (p["gout_or_thiazide_like"] - 1.0)


def _intolerance(state: PatientState, p: TwinParameters, hazards: np.ndarray, dt: float) -> None:
    """Stopping for ACE-inhibitor cough, CCB oedema and statin muscle symptoms after a start seen in the simulation."""
    rows = np.flatnonzero((state.dose_acei > 0) & ~np.isnan(state.acei_started_age_years))
    if rows.size:
        tau = p["acei_cough_time_constant_years"]
        elapsed = state.age_years[rows] - state.acei_started_age_years[rows]
        hazards[EventKind.ACEI_COUGH, rows] = _front_loaded(p["acei_cough_withdrawal_fraction"], tau, elapsed, dt)
    rows = np.flatnonzero((state.dose_ccb > 0) & ~np.isnan(state.ccb_started_age_years))
    if rows.size:
        tau = p["ccb_oedema_time_constant_years"]
        elapsed = state.age_years[rows] - state.ccb_started_age_years[rows]
        dose = np.where(state.dose_ccb[rows] >= 2.0, p["ccb_oedema_high_dose_ratio"], 1.0)
        oedema = _front_loaded(p["ccb_oedema_withdrawal_fraction"], tau, elapsed, dt)
        hazards[EventKind.CCB_OEDEMA, rows] = oedema * dose
    rows = np.flatnonzero((state.statin_ldl_reduction > 0) & ~np.isnan(state.statin_started_age_years))
    if rows.size:
        elapsed = state.age_years[rows] - state.statin_started_age_years[rows]
        high = state.statin_ldl_reduction[rows] >= p["statin_high_intensity_ldl_reduction"] - 1e-6
        rr = np.where(high, p["statin_muscle_rr_high_intensity"], p["statin_muscle_rr_moderate_intensity"])
        excess = p["statin_muscle_excess_year1_per_year"] * (rr - 1.0) / (p["statin_muscle_rr_year1"] - 1.0)
        stopping = excess / p["statin_muscle_attributable_stop_share"]
        hazards[EventKind.STATIN_MUSCLE_SYMPTOMS, rows] = stopping * window_fraction(elapsed, 1.0, dt)


def _front_loaded(total_fraction: float, tau_years: float, elapsed: np.ndarray, dt: float) -> np.ndarray:
    """Hazard (k,) h0 exp(-t / tau) averaged over the step, with h0 tau = -ln(1 - total) (the lifetime share)."""
    h0 = -math.log1p(-total_fraction) / tau_years
    return h0 * decay_average(elapsed, tau_years, dt)


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
    alive = state.alive
    fell = (kind == EventKind.INJURIOUS_FALL) | (kind == EventKind.HIP_FRACTURE)
    state.injurious_fall_history = state.injurious_fall_history | (fell & alive)

    aki = np.flatnonzero((kind == EventKind.ACUTE_KIDNEY_INJURY) & alive)
    if aki.size:
        _aki_egfr_loss(state, p, aki, keys, counter)
        order = ("dose_acei", "dose_arb", "dose_thiazide", "dose_spironolactone")
        _stop_first_taken(state, aki, order, p["aki_stop_probability"], keys, counter, _AKI_STOP, stopped)
    hyperk = np.flatnonzero((kind == EventKind.HYPERKALAEMIA) & alive)
    if hyperk.size:
        order = ("dose_spironolactone", "dose_acei", "dose_arb")
        prob = p["hyperkalaemia_stop_probability"]
        _stop_first_taken(state, hyperk, order, prob, keys, counter, _HYPERKALAEMIA_STOP, stopped)
    for event, name, channel in (
        (EventKind.HYPONATRAEMIA, "hyponatraemia_stop_probability", _HYPONATRAEMIA_STOP),
        (EventKind.GOUT, "gout_stop_probability", _GOUT_STOP),
    ):
        rows = np.flatnonzero((kind == event) & alive)
        if rows.size:
            _stop_first_taken(state, rows, ("dose_thiazide",), p[name], keys, counter, channel, stopped)
    for event, field in (
        (EventKind.ACEI_COUGH, "dose_acei"),
        (EventKind.CCB_OEDEMA, "dose_ccb"),
        (EventKind.STATIN_MUSCLE_SYMPTOMS, "statin_ldl_reduction"),
    ):
        rows = np.flatnonzero((kind == event) & alive & (state.columns[field] > 0))
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
