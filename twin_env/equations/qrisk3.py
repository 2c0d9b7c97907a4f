"""QRISK3-2017: 10-year risk of cardiovascular disease (CHD, ischaemic stroke, TIA).

Hippisley-Cox J, Coupland C, Brindle P. BMJ 2017;357:j2099. Implemented from the published
equations; coefficients are read from ``twin_env/data/qrisk3_2017_coefficients.csv``.

No validation: every argument is a scalar or an array and all broadcast together; the result is
float64 with the broadcast shape. ``female`` is bool, ``ethnicity`` an int code 0-9 (0 is
scored like 1, White or not stated), ``smoking`` an int code 0-4, the flags are bool. The checked
public API (and ClinRisk's required disclaimer) is in :mod:`twin_env.models.qrisk3`.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray

from twin_env.equations import evaluate_by_sex

COEFFICIENTS_FILE = "qrisk3_2017_coefficients.csv"

# Keyword argument -> ClinRisk's term name for that flag, in the published order.
FLAG_TERMS: dict[str, str] = {
    "atrial_fibrillation": "b_AF",
    "atypical_antipsychotics": "b_atypicalantipsy",
    "corticosteroids": "b_corticosteroids",
    "erectile_dysfunction": "b_impotence2",
    "migraine": "b_migraine",
    "rheumatoid_arthritis": "b_ra",
    "ckd_3_5": "b_renal",
    "severe_mental_illness": "b_semi",
    "sle": "b_sle",
    "treated_hypertension": "b_treatedhyp",
    "type1_diabetes": "b_type1",
    "type2_diabetes": "b_type2",
    "family_history_cvd": "fh_cvd",
}

# Centred continuous terms, and the subset that also interacts with age_1 and age_2.
_CONTINUOUS = ("age_1", "age_2", "bmi_1", "bmi_2", "rati", "sbp", "sbps5", "town")
_AGE_INTERACTING = ("bmi_1", "bmi_2", "sbp", "town")


@dataclass(frozen=True)
class Qrisk3Equation:
    """One sex's QRISK3-2017 equation.

    ``beta`` holds only the terms present in that sex's equation ("b_AF", "age_1*b_AF", ...);
    an absent term (erectile dysfunction in women, the SLE-age interactions in men) contributes
    nothing, as in ClinRisk's code.
    """

    female: bool
    neg_log_s0: float  # -ln S0(10 years)
    centre: dict[str, float]  # centring mean per continuous term
    ethnicity: NDArray[np.float64]  # (10,) by code 0-9
    smoking: NDArray[np.float64]  # (5,) by code 0-4
    smoking_age: dict[str, NDArray[np.float64]]  # "age_1"/"age_2" -> (5,) interaction by code
    beta: dict[str, float]


@functools.cache
def qrisk3_equation(female: bool) -> Qrisk3Equation:
    """Load one sex's equation from the packaged coefficient file (once)."""
    text = (resources.files("twin_env") / "data" / COEFFICIENTS_FILE).read_text("utf-8")
    column = "female" if female else "male"
    rows = {row["term"]: float(row[column]) for row in csv.DictReader(text.splitlines()) if row[column] != ""}

    def by_code(prefix: str) -> NDArray[np.float64]:
        """Collect the rows named '<prefix> ...(k)' into an array indexed by code k."""
        codes = {
            int(m[1]): value
            for term, value in rows.items()
            if term.startswith(prefix) and (m := re.search(r"(\d)\)$", term))
        }
        return np.array([codes[k] for k in range(len(codes))])

    return Qrisk3Equation(
        female=female,
        neg_log_s0=-float(np.log(rows["baseline survival S0(10y)"])),
        centre={name: rows[f"centring mean {name}"] for name in _CONTINUOUS},
        ethnicity=by_code("Iethrisk"),
        smoking=by_code("Ismoke"),
        smoking_age={
            age: np.array([0.0] + [rows[f"{age}*(smoke_cat=={k})"] for k in range(1, 5)]) for age in ("age_1", "age_2")
        },
        beta={
            term: value
            for term, value in rows.items()
            if not term.startswith(("baseline", "centring", "Iethrisk", "Ismoke")) and "smoke_cat" not in term
        },
    )


def _hazard(female: bool, v: Mapping[str, NDArray]) -> NDArray[np.float64]:
    """Cumulative hazard for rows of one sex; ``v`` holds the keyword arguments by name."""
    eq = qrisk3_equation(female)
    b = eq.beta
    dage = v["age"] / 10.0
    dbmi = v["bmi"] / 10.0
    bmi_1 = 1.0 / (dbmi * dbmi)
    raw = {
        # female: age_1 = dage^-2, age_2 = dage;  male: age_1 = dage^-1, age_2 = dage^3
        "age_1": 1.0 / (dage * dage) if female else 1.0 / dage,
        "age_2": dage if female else dage * dage * dage,
        "bmi_1": bmi_1,
        "bmi_2": bmi_1 * np.log(dbmi),
        "rati": v["chol_hdl_ratio"],
        "sbp": v["sbp"],
        "sbps5": v["sbp_sd"],
        "town": v["townsend"],
    }
    x = {name: raw[name] - eq.centre[name] for name in _CONTINUOUS}
    flags = {term: v[arg] for arg, term in FLAG_TERMS.items()}
    smoking = v["smoking"]

    a = eq.ethnicity.take(v["ethnicity"]) + eq.smoking.take(smoking)
    for name in _CONTINUOUS:
        a = a + b[name] * x[name]
    for name, flag in flags.items():
        if name in b:
            a = a + b[name] * flag
    for age_term in ("age_1", "age_2"):
        slope = eq.smoking_age[age_term].take(smoking)
        for name in _AGE_INTERACTING:
            slope = slope + b[f"{age_term}*{name}"] * x[name]
        for name, flag in flags.items():
            if f"{age_term}*{name}" in b:
                slope = slope + b[f"{age_term}*{name}"] * flag
        a = a + slope * x[age_term]
    return eq.neg_log_s0 * np.exp(a)


def qrisk3_cumulative_hazard_10y(
    *,
    female: ArrayLike,
    age: ArrayLike,
    ethnicity: ArrayLike,
    smoking: ArrayLike,
    bmi: ArrayLike,
    chol_hdl_ratio: ArrayLike,
    sbp: ArrayLike,
    sbp_sd: ArrayLike,
    townsend: ArrayLike,
    atrial_fibrillation: ArrayLike,
    atypical_antipsychotics: ArrayLike,
    corticosteroids: ArrayLike,
    erectile_dysfunction: ArrayLike,
    migraine: ArrayLike,
    rheumatoid_arthritis: ArrayLike,
    ckd_3_5: ArrayLike,
    severe_mental_illness: ArrayLike,
    sle: ArrayLike,
    treated_hypertension: ArrayLike,
    type1_diabetes: ArrayLike,
    type2_diabetes: ArrayLike,
    family_history_cvd: ArrayLike,
) -> NDArray[np.float64]:
    """10-year cumulative hazard of CVD, ``-ln(S0) * exp(a)`` (dimensionless).

    Units: age in years, bmi in kg/m2, sbp and sbp_sd in mmHg, townsend as a score.
    """
    inputs = {
        "age": age,
        "ethnicity": ethnicity,
        "smoking": smoking,
        "bmi": bmi,
        "chol_hdl_ratio": chol_hdl_ratio,
        "sbp": sbp,
        "sbp_sd": sbp_sd,
        "townsend": townsend,
        "atrial_fibrillation": atrial_fibrillation,
        "atypical_antipsychotics": atypical_antipsychotics,
        "corticosteroids": corticosteroids,
        "erectile_dysfunction": erectile_dysfunction,
        "migraine": migraine,
        "rheumatoid_arthritis": rheumatoid_arthritis,
        "ckd_3_5": ckd_3_5,
        "severe_mental_illness": severe_mental_illness,
        "sle": sle,
        "treated_hypertension": treated_hypertension,
        "type1_diabetes": type1_diabetes,
        "type2_diabetes": type2_diabetes,
        "family_history_cvd": family_history_cvd,
    }
    return evaluate_by_sex(_hazard, female, inputs)


def qrisk3_risk_percent(**inputs: ArrayLike) -> NDArray[np.float64]:
    """10-year CVD risk in percent, ``100 * (1 - exp(-H))``; takes the keyword arguments of
    :func:`qrisk3_cumulative_hazard_10y`."""
    return -100.0 * np.expm1(-qrisk3_cumulative_hazard_10y(**inputs))
