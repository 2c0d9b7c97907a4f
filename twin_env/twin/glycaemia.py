"""Glycaemia that matters: HbA1c gradients of CVD (UKPDS 35), microvascular complications, nephropathy,
and the harms of diabetes drugs (sulfonylurea hypoglycaemia, metformin GI intolerance, SGLT2 inhibitor
genital infection and ketoacidosis); the progression of HbA1c, eGFR, ACR and sulfonylurea weight gain.

The hazards are computed in the compiled kernel (``twin/hazard_kernel.py``); this module holds the
gradients' formula, the drug-harm figures it derives, the consequences and the progression.

Every rate is annual; parameters are in ``glycaemia_parameters.csv`` (see docs/twin.md, "Glycaemia").
A UKPDS 35 gradient with risk reduction r per 11 mmol/mol (1 percentage point) lower HbA1c is the
relative risk ``(1 / (1 - r)) ** ((max(HbA1c, 42) - reference) / 11)``: log-linear, no threshold,
floored at the normal range where UKPDS 35 found the lowest risk.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.events import EventKind
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import TREATMENT_FIELDS, PatientState

#: Event kinds of this module (a contiguous block of EventKind).
GLYCAEMIA_KINDS: tuple[EventKind, ...] = (
    EventKind.METFORMIN_GI_INTOLERANCE,
    EventKind.GENITAL_INFECTION,
    EventKind.DIABETIC_KETOACIDOSIS,
    EventKind.SEVERE_HYPOGLYCAEMIA,
    EventKind.RETINOPATHY,
    EventKind.FOOT_ULCER,
    EventKind.AMPUTATION,
)
_FIRST_KIND, _LAST_KIND = min(GLYCAEMIA_KINDS), max(GLYCAEMIA_KINDS)
_STOP_CHANNEL = Channel.GLYCAEMIA + 0  # did a drug harm make the patient stop the drug
_FIELD_INDEX = {f: np.int8(i) for i, f in enumerate(TREATMENT_FIELDS)}
#: Event kind -> the treatment field it may stop.
_STOPS_FIELD = {
    EventKind.METFORMIN_GI_INTOLERANCE: "metformin_mg_day",
    EventKind.GENITAL_INFECTION: "sglt2",
    EventKind.DIABETIC_KETOACIDOSIS: "sglt2",
    EventKind.SEVERE_HYPOGLYCAEMIA: "gliclazide_mg_day",
}
_HBA1C_POINT_MMOL_MOL = 11.0  # 1 percentage point (DCCT) of HbA1c in IFCC units, as UKPDS 35 reports


def hba1c_relative_risk(
    hba1c_mmol_mol: np.ndarray,
    reduction_per_point: float,
    reference_mmol_mol: float,
    floor_mmol_mol: float,
    cap_mmol_mol: float,
) -> np.ndarray:
    """Relative risk (k,) at HbA1c (k,) mmol/mol of a UKPDS 35 gradient (risk reduction per 11 mmol/mol lower).

    HbA1c is clipped to [floor, cap]: the lowest-risk normal range and the highest level UKPDS observed.
    """
    log_rr_per_point = -np.log1p(-reduction_per_point)
    excess = (np.clip(hba1c_mmol_mol, floor_mmol_mol, cap_mmol_mol) - reference_mmol_mol) / _HBA1C_POINT_MMOL_MOL
    return np.exp(log_rr_per_point * excess)


def dose_fraction(dose: np.ndarray, full_effect_dose: float) -> np.ndarray:
    """Fraction (k,) of a drug's full HbA1c effect reached at ``dose`` (sqrt of dose / full, at most 1)."""
    return np.sqrt(np.minimum(dose / full_effect_dose, 1.0))


def metformin_gi_initial_hazard(params: TwinParameters) -> float:
    """Annual hazard h0 of GI intolerance at a metformin start: h0 exp(-t / tau) gives the first-year incidence."""
    tau = params["metformin_gi_time_constant_years"]
    cumulative = -np.log1p(-params["metformin_gi_first_year_incidence"])
    return float(cumulative / (tau * -np.expm1(-1.0 / tau)))


def stop_probabilities(params: TwinParameters) -> dict[EventKind, float]:
    """Probability that each drug-harm event makes the patient stop the drug.

    Metformin: Tang 2020's excess first-year stopping of new over ongoing users, over the GI incidence.
    """
    p = params
    early_stop = (
        p["tang2020_metformin_stop_within_year_new_users"] - p["tang2020_metformin_stop_within_year_ongoing_users"]
    )
    return {
        EventKind.METFORMIN_GI_INTOLERANCE: min(early_stop / p["metformin_gi_first_year_incidence"], 1.0),
        EventKind.GENITAL_INFECTION: p["stop_sglt2_after_genital_infection"],
        EventKind.DIABETIC_KETOACIDOSIS: p["stop_sglt2_after_diabetic_ketoacidosis"],
        EventKind.SEVERE_HYPOGLYCAEMIA: p["stop_gliclazide_after_severe_hypoglycaemia"],
    }


def apply_consequences(
    state: PatientState, kind: np.ndarray, params: TwinParameters, keys: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Consequences in the twin of this step's events ``kind`` (N,) of this module's kinds.

    Complications set their flags (retinopathy, foot ulcer, amputation); a drug harm makes a living
    patient stop the drug with its probability (one uniform draw on ``Channel.GLYCAEMIA``).
    Returns (N,) int8: the index in ``TREATMENT_FIELDS`` of a drug the event made the patient stop, or -1.
    """
    stopped = np.full(state.n, -1, dtype=np.int8)
    rows = np.flatnonzero((kind >= _FIRST_KIND) & (kind <= _LAST_KIND))
    if not rows.size:
        return stopped
    k = kind[rows]
    state.retinopathy[rows] |= k == EventKind.RETINOPATHY
    state.foot_ulcer[rows] |= k == EventKind.FOOT_ULCER
    state.amputation[rows] |= k == EventKind.AMPUTATION

    probability = np.zeros(len(EventKind))
    for event, p_stop in stop_probabilities(params).items():
        probability[event] = p_stop
    harm = rows[(probability[k] > 0) & state.alive[rows]]
    if harm.size:
        stops = harm[rs.uniform(keys[harm], counter[harm], _STOP_CHANNEL) < probability[kind[harm]]]
        for event, field in _STOPS_FIELD.items():
            these = stops[kind[stops] == event]
            state.columns[field][these] = 0.0
            stopped[these] = _FIELD_INDEX[field]
    return stopped


def record_metformin_start(state: PatientState, rows: np.ndarray) -> None:
    """Patients ``rows`` (k,) about to take metformin: those not taking it now start it at their current age."""
    rows = np.asarray(rows, dtype=np.intp).reshape(-1)
    starting = rows[state.metformin_mg_day[rows] <= 0]
    state.metformin_started_age_years[starting] = state.age_years[starting]


def bmi_gain_kg_m2(params: TwinParameters) -> float:
    """Full BMI gain (kg/m2) on a sulfonylurea: UKPDS 33's weight gain over the reference height squared."""
    return params["ukpds33_glibenclamide_weight_gain_kg"] / params["reference_height_m"] ** 2


def progress(state: PatientState, params: TwinParameters, dt: float) -> None:
    """Advance HbA1c, eGFR, urine ACR and sulfonylurea weight gain of the living patients by ``dt`` years, in place.

    Untreated HbA1c drifts (capped at 47 mmol/mol without diabetes); eGFR falls with age over 40, SBP over
    140, diabetes (a UKPDS 35 microvascular gradient of HbA1c) and ACR over 30, faster on a RAAS blocker with
    albuminuria and slower on an SGLT2 inhibitor; log ACR grows with SBP over 140, CKD and diabetes, slower
    on either drug. The per-patient arithmetic is compiled
    (:func:`twin_env.twin.progression_kernels.progress_glycaemia`).
    """
    from twin_env.twin.progression_kernels import progress_glycaemia  # noqa: PLC0415 (numba: compiled on first use)

    progress_glycaemia(
        _cached_constants(params, dt),
        state.alive,
        state.type2_diabetes,
        state.type1_diabetes,
        state.age_years,
        state.sbp_mmhg,
        state.dose_acei,
        state.dose_arb,
        state.sglt2,
        state.hba1c_mmol_mol,
        state.hba1c_untreated_mmol_mol,
        state.egfr_ml_min_1_73m2,
        state.acr_mg_mmol,
    )
    _progress_weight_gain(state, params, dt)


_CONSTANTS: dict[tuple[int, float], tuple[TwinParameters, tuple[float, ...]]] = {}


def _cached_constants(p: TwinParameters, dt: float) -> tuple[float, ...]:
    """:func:`glycaemia_constants` once per parameter set and step length (a few held at a time)."""
    held = _CONSTANTS.get((id(p), dt))
    if held is None or held[0] is not p:
        if len(_CONSTANTS) >= 8:
            _CONSTANTS.clear()
        held = (p, glycaemia_constants(p, dt))
        _CONSTANTS[(id(p), dt)] = held
    return held[1]


def glycaemia_constants(p: TwinParameters, dt: float) -> tuple[float, ...]:
    """The scalars of the progression kernel, in ``progression_kernels.GlycaemiaConstants`` order."""
    from twin_env.twin.progression_kernels import GlycaemiaConstants  # noqa: PLC0415 (numba: compiled on first use)

    return GlycaemiaConstants(
        dt=float(dt),
        hba1c_diabetic_drift=p["hba1c_diabetic_drift_mmol_mol_per_year"],
        hba1c_nondiabetic_slope=p["hba1c_nondiabetic_slope_per_year"],
        hba1c_floor=p["hba1c_lowest_risk_mmol_mol"],
        hba1c_cap=p["hba1c_gradient_cap_mmol_mol"],
        hba1c_reference=p["hba1c_gradient_reference_mmol_mol"],
        hba1c_ukpds33_median=p["ukpds33_conventional_median_hba1c_mmol_mol"],
        log_rr_micro_per_point=float(-np.log1p(-p["ukpds35_microvascular_reduction_per_11_mmol_mol"])),
        egfr_sbp=p["egfr_sbp_extra_decline_per_10mmhg_above_140"],
        egfr_after_40=p["egfr_decline_per_year_after_40"],
        egfr_diabetes=p["egfr_diabetes_extra_decline_per_year"],
        egfr_acr_above_30=p["egfr_extra_decline_per_year_acr_above_30"],
        egfr_raas_albuminuria=p["egfr_raas_decline_multiplier_albuminuria"],
        egfr_sglt2=p["egfr_sglt2_decline_multiplier"],
        acr_sbp=p["acr_log_growth_per_year_per_10mmhg_above_140"],
        acr_ckd=p["acr_log_growth_per_year_ckd"],
        acr_diabetes=p["acr_log_growth_per_year_diabetes"],
        acr_raas=p["acr_raas_growth_multiplier"],
        acr_sglt2=p["acr_sglt2_growth_multiplier"],
        acr_max=p["acr_max_mg_mmol"],
    )


def _progress_weight_gain(state: PatientState, p: TwinParameters, dt: float) -> None:
    """The sulfonylurea BMI gain of the living moves toward its full value on the drug (toward 0 off it).

    The gain is carried in the individual BMI offset, so BMI follows at the next age/sex level update
    (:func:`twin_env.twin.population.update_age_dependent_levels`, at the next step).
    """
    gain = state.bmi_sulfonylurea_gain_kg_m2
    rows = np.flatnonzero(((state.gliclazide_mg_day > 0) | (gain != 0)) & state.alive)
    if not rows.size:
        return
    target = np.where(state.gliclazide_mg_day[rows] > 0, bmi_gain_kg_m2(p), 0.0)
    moved = gain[rows] + (target - gain[rows]) * -np.expm1(-dt / p["sulfonylurea_weight_time_constant_years"])
    moved = np.where(np.abs(moved) < 1e-3, 0.0, moved).astype(np.float32)  # gone some years after stopping
    state.bmi_offset_kg_m2[rows] += moved - gain[rows]
    gain[rows] = moved
