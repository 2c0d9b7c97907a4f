"""The published risk equations as hazards over the latent state.

QRISK3-2017 and QDiabetes-2018 (model A) give a 10-year cumulative hazard H10 from a patient's
current risk factors. The twin turns it into an annual hazard at age ``a`` as
``H10(age = a - offset) / 10``: a hazard that keeps rising with age then integrates over ten years to
QRISK3's own prediction (the offset is derived by :mod:`twin_env.twin.calibration`). Outside the
licensed ages 25-84 the hazard is extrapolated log-linearly from the boundary.
"""

from __future__ import annotations

import functools

import numpy as np

from twin_env.equations import CHUNK_ROWS, qdiabetes, qrisk3
from twin_env.equations.qdiabetes import qdiabetes2018_cumulative_hazard_10y
from twin_env.equations.qrisk3 import qrisk3_cumulative_hazard_10y
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState, RowsView

_BMI_RANGE = (20.0, 40.0)  # the range QRISK3 and QDiabetes were developed on
_TOWNSEND_RANGE = (-7.0, 11.0)
_RATIO_RANGE = (1.0, 12.0)
_SBP_RANGE = (70.0, 210.0)


def _clipped_age(age_years: np.ndarray, params: TwinParameters) -> tuple[np.ndarray, np.ndarray]:
    """Age clipped to the licensed range and the log-hazard extrapolation beyond it."""
    lo, hi = params["risk_equation_age_min_years"], params["risk_equation_age_max_years"]
    clipped = np.clip(age_years, lo, hi)
    log_shift = np.where(
        age_years < lo,
        params["hazard_log_slope_below_age_25"] * (age_years - lo),
        params["hazard_log_slope_above_age_84"] * np.maximum(age_years - hi, 0.0),
    )
    return clipped, log_shift


def qrisk3_hazard_10y(state: PatientState | RowsView, params: TwinParameters, age_years: np.ndarray) -> np.ndarray:
    """QRISK3 10-year cumulative hazard (N,) of first CVD on the untreated risk factors.

    Uses the untreated SBP and total/HDL ratio with ``treated_hypertension`` false: treatment acts
    on the hazard through the achieved falls (Ettehad 2016, CTT 2010), not through QRISK3's marker.
    """
    age, log_shift = _clipped_age(age_years, params)
    inputs = _qrisk3_inputs(_state_columns(state), age, np.zeros(state.n, dtype=bool))
    return qrisk3_cumulative_hazard_10y(female=state.female, **inputs) * np.exp(log_shift)


def qdiabetes_hazard_10y(state: PatientState | RowsView, params: TwinParameters, age_years: np.ndarray) -> np.ndarray:
    """QDiabetes-2018 model A 10-year cumulative hazard (N,) of type 2 diabetes.

    QDiabetes' statin and treated-hypertension terms mark who is prescribed, not what the drugs do:
    the statin term is off, and ``treated_hypertension`` is given the condition it marks, true
    hypertension (diagnosed or not; untreated BP ever 140/90 or more), so starting, stopping or
    changing a drug never moves it. The drugs act through their own class effects
    (:mod:`twin_env.twin.hazard_kernel`: thiazides and beta-blockers, Elliott & Meyer 2007; statins by
    intensity, CTT 2024).
    """
    age, log_shift = _clipped_age(age_years, params)
    inputs = _qdiabetes_inputs(_state_columns(state), age, np.zeros(state.n, dtype=bool))
    return qdiabetes2018_cumulative_hazard_10y(model="A", female=state.female, **inputs) * np.exp(log_shift)


def _qrisk3_inputs(v: dict[str, np.ndarray], age: np.ndarray, off: np.ndarray) -> dict[str, np.ndarray]:
    """QRISK3's inputs from state columns ``v`` (a flag absent from ``v`` is ``off``): the risk factors clipped
    to the ranges the equation was developed on, the treated-hypertension marker always off."""
    return {
        "age": age,
        "ethnicity": v["ethnicity"],
        "smoking": v["smoking"],
        "bmi": np.clip(v["bmi_kg_m2"], *_BMI_RANGE),
        "chol_hdl_ratio": np.clip(v["total_chol_untreated_mmol_l"] / v["hdl_mmol_l"], *_RATIO_RANGE),
        "sbp": np.clip(v["sbp_untreated_mmhg"], *_SBP_RANGE),
        "sbp_sd": v["sbp_visit_sd_mmhg"],
        "townsend": np.clip(v["townsend"], *_TOWNSEND_RANGE),
        **{arg: off if arg == "treated_hypertension" else v.get(arg, off) for arg in qrisk3.FLAG_TERMS},
    }


def _qdiabetes_inputs(v: dict[str, np.ndarray], age: np.ndarray, off: np.ndarray) -> dict[str, np.ndarray]:
    """QDiabetes' (model A) inputs from state columns ``v`` (a flag absent from ``v`` is ``off``; the statin
    marker is never a state column, so it is always off; ``v["cvd"]`` is CHD or stroke/TIA)."""
    return {
        "age": age,
        "ethnicity": v["ethnicity"],
        "smoking": v["smoking"],
        "bmi": v["bmi_kg_m2"],
        "townsend": np.clip(v["townsend"], *_TOWNSEND_RANGE),
        **{arg: v.get(_QDIABETES_FIELD.get(arg, arg), off) for arg in qdiabetes.FLAG_TERMS},
    }


def _state_columns(state: PatientState | RowsView) -> dict[str, np.ndarray]:
    """Every state column either equation reads, and ``cvd`` (CHD or stroke/TIA)."""
    flags = [a for a in qrisk3.FLAG_TERMS if a != "treated_hypertension"]
    flags += [_QDIABETES_FIELD.get(a, a) for a in qdiabetes.FLAG_TERMS if a not in ("cvd", "statins")]
    v = {name: getattr(state, name) for name in dict.fromkeys((*_COMMON_FIELDS, *flags))}
    v["cvd"] = state.chd | state.stroke_tia
    return v


#: State fields both equations read (besides the flags), gathered once per sex.
_COMMON_FIELDS = (
    "age_years",
    "ethnicity",
    "smoking",
    "bmi_kg_m2",
    "townsend",
    "total_chol_untreated_mmol_l",
    "hdl_mmol_l",
    "sbp_untreated_mmhg",
    "sbp_visit_sd_mmhg",
)
#: QDiabetes flags read from a differently named state field (as :func:`qdiabetes_hazard_10y`).
_QDIABETES_FIELD = {"schizophrenia_or_bipolar": "severe_mental_illness", "treated_hypertension": "hypertension"}


def _used(term: str, beta: dict[str, float]) -> bool:
    """Whether a flag term enters a sex's equation (alone or in an age interaction)."""
    return term in beta or f"age_1*{term}" in beta or f"age_2*{term}" in beta


@functools.cache
def _sex_fields(female: bool) -> tuple[tuple[str, ...], bool]:
    """State fields one sex's QRISK3 and QDiabetes flags need, and whether QDiabetes' CVD term is used.

    Flags a sex's equation does not use are passed as all false (their value never enters), not gathered.
    QRISK3's treated hypertension and QDiabetes' statins are always off (marker terms).
    """
    b3, bd = qrisk3.qrisk3_equation(female).beta, qdiabetes.qdiabetes2018_equation("A", female).beta
    fields3 = [a for a, t in qrisk3.FLAG_TERMS.items() if a != "treated_hypertension" and _used(t, b3)]
    derived = ("cvd", "statins")  # chd | stroke_tia (gathered apart), and off
    used_d = [a for a, t in qdiabetes.FLAG_TERMS.items() if a not in derived and _used(t, bd)]
    fields_d = [_QDIABETES_FIELD.get(a, a) for a in used_d]
    return tuple(dict.fromkeys((*_COMMON_FIELDS, *fields3, *fields_d))), _used(qdiabetes.FLAG_TERMS["cvd"], bd)


def risk_equations_10y(
    state: PatientState, rows: np.ndarray, midpoint_offset_years: float, params: TwinParameters
) -> tuple[np.ndarray, np.ndarray]:
    """QRISK3 and QDiabetes (model A) 10-year cumulative hazards (k,) of ``rows`` at age + ``midpoint_offset_years``.

    Equal bit for bit to :func:`qrisk3_hazard_10y` and :func:`qdiabetes_hazard_10y` at ``age_years +
    midpoint_offset_years`` minus each equation's age offset (the same element-wise sex kernels on the same
    inputs), with each state column gathered once per sex for both equations (in chunks of ``CHUNK_ROWS``).
    """
    female = state.female.take(rows)
    qrisk3_h10, qdiabetes_h10 = np.empty(rows.size), np.empty(rows.size)
    for sex in (True, False):
        sex_at = np.flatnonzero(female) if sex else np.flatnonzero(~female)
        fields, with_cvd = _sex_fields(sex)
        for start in range(0, sex_at.size, CHUNK_ROWS):
            at = sex_at[start : start + CHUNK_ROWS]
            sex_rows = rows.take(at)
            v = {name: state.columns[name].take(sex_rows) for name in fields}
            if with_cvd:
                v["cvd"] = state.columns["chd"].take(sex_rows) | state.columns["stroke_tia"].take(sex_rows)
            off = np.zeros(at.size, dtype=bool)
            midpoint = v["age_years"] + midpoint_offset_years
            q3_age, q3_shift = _clipped_age(midpoint - params["qrisk3_age_offset_years"], params)
            qd_age, qd_shift = _clipped_age(midpoint - params["qdiabetes_age_offset_years"], params)
            q3_inputs = _qrisk3_inputs(v, q3_age, off)
            qd_inputs = _qdiabetes_inputs(v, qd_age, off)
            qrisk3_h10[at] = qrisk3._hazard(sex, q3_inputs) * np.exp(q3_shift)
            qdiabetes_h10[at] = qdiabetes._hazard("A", sex, qd_inputs) * np.exp(qd_shift)
    return qrisk3_h10, qdiabetes_h10
