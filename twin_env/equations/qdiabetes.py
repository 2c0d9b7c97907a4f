"""QDiabetes-2018: 10-year risk of type 2 diabetes, models A, B and C.

Hippisley-Cox J, Coupland C. BMJ 2017;359:j5019. Implemented from the published equations;
coefficients are read from ``twin_env/data/qdiabetes2018_coefficients.csv``. Model A uses no
blood test, model B adds fasting plasma glucose, model C adds HbA1c.

No validation: every argument is a scalar or an array and all broadcast together; the result is
float64 with the broadcast shape. ``female`` is bool, ``ethnicity`` an int code 0-9 (0 is
scored like 1, White or not stated), ``smoking`` an int code 0-4, the flags are bool. BMI is
clamped to 20-40 kg/m2, as in the published algorithm. The checked public API (and ClinRisk's
required disclaimer) is in :mod:`twin_env.models.qdiabetes`.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray

from twin_env.equations import evaluate_by_sex

COEFFICIENTS_FILE = "qdiabetes2018_coefficients.csv"
MODELS = ("A", "B", "C")
BMI_CLAMP_KG_M2 = (20.0, 40.0)

# Keyword argument -> ClinRisk's term name for that flag, in the published order.
# b_gestdiab and b_pos (polycystic ovary syndrome) exist in the female equations only.
FLAG_TERMS: dict[str, str] = {
    "atypical_antipsychotics": "b_atypicalantipsy",
    "corticosteroids": "b_corticosteroids",
    "cvd": "b_cvd",
    "gestational_diabetes": "b_gestdiab",
    "learning_disability": "b_learning",
    "schizophrenia_or_bipolar": "b_manicschiz",
    "pcos": "b_pos",
    "statins": "b_statin",
    "treated_hypertension": "b_treatedhyp",
    "family_history_diabetes": "fh_diab",
}


@dataclass(frozen=True)
class QDiabetesEquation:
    """One sex's equation of one QDiabetes-2018 model.

    ``beta`` holds only the terms present in that equation ("b_statin", "age_1*b_statin", ...);
    an absent term (gestational diabetes and PCOS in men) contributes nothing, as in
    ClinRisk's code.
    """

    model: str
    female: bool
    neg_log_s0: float  # -ln S0(10 years)
    centre: dict[str, float]  # centring mean per continuous term
    ethnicity: NDArray[np.float64]  # (10,) by code 0-9
    smoking: NDArray[np.float64]  # (5,) by code 0-4
    beta: dict[str, float]


@functools.cache
def qdiabetes2018_equation(model: str, female: bool) -> QDiabetesEquation:
    """Load one model's equation for one sex from the packaged coefficient file (once)."""
    text = (resources.files("twin_env") / "data" / COEFFICIENTS_FILE).read_text("utf-8")
    sex = "female" if female else "male"
    rows = {
        row["term"].replace(" * ", "*"): float(row["value"])
        for row in csv.DictReader(text.splitlines())
        if row["model"] == model and row["sex"] == sex
    }
    centring = "centring "
    return QDiabetesEquation(
        model=model,
        female=female,
        neg_log_s0=-float(np.log(rows.pop("baseline_survival_10y"))),
        centre={t[len(centring) :]: rows.pop(t) for t in list(rows) if t.startswith(centring)},
        ethnicity=np.array([rows.pop(f"Iethrisk[{k}]") for k in range(10)]),
        smoking=np.array([rows.pop(f"Ismoke[{k}]") for k in range(5)]),
        beta=rows,
    )


def _hazard(model: str, female: bool, v: Mapping[str, NDArray]) -> NDArray[np.float64]:
    """Cumulative hazard for rows of one sex; ``v`` holds the keyword arguments by name."""
    eq = qdiabetes2018_equation(model, female)
    b = eq.beta
    dage = v["age"] / 10.0
    dbmi = np.clip(v["bmi"], *BMI_CLAMP_KG_M2) / 10.0
    raw = {
        # female: age_1 = dage^0.5, bmi_1 = dbmi;  male: age_1 = ln(dage), bmi_1 = dbmi^2
        "age_1": np.sqrt(dage) if female else np.log(dage),
        "age_2": dage * dage * dage,
        "bmi_1": dbmi if female else dbmi * dbmi,
        "bmi_2": dbmi * dbmi * dbmi,
        "town": v["townsend"],
    }
    if model == "B":
        # female: fbs_1 = fpg^-1, fbs_2 = fpg^-1 ln(fpg);  male: the same with fpg^-0.5
        fpg = v["fasting_glucose"]
        power = 1.0 / fpg if female else 1.0 / np.sqrt(fpg)
        raw["fbs_1"], raw["fbs_2"] = power, power * np.log(fpg)
    elif model == "C":
        dhba1c = v["hba1c"] / 10.0
        raw["hba1c_1"], raw["hba1c_2"] = np.sqrt(dhba1c), dhba1c
    x = {name: value - eq.centre[name] for name, value in raw.items()}
    flags = {term: v[arg] for arg, term in FLAG_TERMS.items()}

    a = eq.ethnicity.take(v["ethnicity"]) + eq.smoking.take(v["smoking"])
    for name, value in x.items():
        a = a + b[name] * value
    for name, flag in flags.items():
        if name in b:
            a = a + b[name] * flag
    for age_term in ("age_1", "age_2"):
        slope = 0.0
        for name, value in (*x.items(), *flags.items()):
            if f"{age_term}*{name}" in b:
                slope = slope + b[f"{age_term}*{name}"] * value
        a = a + slope * x[age_term]
    return eq.neg_log_s0 * np.exp(a)


def qdiabetes2018_cumulative_hazard_10y(
    *,
    model: str,
    female: ArrayLike,
    age: ArrayLike,
    ethnicity: ArrayLike,
    smoking: ArrayLike,
    bmi: ArrayLike,
    townsend: ArrayLike,
    fasting_glucose: ArrayLike | None = None,
    hba1c: ArrayLike | None = None,
    atypical_antipsychotics: ArrayLike,
    corticosteroids: ArrayLike,
    cvd: ArrayLike,
    gestational_diabetes: ArrayLike,
    learning_disability: ArrayLike,
    schizophrenia_or_bipolar: ArrayLike,
    pcos: ArrayLike,
    statins: ArrayLike,
    treated_hypertension: ArrayLike,
    family_history_diabetes: ArrayLike,
) -> NDArray[np.float64]:
    """10-year cumulative hazard of type 2 diabetes, ``-ln(S0) * exp(a)`` (dimensionless).

    ``model`` is "A", "B" (needs ``fasting_glucose``, mmol/L) or "C" (needs ``hba1c``,
    mmol/mol); a blood test the model does not use is ignored. Units: age in years, bmi in
    kg/m2, townsend as a score.
    """
    inputs = {
        "age": age,
        "ethnicity": ethnicity,
        "smoking": smoking,
        "bmi": bmi,
        "townsend": townsend,
        "fasting_glucose": fasting_glucose,
        "hba1c": hba1c,
        "atypical_antipsychotics": atypical_antipsychotics,
        "corticosteroids": corticosteroids,
        "cvd": cvd,
        "gestational_diabetes": gestational_diabetes,
        "learning_disability": learning_disability,
        "schizophrenia_or_bipolar": schizophrenia_or_bipolar,
        "pcos": pcos,
        "statins": statins,
        "treated_hypertension": treated_hypertension,
        "family_history_diabetes": family_history_diabetes,
    }
    return evaluate_by_sex(functools.partial(_hazard, model), female, inputs)


def qdiabetes2018_risk_percent(**inputs: ArrayLike | str | None) -> NDArray[np.float64]:
    """10-year type 2 diabetes risk in percent, ``100 * (1 - exp(-H))``; same keyword
    arguments as :func:`qdiabetes2018_cumulative_hazard_10y`."""
    return -100.0 * np.expm1(-qdiabetes2018_cumulative_hazard_10y(**inputs))
