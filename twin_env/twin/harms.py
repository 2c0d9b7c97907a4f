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

import dataclasses
import functools
import math

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.events import EventKind
from twin_env.twin.parameters import GRID_MAX_AGE_YEARS, GRID_STEP_YEARS, TwinParameters
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import BP_DRUG_CLASSES, TREATMENT_FIELDS, PatientState

_INDEX = {field: i for i, field in enumerate(TREATMENT_FIELDS)}
_NO_STOP = -1
# random channels (offsets within Channel.HARMS's range 0-19)
_AKI_RECOVERY, _AKI_STOP, _HYPERKALAEMIA_STOP, _HYPONATRAEMIA_STOP, _GOUT_STOP = range(5)


def add_hazards(state: PatientState, params: TwinParameters, hazards: np.ndarray, dt_years: float) -> None:
    """Write the annual hazards (len(EventKind), N) of the harm event kinds in place, for a step of ``dt_years``.

    Background terms (age, eGFR, fall history) are computed for everyone; drug terms only for the rows
    whose SBP the drugs taken lower (``treated``, about a fifth at ages 40-74): a prescription not taken
    (adherence 0) does no harm.
    """
    p = params
    treated = np.flatnonzero(state.sbp_untreated_mmhg > state.sbp_mmhg)  # the drugs taken lower SBP
    classes = np.zeros(treated.size, dtype=np.int8)
    for name in BP_DRUG_CLASSES:
        classes += state.columns[f"dose_{name}"][treated] > 0
    drugs = _TreatedRows(state, treated, classes, p)
    age_index = _age_index(state.age_years)
    tables = age_tables(p)
    hazards[EventKind.HYPOTENSION_SYNCOPE] = _syncope(p, drugs, tables.syncope.take(age_index))
    _falls(state, p, hazards, drugs, dt_years, tables.fall.take(age_index), tables.hip.take(age_index))
    hazards[EventKind.ACUTE_KIDNEY_INJURY] = _aki(state, p, drugs, dt_years, tables.aki.take(age_index))
    _hyperkalaemia(state, p, hazards, drugs)
    _thiazide_harms(state, p, hazards, drugs, dt_years)
    _intolerance(state, p, hazards, drugs, dt_years)


@dataclasses.dataclass(frozen=True)
class _AgeTables:
    """Background annual hazards by age on the grid of ``GRID_STEP_YEARS`` (the parameters' age grid)."""

    syncope: np.ndarray
    fall: np.ndarray
    hip: np.ndarray
    aki: np.ndarray  # untreated, eGFR above the reference


_AGE_TABLES: dict[int, tuple[TwinParameters, _AgeTables]] = {}


def age_tables(p: TwinParameters) -> _AgeTables:
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
    tables = _AgeTables(
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


def _age_index(age_years: np.ndarray) -> np.ndarray:
    """(N,) index of the nearest point of the age grid."""
    return (np.clip(age_years, 0.0, GRID_MAX_AGE_YEARS) * (1.0 / GRID_STEP_YEARS) + 0.5).astype(np.intp)


class _TreatedRows:
    """What the drug terms read, gathered once for the treated rows (k,)."""

    def __init__(self, state: PatientState, rows: np.ndarray, classes: np.ndarray, p: TwinParameters) -> None:
        self.rows = rows
        self.classes = classes
        self.sbp_untreated_mmhg = state.sbp_untreated_mmhg[rows]
        self.sbp_mmhg = state.sbp_mmhg[rows]
        self.acei = state.dose_acei[rows] > 0
        self.arb = state.dose_arb[rows] > 0
        self.raas = self.acei | self.arb
        self.dual_raas = self.acei & self.arb
        self.spironolactone = state.dose_spironolactone[rows] > 0
        self.thiazide = state.dose_thiazide[rows] > 0
        self.diuretic = self.thiazide | self.spironolactone
        self.ccb_dose = state.dose_ccb[rows]
        self.lowering_10 = drug_lowering_below_mmhg(
            self.sbp_untreated_mmhg, self.sbp_mmhg, p["harm_sbp_threshold_mmhg"]
        )
        self.lowering_10 /= 10.0


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


def _syncope(p: TwinParameters, drugs: _TreatedRows, background: np.ndarray) -> np.ndarray:
    """SAE hypotension or syncope: background (N,) by age, x per class taken, x per 10 mmHg of drug lowering."""
    hazard = background
    if drugs.rows.size:
        hazard[drugs.rows] *= np.exp(
            np.log(p["syncope_hr_per_drug_class"]) * drugs.classes
            + np.log(p["syncope_hr_per_10mmhg_drug_lowering_below_threshold"]) * drugs.lowering_10
        )
    return hazard


def _falls(
    state: PatientState,
    p: TwinParameters,
    hazards: np.ndarray,
    drugs: _TreatedRows,
    dt: float,
    fall: np.ndarray,
    hip: np.ndarray,
) -> None:
    """Injurious fall (no hip fracture) and hip fracture from their background by age ``fall``, ``hip`` (N,)."""
    age = state.age_years
    fell = np.flatnonzero(state.injurious_fall_history)
    fall[fell] *= p["fall_hr_previous_fall"]
    hip[fell] *= p["fall_hr_previous_fall"]
    rows = drugs.rows
    if rows.size:
        floor = p["sbp_benefit_floor_mmhg"]
        lowering_floor_10 = drug_lowering_below_mmhg(drugs.sbp_untreated_mmhg, drugs.sbp_mmhg, floor) / 10.0
        factor = np.exp(
            np.log(p["fall_hr_on_antihypertensive"]) * (drugs.classes > 0)
            + np.log(p["fall_hr_per_10mmhg_drug_lowering_below_floor"]) * lowering_floor_10
        )
        # windows after a start / added class / titration, only for the recently intensified
        elapsed = age[rows] - state.bp_intensified_age_years[rows]
        recent = np.flatnonzero(elapsed < max(p["fall_window_years"], p["hip_fracture_window_years"]))  # NaN: never
        hip_factor = factor.copy()
        if recent.size:
            ors = (1.0, p["fall_or_window_start"], p["fall_or_window_added_class"], p["fall_or_window_titration"])
            log_or = np.log(ors)
            log_or_kind = log_or[state.bp_intensification_kind[rows[recent]]]
            hip_log_irr = log_or_kind * np.log(p["hip_fracture_irr_window_start"]) / log_or[1]
            t = elapsed[recent]
            factor[recent] *= 1.0 + np.expm1(log_or_kind) * window_fraction(t, p["fall_window_years"], dt)
            hip_factor[recent] *= 1.0 + np.expm1(hip_log_irr) * window_fraction(t, p["hip_fracture_window_years"], dt)
        fall[rows] *= factor
        hip[rows] *= hip_factor
    hazards[EventKind.INJURIOUS_FALL] = fall
    hazards[EventKind.HIP_FRACTURE] = hip


def _aki(state: PatientState, p: TwinParameters, drugs: _TreatedRows, dt: float, untreated: np.ndarray) -> np.ndarray:
    """AKI: untreated rate (N,) x low eGFR x RAAS, diuretic, dual blockade, drug lowering; + an ACEi/ARB start excess.

    The untreated rate is the drug users' rate (Dreischulte 2015) over the hazard ratio of the users' mean drugs.
    """
    hr_raas, hr_diuretic = p["aki_hr_raas_blocker"], p["aki_hr_diuretic"]
    hazard = untreated
    egfr = state.egfr_ml_min_1_73m2
    ckd = np.flatnonzero(egfr < p["aki_egfr_reference_ml_min"])
    egfr_below_10 = (p["aki_egfr_reference_ml_min"] - egfr[ckd]) / 10.0
    hazard[ckd] *= np.exp(np.log(p["aki_hr_per_10_egfr_below_reference"]) * egfr_below_10)
    rows = drugs.rows
    if rows.size:
        hazard[rows] *= np.exp(
            np.log(hr_raas) * drugs.raas
            + np.log(hr_diuretic) * drugs.diuretic
            + np.log(p["aki_hr_dual_raas"]) * drugs.dual_raas
            + np.log(p["aki_hr_per_10mmhg_drug_lowering_below_threshold"]) * drugs.lowering_10
        )
        on_raas = rows[drugs.raas]
        elapsed = state.age_years[on_raas] - state.raas_started_age_years[on_raas]
        window = window_fraction(elapsed, p["aki_raas_start_window_years"], dt)
        hazard[on_raas] += p["aki_raas_start_excess_per_year"] * window
    return hazard


TAIL_Z_MAX, TAIL_Z_STEP = 8.0, 0.001


@functools.cache
def normal_tail_grid() -> np.ndarray:
    """P(Z >= z) of a standard normal on a grid of z in [-8, 8] (step 0.001)."""
    z = np.arange(-TAIL_Z_MAX, TAIL_Z_MAX + TAIL_Z_STEP / 2, TAIL_Z_STEP)
    return np.array([0.5 * math.erfc(v / math.sqrt(2.0)) for v in z])


def _normal_tail(z: np.ndarray) -> np.ndarray:
    """P(Z >= z) (k,) at the nearest grid point (relative error below 0.5% for |z| < 8)."""
    index = (np.clip(z, -TAIL_Z_MAX, TAIL_Z_MAX) + TAIL_Z_MAX) * (1.0 / TAIL_Z_STEP) + 0.5
    return normal_tail_grid().take(index.astype(np.intp))


def _hyperkalaemia(state: PatientState, p: TwinParameters, hazards: np.ndarray, drugs: _TreatedRows) -> None:
    """Admission for K >= 6.0: scale x P(K >= 6.0 | usual K, within-person SD) x dual blockade.

    Only for patients on a RAAS blocker or spironolactone or with eGFR < 60 (others are not modelled).
    """
    at_risk = state.egfr_ml_min_1_73m2 < 60.0
    at_risk[drugs.rows[drugs.raas | drugs.spironolactone]] = True
    rows = np.flatnonzero(at_risk)
    if rows.size == 0:
        return
    sd = p["hyperkalaemia_within_person_sd_mmol_l"]
    z = (p["hyperkalaemia_threshold_mmol_l"] - state.potassium_mmol_l[rows]) / sd
    hazard = p["hyperkalaemia_rate_scale_per_year"] * _normal_tail(z)
    dual = drugs.rows[drugs.dual_raas]
    hazards[EventKind.HYPERKALAEMIA, rows] = hazard
    hazards[EventKind.HYPERKALAEMIA, dual] *= p["hyperkalaemia_hr_dual_raas"]


def _thiazide_harms(
    state: PatientState, p: TwinParameters, hazards: np.ndarray, drugs: _TreatedRows, dt: float
) -> None:
    """Thiazide-attributable hyponatraemia (higher in the first 30 days) and gout (excess over background)."""
    rows = drugs.rows[drugs.thiazide]
    if rows.size == 0:
        return
    elapsed = state.age_years[rows] - state.thiazide_started_age_years[rows]
    early = window_fraction(elapsed, p["hyponatraemia_window_years"], dt)
    late = p["hyponatraemia_excess_per_year_thiazide"]
    hazards[EventKind.HYPONATRAEMIA, rows] = late + (p["hyponatraemia_excess_per_year_first_30_days"] - late) * early
    hazards[EventKind.GOUT, rows] = p["gout_rate_per_year_background"] * (p["gout_or_thiazide_like"] - 1.0)


def _intolerance(state: PatientState, p: TwinParameters, hazards: np.ndarray, drugs: _TreatedRows, dt: float) -> None:
    """Stopping for ACE-inhibitor cough, CCB oedema and statin muscle symptoms after a start seen in the simulation."""
    rows = drugs.rows[drugs.acei]
    rows = rows[~np.isnan(state.acei_started_age_years[rows])]
    if rows.size:
        tau = p["acei_cough_time_constant_years"]
        elapsed = state.age_years[rows] - state.acei_started_age_years[rows]
        hazards[EventKind.ACEI_COUGH, rows] = _front_loaded(p["acei_cough_withdrawal_fraction"], tau, elapsed, dt)
    on_ccb = drugs.ccb_dose > 0
    rows, ccb_dose = drugs.rows[on_ccb], drugs.ccb_dose[on_ccb]
    started = ~np.isnan(state.ccb_started_age_years[rows])
    rows, ccb_dose = rows[started], ccb_dose[started]
    if rows.size:
        tau = p["ccb_oedema_time_constant_years"]
        elapsed = state.age_years[rows] - state.ccb_started_age_years[rows]
        dose = np.where(ccb_dose >= 2.0, p["ccb_oedema_high_dose_ratio"], 1.0)
        oedema = _front_loaded(p["ccb_oedema_withdrawal_fraction"], tau, elapsed, dt)
        hazards[EventKind.CCB_OEDEMA, rows] = oedema * dose
    rows = np.flatnonzero(~np.isnan(state.statin_started_age_years))  # few: starts seen in the simulation
    rows = rows[state.statin_ldl_reduction[rows] > 0]
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
