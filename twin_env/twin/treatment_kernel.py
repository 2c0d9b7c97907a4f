"""Treatment effects, compiled (numba): current BP, lipids, HbA1c and potassium from untreated levels and drugs.

The equations and their sources are in :mod:`twin_env.twin.treatment_effects` (Law 2003 BP falls by
class and dose, the statin's LDL-C reduction, metformin / SGLT2 / gliclazide HbA1c falls, potassium)
and :mod:`twin_env.twin.treatment_burden` (adherence falling with the number of drugs and daily
doses); this module is their one per-patient implementation, in the same float32 / float64
arithmetic as the NumPy code it replaced (bit-identical results).

This module imports numba: import it lazily (see :mod:`twin_env.twin.hazard_kernel`).
"""

from __future__ import annotations

import collections

import numba
import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment_burden import MAX_DOSES_PER_DAY, ONCE_DAILY_UP_TO, REGIMEN_STEPS

#: State columns the kernels read or write.
COLUMNS: tuple[str, ...] = (
    "sbp_untreated_mmhg",
    "dbp_untreated_mmhg",
    "ldl_untreated_mmol_l",
    "total_chol_untreated_mmol_l",
    "hba1c_untreated_mmol_mol",
    "hba1c_shift_mmol_mol",
    "egfr_ml_min_1_73m2",
    "potassium_base_mmol_l",
    "adherence",
    *TREATMENT_FIELDS,
    # written by apply_effects
    "sbp_mmhg",
    "dbp_mmhg",
    "ldl_mmol_l",
    "total_chol_mmol_l",
    "hba1c_mmol_mol",
    "potassium_mmol_l",
)
EffectColumns = collections.namedtuple("EffectColumns", COLUMNS)
EffectConstants = collections.namedtuple(
    "EffectConstants",
    (
        "std_s",
        "std_minus_half_s",
        "std_d",
        "std_minus_half_d",
        "extra_s_per_10",
        "reference_s",
        "extra_d_per_10",
        "reference_d",
        "sglt2_sbp_fall",
        "metformin_full_dose",
        "gliclazide_full_dose",
        "metformin_once_daily_up_to",
        "gliclazide_once_daily_up_to",
        "metformin_hba1c_fall",
        "sglt2_hba1c_fall",
        "sulfonylurea_hba1c_fall",
        "potassium_per_10_egfr_below_60",
        "potassium_raas_rise",
        "potassium_spironolactone_rise",
    ),
)
EffectTables = collections.namedtuple(
    "EffectTables",
    (
        "pill_count_factor",  # (len(TREATMENT_FIELDS),) r ** (n_drugs - 1) by n_drugs - 1
        "frequency_factor",  # (MAX_DOSES_PER_DAY + 1,) A(f) / A(1) by f
        "metformin_up_to",  # regimen steps of metformin (dose up to, times a day)
        "metformin_times",
        "gliclazide_up_to",
        "gliclazide_times",
    ),
)


def constants(p: TwinParameters) -> EffectConstants:
    """The kernels' scalars for ``p``."""
    std_s, half_s = p["law_bp_fall_standard_dose_sbp_mmhg"], p["law_bp_fall_half_dose_sbp_mmhg"]
    std_d, half_d = p["law_bp_fall_standard_dose_dbp_mmhg"], p["law_bp_fall_half_dose_dbp_mmhg"]
    return EffectConstants(
        std_s=std_s,
        std_minus_half_s=std_s - half_s,
        std_d=std_d,
        std_minus_half_d=std_d - half_d,
        extra_s_per_10=p["law_extra_fall_sbp_per_10mmhg_pretreatment"],
        reference_s=p["law_reference_pretreatment_sbp_mmhg"],
        extra_d_per_10=p["law_extra_fall_dbp_per_10mmhg_pretreatment"],
        reference_d=p["law_reference_pretreatment_dbp_mmhg"],
        sglt2_sbp_fall=p["sglt2_sbp_fall_mmhg"],
        metformin_full_dose=p["metformin_full_effect_dose_mg_day"],
        gliclazide_full_dose=p["gliclazide_full_effect_dose_mg_day"],
        metformin_once_daily_up_to=ONCE_DAILY_UP_TO["metformin_mg_day"],
        gliclazide_once_daily_up_to=ONCE_DAILY_UP_TO["gliclazide_mg_day"],
        metformin_hba1c_fall=p["metformin_hba1c_fall_mmol_mol"],
        sglt2_hba1c_fall=p["sglt2_hba1c_fall_mmol_mol"],
        sulfonylurea_hba1c_fall=p["hirst2013_sulfonylurea_hba1c_fall_mmol_mol"],
        potassium_per_10_egfr_below_60=p["potassium_per_10_egfr_below_60"],
        potassium_raas_rise=p["potassium_raas_rise_mmol_l"],
        potassium_spironolactone_rise=p["potassium_spironolactone_rise_mmol_l"],
    )


def tables(p: TwinParameters) -> EffectTables:
    """The kernels' lookup tables for ``p``."""
    frequency = [1.0, 1.0, *(p[f"adherence_multiplier_{f}_per_day"] for f in range(2, MAX_DOSES_PER_DAY + 1))]
    powers = p["adherence_multiplier_per_extra_drug"] ** np.arange(len(TREATMENT_FIELDS))
    return EffectTables(  # tuples of floats: the kernels read them without reference counting
        pill_count_factor=tuple(float(v) for v in powers),
        frequency_factor=tuple(float(v) for v in frequency),
        metformin_up_to=tuple(float(v) for v in REGIMEN_STEPS["metformin_mg_day"][0]),
        metformin_times=tuple(float(v) for v in REGIMEN_STEPS["metformin_mg_day"][1]),
        gliclazide_up_to=tuple(float(v) for v in REGIMEN_STEPS["gliclazide_mg_day"][0]),
        gliclazide_times=tuple(float(v) for v in REGIMEN_STEPS["gliclazide_mg_day"][1]),
    )


_TABLES: dict[int, tuple[TwinParameters, EffectConstants, EffectTables]] = {}


def _prepared(p: TwinParameters) -> tuple[EffectConstants, EffectTables]:
    held = _TABLES.get(id(p))
    if held is None or held[0] is not p:
        if len(_TABLES) >= 8:
            _TABLES.clear()
        held = (p, constants(p), tables(p))
        _TABLES[id(p)] = held
    return held[1], held[2]


def apply(state: PatientState, p: TwinParameters) -> None:
    """Recompute every "current" level of ``state`` in place (see :func:`treatment_effects.apply_treatment_effects`)."""
    c, t = _prepared(p)
    _apply_effects(EffectColumns(*(state.columns[name] for name in COLUMNS)), c, t)


def bp_falls(state: PatientState, p: TwinParameters, adherence: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Systolic and diastolic falls (N,) in mmHg at ``adherence`` (N,) (default: a once-daily drug's in the regimen)."""
    c, t = _prepared(p)
    fall_s, fall_d = np.empty(state.n), np.empty(state.n)
    given = adherence is not None
    adherence = np.ascontiguousarray(adherence, dtype=np.float64) if given else np.empty(0)
    _bp_falls(EffectColumns(*(state.columns[name] for name in COLUMNS)), c, t, adherence, given, fall_s, fall_d)
    return fall_s, fall_d


# --- the kernels ------------------------------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy", inline="always")
def _class_falls(dose, extra_s, extra_d, c):  # noqa: ANN001, ANN202 (numba-typed)
    """(SBP, DBP) fall of one BP class at ``dose`` (float32, > 0) before adherence (Law 2003, log-linear in dose)."""
    log2_dose = np.log2(max(dose, np.float32(0.25)))
    fall_s = np.float32(c.std_s) + np.float32(c.std_minus_half_s) * log2_dose + extra_s
    fall_d = np.float32(c.std_d) + np.float32(c.std_minus_half_d) * log2_dose + extra_d
    return max(fall_s, 0.0), max(fall_d, 0.0)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _regimen_factor(value, once_daily_up_to, up_to, times, frequency_factor):  # noqa: ANN001, ANN202
    """A(f) / A(1) at a drug's dose ``value`` (float32): 1 up to its once-daily dose, else by its daily doses.

    ``up_to``, ``times``, ``frequency_factor``: tuples of floats (arrays here would cost reference counting).
    """
    if not value > np.float32(once_daily_up_to):
        return 1.0
    step = len(up_to) - 1
    for j in range(len(up_to)):  # searchsorted(up_to, value, side="left")
        if up_to[j] >= value:
            step = j
            break
    return frequency_factor[int(min(times[step], MAX_DOSES_PER_DAY))]


@numba.njit(cache=True, error_model="numpy", inline="always")
def _patient_falls(sbp_untreated, dbp_untreated, doses, sglt2, c):  # noqa: ANN001, ANN202
    """(SBP, DBP) falls from every BP class (``doses``, float32 tuple) and an SGLT2 inhibitor, before adherence.

    The falls' dependence on untreated BP is computed only for a patient on a class (no one else reads it).
    """
    extra_s, extra_d = 0.0, 0.0
    for dose in doses:
        if dose > 0:
            extra_s = c.extra_s_per_10 * (sbp_untreated - c.reference_s) / 10.0
            extra_d = c.extra_d_per_10 * (dbp_untreated - c.reference_d) / 10.0
            break
    fall_s, fall_d = 0.0, 0.0
    for dose in doses:
        if dose > 0:
            class_s, class_d = _class_falls(dose, extra_s, extra_d, c)
            fall_s += class_s
            fall_d += class_d
    fall_s += sglt2 * np.float32(c.sglt2_sbp_fall)
    return fall_s, fall_d


@numba.njit(cache=True, error_model="numpy", inline="always")
def _pill_count_adherence(adherence, doses, others, pill_count_factor):  # noqa: ANN001, ANN202
    """Effective adherence of a once-daily drug in the regimen: propensity x pill-count factor (tuple by n - 1)."""
    taken = 0
    for value in doses:
        taken += int(value > 0)
    for value in others:
        taken += int(value > 0)
    factor = pill_count_factor[taken - 1] if taken > 1 else 1.0
    return np.float64(adherence) * factor


@numba.njit(cache=True, error_model="numpy")
def _bp_falls(s, c, t, adherence, given, out_s, out_d):  # noqa: ANN001, ANN202, PLR0913
    """Falls (N,) at ``adherence`` if ``given`` else at a once-daily drug's effective adherence, into out_s/out_d."""
    (
        sbp_untreated,
        dbp_untreated,
        _ldl_untreated,
        _total_chol_untreated,
        _hba1c_untreated,
        _hba1c_shift,
        _egfr,
        _potassium_base,
        propensity,
        acei,
        arb,
        ccb,
        thiazide,
        beta_blocker,
        alpha_blocker,
        spironolactone,
        statin,
        metformin,
        sglt2,
        gliclazide,
        _sbp,
        _dbp,
        _ldl,
        _total_chol,
        _hba1c,
        _potassium,
    ) = s
    pill_count_factor = t.pill_count_factor
    for i in range(out_s.size):
        doses = (acei[i], arb[i], ccb[i], thiazide[i], beta_blocker[i], alpha_blocker[i], spironolactone[i])
        fall_s, fall_d = _patient_falls(sbp_untreated[i], dbp_untreated[i], doses, sglt2[i], c)
        others = (statin[i], metformin[i], sglt2[i], gliclazide[i])
        a = adherence[i] if given else _pill_count_adherence(propensity[i], doses, others, pill_count_factor)
        out_s[i] = fall_s * a
        out_d[i] = fall_d * a


@numba.njit(cache=True, error_model="numpy")
def _apply_effects(s, c, t):  # noqa: ANN001, ANN202
    """Write the current levels of every patient (the last six columns of ``s``) from untreated levels and drugs."""
    (
        sbp_untreated,
        dbp_untreated,
        ldl_untreated,
        total_chol_untreated,
        hba1c_untreated,
        hba1c_shift,
        egfr,
        potassium_base,
        propensity,
        acei,
        arb,
        ccb,
        thiazide,
        beta_blocker,
        alpha_blocker,
        spironolactone,
        statin,
        metformin,
        sglt2,
        gliclazide,
        sbp,
        dbp,
        ldl,
        total_chol,
        hba1c,
        potassium,
    ) = s
    pill_count_factor, frequency_factor = t.pill_count_factor, t.frequency_factor
    metformin_steps, gliclazide_steps = (t.metformin_up_to, t.metformin_times), (t.gliclazide_up_to, t.gliclazide_times)
    for i in range(propensity.size):
        doses = (acei[i], arb[i], ccb[i], thiazide[i], beta_blocker[i], alpha_blocker[i], spironolactone[i])
        others = (statin[i], metformin[i], sglt2[i], gliclazide[i])
        adherence = _pill_count_adherence(propensity[i], doses, others, pill_count_factor)
        fall_s, fall_d = _patient_falls(sbp_untreated[i], dbp_untreated[i], doses, sglt2[i], c)
        sbp[i] = sbp_untreated[i] - fall_s * adherence
        dbp[i] = dbp_untreated[i] - fall_d * adherence

        ldl_fall = ldl_untreated[i] * statin[i] * adherence
        ldl[i] = ldl_untreated[i] - ldl_fall
        total_chol[i] = total_chol_untreated[i] - ldl_fall

        # a drug not taken (dose 0) contributes exactly 0: sqrt(0 / full) x 1, without the division and square root
        metformin_taken, gliclazide_taken = 0.0, 0.0
        dose = metformin[i]
        if dose != 0.0:
            metformin_fraction = np.sqrt(min(dose / np.float32(c.metformin_full_dose), np.float32(1.0)))
            metformin_taken = metformin_fraction * _regimen_factor(
                dose, c.metformin_once_daily_up_to, metformin_steps[0], metformin_steps[1], frequency_factor
            )
        dose = gliclazide[i]
        if dose != 0.0:
            gliclazide_fraction = np.sqrt(min(dose / np.float32(c.gliclazide_full_dose), np.float32(1.0)))
            gliclazide_taken = gliclazide_fraction * _regimen_factor(
                dose, c.gliclazide_once_daily_up_to, gliclazide_steps[0], gliclazide_steps[1], frequency_factor
            )
        hba1c_fall = (
            c.metformin_hba1c_fall * metformin_taken
            + np.float32(c.sglt2_hba1c_fall) * sglt2[i]
            + c.sulfonylurea_hba1c_fall * gliclazide_taken
        ) * adherence
        hba1c[i] = max(hba1c_untreated[i] + hba1c_shift[i] - hba1c_fall, 30.0)

        raas = acei[i] > 0 or arb[i] > 0
        renal = 0.0  # at eGFR >= 60 the term is +-0, which leaves the sum below unchanged
        if not egfr[i] >= 60.0:
            renal = c.potassium_per_10_egfr_below_60 * max(60.0 - egfr[i], 0.0) / 10.0
        potassium[i] = (
            potassium_base[i]
            + renal
            + c.potassium_raas_rise * (1.0 if raas else 0.0)
            + c.potassium_spironolactone_rise * (1.0 if spironolactone[i] > 0 else 0.0)
        )
