"""The twin's competing-event hazards, compiled: one numba kernel over the batch, one patient at a time.

:func:`event_hazards` fills the (len(EventKind), N) matrix of annual hazards that
:meth:`twin_env.twin.simulator.TwinSimulator.current_hazards` returns: first and recurrent CVD with the
Ettehad / CTT relative risks (``docs/twin.md``, "Event hazards"), heart failure, AF, type 2 diabetes
with the drugs' class effects (thiazides and beta-blockers: Elliott & Meyer 2007; statins by
intensity: CTT 2024; no other class), treatment harms (``twin/harms.py``),
glycaemia (``twin/glycaemia.py``) and death by cause (``twin/mortality.py``). Those modules document
each mechanism and hold what runs outside the step's hazards; the per-patient arithmetic is here, once.

Figures come from the parameter files: :func:`constants` turns a :class:`TwinParameters` into the
kernel's scalars (a namedtuple, with the logarithms and derived values computed once) and
:func:`tables` into its lookup tables (age grids, life table, normalisers). The kernel reads the
state's columns named in :data:`COLUMNS`. Adding a hazard term: see ``docs/twin.md``, "Performance".

This module imports numba: import it lazily. It compiles on the first call (a few seconds) and is
cached next to this file (or under ``NUMBA_CACHE_DIR``); numba's cache does not see edits to other
files, so a change to :mod:`twin_env.twin.random_kernels` needs the cache cleared
(``find twin_env -name '*.nbi' -delete``).
"""

from __future__ import annotations

import collections
import math

import numba
import numpy as np

from twin_env.twin import harms
from twin_env.twin.events import EventKind
from twin_env.twin.glycaemia import metformin_gi_initial_hazard
from twin_env.twin.parameters import GRID_MAX_AGE_YEARS, GRID_STEP_YEARS, TwinParameters
from twin_env.twin.random_kernels import occurs, uniform_at
from twin_env.twin.state import BP_DRUG_CLASSES, PatientState

N_KINDS = len(EventKind)

#: State columns the kernel reads (a namedtuple of (N,) arrays, in this order).
COLUMNS: tuple[str, ...] = (
    "alive",
    "female",
    "age_years",
    "smoking",
    "sbp_untreated_mmhg",
    "sbp_mmhg",
    "total_chol_untreated_mmol_l",
    "hdl_mmol_l",
    "ldl_untreated_mmol_l",
    "ldl_mmol_l",
    "hba1c_mmol_mol",
    "egfr_ml_min_1_73m2",
    "acr_mg_mmol",
    "potassium_mmol_l",
    "hypertension",
    "type2_diabetes",
    "type1_diabetes",
    "chd",
    "myocardial_infarction",
    "stroke_tia",
    "atrial_fibrillation",
    "heart_failure",
    *(f"dose_{name}" for name in BP_DRUG_CLASSES),
    "statin_ldl_reduction",
    "metformin_mg_day",
    "sglt2",
    "gliclazide_mg_day",
    "bp_intensified_age_years",
    "bp_intensification_kind",
    "acei_started_age_years",
    "raas_started_age_years",
    "ccb_started_age_years",
    "thiazide_started_age_years",
    "statin_started_age_years",
    "metformin_started_age_years",
    "injurious_fall_history",
    "retinopathy",
    "foot_ulcer",
)
HazardColumns = collections.namedtuple("HazardColumns", COLUMNS)
PatientRow = collections.namedtuple("PatientRow", COLUMNS)  # one patient's values (scalars)


def _constant_values(p: TwinParameters, dt_years: float) -> dict[str, float]:
    """The kernel's scalars for a parameter set and step (derived values computed as the NumPy code did)."""
    log_or = np.log((1.0, p["fall_or_window_start"], p["fall_or_window_added_class"], p["fall_or_window_titration"]))
    vertex = -p["smart_log_hr_per_ml_min_egfr"] / (2.0 * p["smart_log_hr_per_ml_min_egfr_squared"])
    return {
        "dt": dt_years,
        "inv_grid_step": 1.0 / GRID_STEP_YEARS,
        "grid_max_age": GRID_MAX_AGE_YEARS,
        "life_table_max_age": 100.0,
        "adult_age": p["adult_age_years"],
        # CVD: Ettehad 2016, CTT 2010; SMART (twin/recurrent_cvd.py)
        "sbp_benefit_floor": p["sbp_benefit_floor_mmhg"],
        "log_rr_ldl": np.log(p["ctt_rr_major_vascular_per_mmol_l_ldl"]),
        "log_rr_chd": np.log(p["ettehad_rr_chd_per_10mmhg"]),
        "log_rr_stroke": np.log(p["ettehad_rr_stroke_per_10mmhg"]),
        "log_rr_hf": np.log(p["ettehad_rr_heart_failure_per_10mmhg"]),
        "smart_male": p["smart_log_hr_male"],
        "smart_smoker": p["smart_log_hr_current_smoker"],
        "smart_sbp": p["smart_log_hr_per_mmhg_sbp"],
        "smart_diabetes": p["smart_log_hr_diabetes"],
        "smart_chd": p["smart_log_hr_coronary_disease"],
        "smart_cerebrovascular": p["smart_log_hr_cerebrovascular_disease"],
        "smart_total_chol": p["smart_log_hr_per_mmol_l_total_cholesterol"],
        "smart_hdl": p["smart_log_hr_per_mmol_l_hdl"],
        "smart_egfr": p["smart_log_hr_per_ml_min_egfr"],
        "smart_egfr_squared": p["smart_log_hr_per_ml_min_egfr_squared"],
        "smart_egfr_vertex": vertex,
        "smart_normaliser": p["recurrent_cvd_smart_log_normaliser"],
        "recurrent_rate": p["recurrent_cvd_rate_per_year"],
        "recurrent_log_slope_age": p["recurrent_cvd_log_slope_per_year_age"],
        # heart failure and AF (twin/baseline_conditions.py)
        "hf_mi": p["hf_hazard_mi_ratio"],
        "hf_diabetes": p["hf_hazard_diabetes_ratio"],
        "hf_af": p["hf_hazard_af_ratio"],
        "hf_hypertension": p["hf_hazard_hypertension_ratio"],
        "hf_normaliser": p["hf_hazard_normaliser"],
        "hf_sglt2": p["sglt2_rr_heart_failure"],
        "af_hypertension": p["af_hazard_hypertension_ratio"],
        "af_hf": p["af_hazard_heart_failure_ratio"],
        "af_normaliser": p["af_hazard_normaliser"],
        # type 2 diabetes: drug class effects (Elliott & Meyer 2007; CTT 2024)
        "t2d_thiazide": p["thiazide_rr_type2_diabetes"],
        "t2d_beta_blocker": p["beta_blocker_rr_type2_diabetes"],
        "t2d_statin_high_min": p["statin_high_intensity_min_ldl_reduction"],
        "t2d_statin_high": p["statin_rr_type2_diabetes_high_intensity"],
        "t2d_statin_low": p["statin_rr_type2_diabetes_low_moderate_intensity"],
        # harms (twin/harms.py)
        "harm_threshold": p["harm_sbp_threshold_mmhg"],
        "log_syncope_class": np.log(p["syncope_hr_per_drug_class"]),
        "log_syncope_lowering": np.log(p["syncope_hr_per_10mmhg_drug_lowering_below_threshold"]),
        "fall_previous": p["fall_hr_previous_fall"],
        "log_fall_on_drug": np.log(p["fall_hr_on_antihypertensive"]),
        "log_fall_lowering": np.log(p["fall_hr_per_10mmhg_drug_lowering_below_floor"]),
        "fall_window": p["fall_window_years"],
        "hip_window": p["hip_fracture_window_years"],
        "recent_window": max(p["fall_window_years"], p["hip_fracture_window_years"]),
        "log_hip_irr_start": np.log(p["hip_fracture_irr_window_start"]),
        "log_or_start": log_or[1],
        "aki_egfr_reference": p["aki_egfr_reference_ml_min"],
        "log_aki_egfr": np.log(p["aki_hr_per_10_egfr_below_reference"]),
        "log_aki_raas": np.log(p["aki_hr_raas_blocker"]),
        "log_aki_diuretic": np.log(p["aki_hr_diuretic"]),
        "log_aki_dual": np.log(p["aki_hr_dual_raas"]),
        "log_aki_lowering": np.log(p["aki_hr_per_10mmhg_drug_lowering_below_threshold"]),
        "aki_raas_window": p["aki_raas_start_window_years"],
        "aki_raas_excess": p["aki_raas_start_excess_per_year"],
        "hyperk_sd": p["hyperkalaemia_within_person_sd_mmol_l"],
        "hyperk_threshold": p["hyperkalaemia_threshold_mmol_l"],
        "hyperk_scale": p["hyperkalaemia_rate_scale_per_year"],
        "hyperk_dual": p["hyperkalaemia_hr_dual_raas"],
        "tail_z_max": harms.TAIL_Z_MAX,
        "inv_tail_z_step": 1.0 / harms.TAIL_Z_STEP,
        "hyponatraemia_window": p["hyponatraemia_window_years"],
        "hyponatraemia_late": p["hyponatraemia_excess_per_year_thiazide"],
        "hyponatraemia_early": p["hyponatraemia_excess_per_year_first_30_days"],
        "gout_excess": p["gout_rate_per_year_background"] * (p["gout_or_thiazide_like"] - 1.0),
        "cough_tau": p["acei_cough_time_constant_years"],
        "cough_h0": -math.log1p(-p["acei_cough_withdrawal_fraction"]) / p["acei_cough_time_constant_years"],
        "oedema_tau": p["ccb_oedema_time_constant_years"],
        "oedema_h0": -math.log1p(-p["ccb_oedema_withdrawal_fraction"]) / p["ccb_oedema_time_constant_years"],
        "oedema_high_dose": p["ccb_oedema_high_dose_ratio"],
        "statin_high_reduction": p["statin_high_intensity_ldl_reduction"] - 1e-6,
        "muscle_rr_high": p["statin_muscle_rr_high_intensity"],
        "muscle_rr_moderate": p["statin_muscle_rr_moderate_intensity"],
        "muscle_excess_year1": p["statin_muscle_excess_year1_per_year"],
        "muscle_rr_year1": p["statin_muscle_rr_year1"],
        "muscle_stop_share": p["statin_muscle_attributable_stop_share"],
        # glycaemia (twin/glycaemia.py)
        "hba1c_floor": p["hba1c_lowest_risk_mmol_mol"],
        "hba1c_cap": p["hba1c_gradient_cap_mmol_mol"],
        "hba1c_reference": p["hba1c_gradient_reference_mmol_mol"],
        "hba1c_ukpds33_median": p["ukpds33_conventional_median_hba1c_mmol_mol"],
        "hba1c_point": 11.0,
        "log_rr_hba1c_mi": -np.log1p(-p["ukpds35_mi_reduction_per_11_mmol_mol"]),
        "log_rr_hba1c_stroke": -np.log1p(-p["ukpds35_stroke_reduction_per_11_mmol_mol"]),
        "log_rr_hba1c_hf": -np.log1p(-p["ukpds35_heart_failure_reduction_per_11_mmol_mol"]),
        "log_rr_hba1c_micro": -np.log1p(-p["ukpds35_microvascular_reduction_per_11_mmol_mol"]),
        "log_rr_hba1c_amputation": -np.log1p(-p["ukpds35_amputation_reduction_per_11_mmol_mol"]),
        "micro_sbp_floor": p["microvascular_lowest_risk_sbp_mmhg"],
        "micro_sbp_reference": p["microvascular_reference_sbp_mmhg"],
        "micro_log_rr_10mmhg": -np.log(p["ukpds38_microvascular_rr_per_10mmhg_lower_sbp"]),
        "retinopathy_rate": p["retinopathy_photocoagulation_per_year"],
        "ulcer_recurrence": -np.log1p(-p["foot_ulcer_recurrence_within_5_years"]) / 5.0,
        "ulcer_rate": p["foot_ulcer_per_year"],
        "amputation_after_ulcer": p["amputation_per_year_after_ulcer"],
        "amputation_no_ulcer": p["amputation_per_year_no_ulcer"],
        "hypo_rate": -np.log1p(-p["leese2003_severe_hypoglycaemia_emergency_per_year_sulfonylurea"]),
        "gliclazide_full_dose": p["gliclazide_full_effect_dose_mg_day"],
        "hypo_rr_hba1c": p["hypoglycaemia_rr_per_11_mmol_mol_lower_hba1c"],
        "hypo_rr_age": p["hypoglycaemia_rr_per_10_years_above_65"],
        "hypo_rr_egfr": p["hypoglycaemia_rr_egfr_below_60"],
        "metformin_gi_h0": metformin_gi_initial_hazard(p),
        "metformin_gi_tau": p["metformin_gi_time_constant_years"],
        "genital_infection": p["sglt2_genital_infection_per_year_excess"],
        "dka_excess": (p["ueda2018_sglt2_dka_per_1000_py"] - p["ueda2018_comparator_dka_per_1000_py"]) / 1000.0,
        # death by cause (twin/mortality.py)
        "hf_death": p["heart_failure_excess_death_rate_per_year"],
        "renal_egfr_threshold": p["mortality_renal_egfr_threshold_ml_min_1_73m2"],
        "renal_acr_reference": p["mortality_renal_acr_reference_mg_mmol"],
        "renal_log_hr_egfr": p["mortality_renal_log_hr_per_ml_min_egfr_fall"],
        "renal_log_hr_acr": p["mortality_renal_log_hr_per_log_acr"],
        "diabetes_log_hr_hba1c": p["mortality_diabetes_log_hr_per_mmol_mol_hba1c"],
    }


CONSTANT_NAMES: tuple[str, ...] = tuple(_constant_values(TwinParameters.default(), 1.0 / 12.0))
HazardConstants = collections.namedtuple("HazardConstants", CONSTANT_NAMES)
HazardTables = collections.namedtuple(
    "HazardTables",
    (
        "first_cvd_split",  # (4,) MI, angina, stroke, TIA shares of a first CVD event
        "recurrent_cvd_split",  # (4,) the same for a recurrent event (no new angina)
        "hf_incidence",  # age grid (GRID_STEP_YEARS), per year
        "af_incidence",
        "syncope",  # harms' background hazards on the age grid
        "fall",
        "hip",
        "aki",
        "fall_log_or",  # (4,) log odds ratio by bp_intensification_kind
        "normal_tail",  # P(Z >= z) on harms' z grid
        "life_hazard",  # (202,) male ages 0-100 then female
        "death_other_fraction",  # sex-age grids (male then female) of twin/mortality.py's normalisers
        "death_cvd",
        "death_renal",
        "death_diabetes",
    ),
)


def constants(p: TwinParameters, dt_years: float) -> HazardConstants:
    """The kernel's scalars for ``p`` and a step of ``dt_years``."""
    return HazardConstants(**{k: float(v) for k, v in _constant_values(p, dt_years).items()})


def tables(p: TwinParameters) -> HazardTables:
    """The kernel's lookup tables for ``p`` (float64, contiguous)."""
    split = np.array(
        [
            p["first_cvd_fraction_chd"] * p["chd_fraction_myocardial_infarction"],
            p["first_cvd_fraction_chd"] * (1.0 - p["chd_fraction_myocardial_infarction"]),
            p["first_cvd_fraction_stroke"],
            p["first_cvd_fraction_tia"],
        ]
    )
    recurrent = split * np.array([1.0, 0.0, 1.0, 1.0])
    ages = harms.age_tables(p)
    log_or = np.log((1.0, p["fall_or_window_start"], p["fall_or_window_added_class"], p["fall_or_window_titration"]))
    normalisers = p.mortality_normalisers
    return HazardTables(
        *(
            np.ascontiguousarray(a, dtype=np.float64)
            for a in (
                split,
                recurrent / recurrent.sum(),
                p.hf_incidence_per_year._grid,
                p.af_incidence_per_year._grid,
                ages.syncope,
                ages.fall,
                ages.hip,
                ages.aki,
                log_or,
                harms.normal_tail_grid(),
                p.life_table._hazard,
                normalisers["other_fraction"]._grid,
                normalisers["cvd"]._grid,
                normalisers["renal"]._grid,
                normalisers["diabetes"]._grid,
            )
        )
    )


def state_columns(state: PatientState) -> HazardColumns:
    """The columns the kernel reads, as a namedtuple of the state's own arrays (no copies)."""
    return HazardColumns(*(state.columns[name] for name in COLUMNS))


def event_hazards(
    state: PatientState,
    p: TwinParameters,
    dt_years: float,
    qrisk3_h10: np.ndarray,
    qdiabetes_h10: np.ndarray,
) -> np.ndarray:
    """Annual hazards (len(EventKind), N) of every competing event (row 0, NONE, is 0).

    ``qrisk3_h10``, ``qdiabetes_h10`` (N,): the risk equations' 10-year cumulative hazards to use.
    """
    out = np.zeros((N_KINDS, state.n))
    kind = np.zeros(0, dtype=np.int8)  # unused: hazards only
    columns, c, t = state_columns(state), _cached_constants(p, dt_years), _cached_tables(p)
    _fill_hazards(columns, c, t, qrisk3_h10, qdiabetes_h10, out, False, state.patient_key, state.step_index, 0, 0, kind)
    return out


def draw_events(
    state: PatientState,
    p: TwinParameters,
    dt_years: float,
    qrisk3_h10: np.ndarray,
    qdiabetes_h10: np.ndarray,
    occurs_channel: int,
    kind_channel: int,
) -> np.ndarray:
    """Event kind (N,) int8 of each patient drawn from the hazards of :func:`event_hazards`; 0 (NONE) if none.

    The same kernel, fused: the hazards of a block of ``DRAW_BLOCK`` patients go into a scratch
    (len(EventKind), DRAW_BLOCK) matrix and their events are drawn at once from the patients' counter-based
    streams (no (K, N) matrix; the dead draw nothing). One uniform decides whether anything happens in the
    step (probability ``1 - exp(-total hazard x dt)``), a second picks the kind in proportion to its hazard
    by walking the running sum in ``EventKind`` order. Each patient's total is summed in ``EventKind``
    order, as one patient's alone would be, but for the block's patients side by side (independent sums
    that the CPU overlaps, where one patient's 30 dependent additions would wait on each other).
    """
    scratch = np.empty((N_KINDS, DRAW_BLOCK))
    kind = np.zeros(state.n, dtype=np.int8)
    columns, c, t = state_columns(state), _cached_constants(p, dt_years), _cached_tables(p)
    keys, counter = state.patient_key, state.step_index
    channels = occurs_channel, kind_channel
    _fill_hazards(columns, c, t, qrisk3_h10, qdiabetes_h10, scratch, True, keys, counter, *channels, kind)
    return kind


#: Patients whose hazards are summed side by side in :func:`draw_events` (a (len(EventKind), 16) scratch: 4 KB).
DRAW_BLOCK = 16

_TABLES: dict[int, tuple[TwinParameters, HazardTables]] = {}
_CONSTANTS: dict[tuple[int, float], tuple[TwinParameters, HazardConstants]] = {}


def _cached_constants(p: TwinParameters, dt_years: float) -> HazardConstants:
    """:func:`constants` once per (frozen) parameter set and step length, not about 120 look-ups every step."""
    held = _CONSTANTS.get((id(p), dt_years))
    if held is not None and held[0] is p:
        return held[1]
    if len(_CONSTANTS) >= 8:  # a few parameter sets and step lengths at a time is the usual case
        _CONSTANTS.clear()
    built = constants(p, dt_years)
    _CONSTANTS[(id(p), dt_years)] = (p, built)
    return built


def _cached_tables(p: TwinParameters) -> HazardTables:
    held = _TABLES.get(id(p))
    if held is not None and held[0] is p:
        return held[1]
    if len(_TABLES) >= 8:  # a few parameter sets at a time is the usual case
        _TABLES.clear()
    built = tables(p)
    _TABLES[id(p)] = (p, built)
    return built


# --- the kernel -------------------------------------------------------------------------------------------

_MI, _ANGINA, _STROKE, _TIA = (
    int(k) for k in (EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA)
)
_HF, _AF, _T2D = int(EventKind.HEART_FAILURE), int(EventKind.ATRIAL_FIBRILLATION), int(EventKind.TYPE2_DIABETES)
_DEATH_NON_CVD, _DEATH_HF = int(EventKind.DEATH_NON_CVD), int(EventKind.DEATH_HEART_FAILURE)
_DEATH_CVD, _DEATH_RENAL, _DEATH_DIABETES = (
    int(EventKind.DEATH_CVD_NON_ACUTE),
    int(EventKind.DEATH_RENAL),
    int(EventKind.DEATH_DIABETES),
)
_SYNCOPE, _FALL, _HIP = int(EventKind.HYPOTENSION_SYNCOPE), int(EventKind.INJURIOUS_FALL), int(EventKind.HIP_FRACTURE)
_AKI, _HYPERK = int(EventKind.ACUTE_KIDNEY_INJURY), int(EventKind.HYPERKALAEMIA)
_HYPONATRAEMIA, _GOUT = int(EventKind.HYPONATRAEMIA), int(EventKind.GOUT)
_COUGH, _OEDEMA, _MUSCLE = int(EventKind.ACEI_COUGH), int(EventKind.CCB_OEDEMA), int(EventKind.STATIN_MUSCLE_SYMPTOMS)
_METFORMIN_GI, _GENITAL, _DKA = (
    int(EventKind.METFORMIN_GI_INTOLERANCE),
    int(EventKind.GENITAL_INFECTION),
    int(EventKind.DIABETIC_KETOACIDOSIS),
)
_HYPO, _RETINOPATHY, _ULCER, _AMPUTATION = (
    int(EventKind.SEVERE_HYPOGLYCAEMIA),
    int(EventKind.RETINOPATHY),
    int(EventKind.FOOT_ULCER),
    int(EventKind.AMPUTATION),
)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _one_if(flag: bool) -> float:
    """1.0 where ``flag``, else 0.0 (a bool array's value in NumPy arithmetic)."""
    return 1.0 if flag else 0.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def _exp(x: float) -> float:
    """exp(x), without calling exp at exactly 0 (+0 or -0: exp gives exactly 1.0; untreated patients' RRs)."""
    return 1.0 if x == 0.0 else np.exp(x)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _grid_index(age: float, c: HazardConstants) -> int:
    """Nearest point of the age grid (as ``parameters._grid_index``)."""
    return int(min(max(age, 0.0), c.grid_max_age) * c.inv_grid_step + 0.5)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _window_fraction(elapsed: float, window: float, dt: float) -> float:
    """Share of the step [t, t + dt] inside [0, window) after a start; 0 where t is NaN (harms.window_fraction)."""
    if np.isnan(elapsed):
        return 0.0
    overlap = min(elapsed + dt, window) - elapsed
    return min(max(overlap, 0.0), dt) / dt


@numba.njit(cache=True, error_model="numpy", inline="always")
def _front_loaded(h0: float, tau: float, elapsed: float, dt: float) -> float:
    """h0 exp(-t / tau) averaged over the step (harms._front_loaded, harms.decay_average)."""
    t = np.inf if np.isnan(elapsed) else max(elapsed, 0.0)
    return h0 * (tau * np.exp(-t / tau) * -np.expm1(-dt / tau) / dt)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _hba1c_rr(hba1c: float, log_rr_per_point: float, reference: float, c: HazardConstants) -> float:
    """UKPDS 35 relative risk at HbA1c (glycaemia.hba1c_relative_risk)."""
    excess = (min(max(hba1c, c.hba1c_floor), c.hba1c_cap) - reference) / c.hba1c_point
    return np.exp(log_rr_per_point * excess)


@numba.njit(cache=True, error_model="numpy")
def _fill_hazards(s, c, t, qrisk3_h10, qdiabetes_h10, out, draw, keys, counter, occurs_channel, kind_channel, kind):  # noqa: ANN001, ANN202, PLR0913 (numba-typed)
    """Write the annual hazards of every patient into ``out`` (len(EventKind), N), zeros on entry.

    With ``draw``, ``out`` is a (len(EventKind), B) scratch instead: the hazards of each block of B
    patients are written there (the living ones; the dead keep zeros) and their events drawn into ``kind``
    (N,) int8 (zeros on entry) at once.

    The columns are unpacked into local arrays before the loop and each patient's values read into
    scalars (a :class:`PatientRow`) at the top of the loop body: arrays taken from a tuple inside the
    loop would cost numba two atomic reference-count operations each, per patient.
    """
    (
        alive,
        female,
        age_years,
        smoking,
        sbp_untreated_mmhg,
        sbp_mmhg,
        total_chol_untreated_mmol_l,
        hdl_mmol_l,
        ldl_untreated_mmol_l,
        ldl_mmol_l,
        hba1c_mmol_mol,
        egfr_ml_min_1_73m2,
        acr_mg_mmol,
        potassium_mmol_l,
        hypertension,
        type2_diabetes,
        type1_diabetes,
        chd,
        myocardial_infarction,
        stroke_tia,
        atrial_fibrillation,
        heart_failure,
        dose_acei,
        dose_arb,
        dose_ccb,
        dose_thiazide,
        dose_beta_blocker,
        dose_alpha_blocker,
        dose_spironolactone,
        statin_ldl_reduction,
        metformin_mg_day,
        sglt2,
        gliclazide_mg_day,
        bp_intensified_age_years,
        bp_intensification_kind,
        acei_started_age_years,
        raas_started_age_years,
        ccb_started_age_years,
        thiazide_started_age_years,
        statin_started_age_years,
        metformin_started_age_years,
        injurious_fall_history,
        retinopathy,
        foot_ulcer,
    ) = s
    (
        t_first_cvd_split,
        t_recurrent_cvd_split,
        t_hf_incidence,
        t_af_incidence,
        t_syncope,
        t_fall,
        t_hip,
        t_aki,
        t_fall_log_or,
        t_normal_tail,
        t_life_hazard,
        t_death_other_fraction,
        t_death_cvd,
        t_death_renal,
        t_death_diabetes,
    ) = t
    half_sex_grid, half_life = t_death_cvd.size // 2, t_life_hazard.size // 2
    n = age_years.size
    width = out.shape[1] if draw else max(n, 1)  # without draw: one block, the matrix itself
    totals = np.empty(width if draw else 0)  # each column's total hazard (draw only)
    for start in range(0, n, width):
        stop = min(start + width, n)
        if draw:
            out[:, :] = 0.0
        for i in range(start, stop):
            if draw and not alive[i]:
                continue
            r = PatientRow(
                alive[i],
                female[i],
                age_years[i],
                smoking[i],
                sbp_untreated_mmhg[i],
                sbp_mmhg[i],
                total_chol_untreated_mmol_l[i],
                hdl_mmol_l[i],
                ldl_untreated_mmol_l[i],
                ldl_mmol_l[i],
                hba1c_mmol_mol[i],
                egfr_ml_min_1_73m2[i],
                acr_mg_mmol[i],
                potassium_mmol_l[i],
                hypertension[i],
                type2_diabetes[i],
                type1_diabetes[i],
                chd[i],
                myocardial_infarction[i],
                stroke_tia[i],
                atrial_fibrillation[i],
                heart_failure[i],
                dose_acei[i],
                dose_arb[i],
                dose_ccb[i],
                dose_thiazide[i],
                dose_beta_blocker[i],
                dose_alpha_blocker[i],
                dose_spironolactone[i],
                statin_ldl_reduction[i],
                metformin_mg_day[i],
                sglt2[i],
                gliclazide_mg_day[i],
                bp_intensified_age_years[i],
                bp_intensification_kind[i],
                acei_started_age_years[i],
                raas_started_age_years[i],
                ccb_started_age_years[i],
                thiazide_started_age_years[i],
                statin_started_age_years[i],
                metformin_started_age_years[i],
                injurious_fall_history[i],
                retinopathy[i],
                foot_ulcer[i],
            )
            grid = _grid_index(r.age_years, c)
            sex_grid = grid + (half_sex_grid if r.female else 0)
            life_index = int(min(max(r.age_years, 0.0), c.life_table_max_age)) + (half_life if r.female else 0)
            tail_index = _normal_tail_index(r.potassium_mmol_l, c)
            recurrent = r.chd or r.stroke_tia  # (select scalars, not arrays: no reference counting)
            lookups = Lookups(
                grid,
                t_recurrent_cvd_split[0] if recurrent else t_first_cvd_split[0],
                t_recurrent_cvd_split[1] if recurrent else t_first_cvd_split[1],
                t_recurrent_cvd_split[2] if recurrent else t_first_cvd_split[2],
                t_recurrent_cvd_split[3] if recurrent else t_first_cvd_split[3],
                t_hf_incidence[grid],
                t_af_incidence[grid],
                t_syncope[grid],
                t_fall[grid],
                t_hip[grid],
                t_aki[grid],
                t_fall_log_or[r.bp_intensification_kind],
                t_normal_tail[tail_index],
                t_life_hazard[life_index],
                t_death_other_fraction[sex_grid],
                t_death_cvd[sex_grid],
                t_death_renal[sex_grid],
                t_death_diabetes[sex_grid],
            )
            _patient_hazards(i - start, r, lookups, c, qrisk3_h10[i], qdiabetes_h10[i], c.dt, out)
        if draw:
            _draw_block(out, totals, start, stop, alive, keys, counter, c.dt, occurs_channel, kind_channel, kind)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _draw_block(h, totals, start, stop, alive, keys, counter, dt, occurs_channel, kind_channel, kind):  # noqa: ANN001, ANN202, PLR0913 (numba-typed)
    """Draw the events of patients ``start .. stop - 1`` from their hazards, columns 0 .. stop - start - 1 of ``h``.

    Each column's total is the sum of its hazards in ``EventKind`` order (the columns side by side).
    """
    m = stop - start
    n_kinds = h.shape[0]
    for j in range(m):
        totals[j] = h[0, j]
    for k in range(1, n_kinds):
        for j in range(m):
            totals[j] += h[k, j]
    for j in range(m):
        i = start + j
        if alive[i]:
            kind[i] = _draw_kind(h, j, totals[j], keys[i], counter[i], dt, occurs_channel, kind_channel)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _draw_kind(h, j, total, key, counter, dt, occurs_channel, kind_channel):  # noqa: ANN001, ANN202, PLR0913 (numba-typed)
    """The event kind drawn from column ``j`` of hazards ``h`` (len(EventKind), B) summing to ``total``; 0 if none."""
    if not occurs(uniform_at(key, counter, occurs_channel), total * dt):
        return 0
    u = uniform_at(key, counter, kind_channel) * total
    running = 0.0
    n_kinds = h.shape[0]
    for k in range(n_kinds):
        running = h[k, j] if k == 0 else running + h[k, j]
        if u < running:
            return k
    return n_kinds - 1


Lookups = collections.namedtuple(
    "Lookups",
    (
        "grid",
        "split_0",
        "split_1",
        "split_2",
        "split_3",
        "hf_incidence",
        "af_incidence",
        "syncope",
        "fall",
        "hip",
        "aki",
        "fall_log_or",
        "normal_tail",
        "life_hazard",
        "death_other_fraction",
        "death_cvd",
        "death_renal",
        "death_diabetes",
    ),
)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _normal_tail_index(potassium, c):  # noqa: ANN001, ANN202 (numba-typed)
    """Grid index of P(Z >= z) for hyperkalaemia's z = (threshold - K) / SD, in float32 as harms' NumPy code."""
    z = (np.float32(c.hyperk_threshold) - potassium) / np.float32(c.hyperk_sd)
    z_max = np.float32(c.tail_z_max)
    z = min(max(z, -z_max), z_max)
    return int((z + z_max) * np.float32(c.inv_tail_z_step) + np.float32(0.5))


@numba.njit(cache=True, error_model="numpy", inline="always")
def _patient_hazards(i, r, lk, c, qrisk3_h10, qdiabetes_h10, dt, out):  # noqa: ANN001, ANN202, PLR0912, PLR0915
    age = r.age_years
    sbp_u, sbp = r.sbp_untreated_mmhg, r.sbp_mmhg
    diabetic = r.type2_diabetes or r.type1_diabetes

    # CVD: first (QRISK3) or recurrent (SMART), with the achieved-fall relative risks and a J-curve floor
    floor = min(c.sbp_benefit_floor, sbp_u)
    sbp_fall_10 = (sbp_u - max(sbp, floor)) / 10.0
    log_rr_ldl = c.log_rr_ldl * (r.ldl_untreated_mmol_l - r.ldl_mmol_l)
    rr_chd = _exp(c.log_rr_chd * sbp_fall_10 + log_rr_ldl)  # untreated: exp(0), skipped
    rr_stroke = _exp(c.log_rr_stroke * sbp_fall_10 + log_rr_ldl)
    if r.chd or r.stroke_tia:
        egfr_c = min(r.egfr_ml_min_1_73m2, c.smart_egfr_vertex)
        predictor = (
            c.smart_male * _one_if(not r.female)
            + c.smart_smoker * _one_if(r.smoking >= 2)
            + c.smart_sbp * sbp_u
            + c.smart_diabetes * _one_if(diabetic)
            + c.smart_chd * _one_if(r.chd)
            + c.smart_cerebrovascular * _one_if(r.stroke_tia)
            + c.smart_total_chol * r.total_chol_untreated_mmol_l
            + np.float32(c.smart_hdl) * r.hdl_mmol_l
            + c.smart_egfr * egfr_c
            + c.smart_egfr_squared * (egfr_c * egfr_c)
        )
        rate = c.recurrent_rate * np.exp(c.recurrent_log_slope_age * (age - 65.0))
        cvd = rate * np.exp(predictor - c.smart_normaliser)
    else:
        cvd = qrisk3_h10 / 10.0
    mi = cvd * lk.split_0 * rr_chd
    angina = cvd * lk.split_1 * rr_chd
    stroke = cvd * lk.split_2 * rr_stroke
    tia = cvd * lk.split_3 * rr_stroke
    out[_TIA, i] = tia

    # heart failure and AF onset: age incidence x hazard ratios (baseline_conditions)
    hf = 0.0
    if not r.heart_failure:
        ratio = c.hf_mi if r.myocardial_infarction else 1.0
        ratio *= c.hf_diabetes if diabetic else 1.0
        ratio *= c.hf_af if r.atrial_fibrillation else 1.0
        ratio *= c.hf_hypertension if r.hypertension else 1.0
        hf = lk.hf_incidence * (ratio / c.hf_normaliser) * _exp(c.log_rr_hf * sbp_fall_10)
        hf *= c.hf_sglt2 if r.sglt2 > 0 else 1.0
    if not r.atrial_fibrillation:
        ratio = c.af_hypertension if r.hypertension else 1.0
        ratio *= c.af_hf if r.heart_failure else 1.0
        out[_AF, i] = lk.af_incidence * (ratio / c.af_normaliser)

    # type 2 diabetes onset: QDiabetes x the drugs' class effects (thiazide, beta-blocker, statin by intensity)
    if not diabetic and age >= c.adult_age:
        t2d = qdiabetes_h10 / 10.0
        if r.dose_thiazide > 0:
            t2d *= c.t2d_thiazide
        if r.dose_beta_blocker > 0:
            t2d *= c.t2d_beta_blocker
        statin = r.statin_ldl_reduction
        if statin > 0:
            t2d *= c.t2d_statin_high if statin >= np.float32(c.t2d_statin_high_min) else c.t2d_statin_low
        out[_T2D, i] = t2d

    _harm_hazards(i, r, lk, c, age, sbp_u, sbp, dt, out)
    _statin_muscle(i, r, c, age, dt, out)

    # glycaemia: UKPDS 35 gradients in type 2 diabetes, diabetes drug harms
    if r.type2_diabetes:
        hba1c = r.hba1c_mmol_mol
        mi *= _hba1c_rr(hba1c, c.log_rr_hba1c_mi, c.hba1c_reference, c)
        stroke *= _hba1c_rr(hba1c, c.log_rr_hba1c_stroke, c.hba1c_reference, c)
        hf *= _hba1c_rr(hba1c, c.log_rr_hba1c_hf, c.hba1c_reference, c)
        rr_sbp = np.exp(c.micro_log_rr_10mmhg * (max(sbp, c.micro_sbp_floor) - c.micro_sbp_reference) / 10.0)
        if not r.retinopathy:
            rr_micro = _hba1c_rr(hba1c, c.log_rr_hba1c_micro, c.hba1c_ukpds33_median, c)
            out[_RETINOPATHY, i] = c.retinopathy_rate * rr_micro * rr_sbp
        if r.foot_ulcer:
            out[_ULCER, i] = c.ulcer_recurrence
            amputation = c.amputation_after_ulcer
        else:
            out[_ULCER, i] = c.ulcer_rate * _hba1c_rr(hba1c, c.log_rr_hba1c_micro, c.hba1c_reference, c)
            amputation = c.amputation_no_ulcer
        out[_AMPUTATION, i] = amputation * _hba1c_rr(hba1c, c.log_rr_hba1c_amputation, c.hba1c_reference, c)
    gliclazide = r.gliclazide_mg_day
    if gliclazide > 0:
        dose_fraction = np.sqrt(min(gliclazide / np.float32(c.gliclazide_full_dose), np.float32(1.0)))
        out[_HYPO, i] = (
            c.hypo_rate
            * np.float64(dose_fraction)
            * c.hypo_rr_hba1c ** ((c.hba1c_reference - r.hba1c_mmol_mol) / c.hba1c_point)
            * c.hypo_rr_age ** ((age - 65.0) / 10.0)
            * (c.hypo_rr_egfr if r.egfr_ml_min_1_73m2 < 60.0 else 1.0)
        )
    started = r.metformin_started_age_years
    if r.metformin_mg_day > 0 and not np.isnan(started):
        years_on = max(age - started, 0.0)
        out[_METFORMIN_GI, i] = c.metformin_gi_h0 * np.exp(-years_on / c.metformin_gi_tau)
    if r.sglt2 > 0:
        out[_GENITAL, i] = c.genital_infection
        out[_DKA, i] = c.dka_excess if diabetic else 0.0

    out[_MI, i] = mi
    out[_ANGINA, i] = angina
    out[_STROKE, i] = stroke
    out[_HF, i] = hf

    # death by cause (mortality): life table x other share; CVD in proportion to the CVD event hazard
    out[_DEATH_NON_CVD, i] = lk.life_hazard * lk.death_other_fraction
    out[_DEATH_HF, i] = _one_if(r.heart_failure) * c.hf_death
    out[_DEATH_CVD, i] = lk.death_cvd * (((mi + angina) + stroke) + tia)
    renal = 0.0
    egfr = r.egfr_ml_min_1_73m2
    if egfr < c.renal_egfr_threshold:
        # in float64 (the NumPy code took a float32 log, whose last bit depends on the CPU's SIMD)
        log_acr = np.log(max(np.float64(r.acr_mg_mmol), c.renal_acr_reference) / c.renal_acr_reference)
        renal = np.exp(c.renal_log_hr_egfr * (c.renal_egfr_threshold - egfr) + c.renal_log_hr_acr * log_acr)
    out[_DEATH_RENAL, i] = lk.death_renal * renal
    diabetes = np.exp(c.diabetes_log_hr_hba1c * r.hba1c_mmol_mol) if diabetic else 0.0
    out[_DEATH_DIABETES, i] = lk.death_diabetes * diabetes


@numba.njit(cache=True, error_model="numpy", inline="always")
def _harm_hazards(i, r, lk, c, age, sbp_u, sbp, dt, out):  # noqa: ANN001, ANN202, PLR0912, PLR0915
    """Treatment harms (twin/harms.py): background by age for everyone, drug terms where the drugs lower SBP."""
    treated = sbp_u > sbp
    acei, arb = r.dose_acei > 0, r.dose_arb > 0
    raas, dual = acei or arb, acei and arb
    spironolactone, thiazide = r.dose_spironolactone > 0, r.dose_thiazide > 0
    classes = 0
    if treated:
        classes = (
            int(acei)
            + int(arb)
            + int(r.dose_ccb > 0)
            + int(thiazide)
            + int(r.dose_beta_blocker > 0)
            + int(r.dose_alpha_blocker > 0)
            + int(spironolactone)
        )
    lowering_10 = max(min(sbp_u - sbp, c.harm_threshold - sbp), 0.0) / 10.0

    syncope = lk.syncope
    if treated:
        syncope *= np.exp(c.log_syncope_class * classes + c.log_syncope_lowering * lowering_10)
    out[_SYNCOPE, i] = syncope

    fall, hip = lk.fall, lk.hip
    if r.injurious_fall_history:
        fall *= c.fall_previous
        hip *= c.fall_previous
    if treated:
        lowering_floor_10 = max(min(sbp_u - sbp, c.sbp_benefit_floor - sbp), 0.0) / 10.0
        factor = np.exp(c.log_fall_on_drug * _one_if(classes > 0) + c.log_fall_lowering * lowering_floor_10)
        hip_factor = factor
        elapsed = age - r.bp_intensified_age_years
        if elapsed < c.recent_window:
            log_or_kind = lk.fall_log_or
            hip_log_irr = log_or_kind * c.log_hip_irr_start / c.log_or_start
            factor *= 1.0 + np.expm1(log_or_kind) * _window_fraction(elapsed, c.fall_window, dt)
            hip_factor *= 1.0 + np.expm1(hip_log_irr) * _window_fraction(elapsed, c.hip_window, dt)
        fall *= factor
        hip *= hip_factor
    out[_FALL, i] = fall
    out[_HIP, i] = hip

    egfr = r.egfr_ml_min_1_73m2
    aki = lk.aki
    if egfr < c.aki_egfr_reference:
        aki *= np.exp(c.log_aki_egfr * ((c.aki_egfr_reference - egfr) / 10.0))
    if treated:
        aki *= np.exp(
            c.log_aki_raas * _one_if(raas)
            + c.log_aki_diuretic * _one_if(thiazide or spironolactone)
            + c.log_aki_dual * _one_if(dual)
            + c.log_aki_lowering * lowering_10
        )
        if raas:
            elapsed = age - r.raas_started_age_years
            aki += c.aki_raas_excess * _window_fraction(elapsed, c.aki_raas_window, dt)
    out[_AKI, i] = aki

    if egfr < 60.0 or (treated and (raas or spironolactone)):
        hyperk = c.hyperk_scale * lk.normal_tail
        if treated and dual:
            hyperk *= c.hyperk_dual
        out[_HYPERK, i] = hyperk

    if not treated:
        return
    if thiazide:
        early = _window_fraction(age - r.thiazide_started_age_years, c.hyponatraemia_window, dt)
        late = c.hyponatraemia_late
        out[_HYPONATRAEMIA, i] = late + (c.hyponatraemia_early - late) * early
        out[_GOUT, i] = c.gout_excess
    if acei and not np.isnan(r.acei_started_age_years):
        out[_COUGH, i] = _front_loaded(c.cough_h0, c.cough_tau, age - r.acei_started_age_years, dt)
    ccb_dose = r.dose_ccb
    if ccb_dose > 0 and not np.isnan(r.ccb_started_age_years):
        oedema = _front_loaded(c.oedema_h0, c.oedema_tau, age - r.ccb_started_age_years, dt)
        out[_OEDEMA, i] = oedema * (c.oedema_high_dose if ccb_dose >= 2.0 else 1.0)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _statin_muscle(i, r, c, age, dt, out):  # noqa: ANN001, ANN202
    """Stopping for statin muscle symptoms in the first year after a start seen in the simulation (harms.py)."""
    started = r.statin_started_age_years
    reduction = r.statin_ldl_reduction
    if np.isnan(started) or not reduction > 0:
        return
    rr = c.muscle_rr_high if reduction >= np.float32(c.statin_high_reduction) else c.muscle_rr_moderate
    excess = c.muscle_excess_year1 * (rr - 1.0) / (c.muscle_rr_year1 - 1.0)
    out[_MUSCLE, i] = excess / c.muscle_stop_share * _window_fraction(age - started, 1.0, dt)
