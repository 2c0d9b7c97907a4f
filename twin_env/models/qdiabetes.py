"""QDiabetes-2018 10-year risk of type 2 diabetes: the validated public API.

Hippisley-Cox J, Coupland C. BMJ 2017;359:j5019. The arithmetic is
:mod:`twin_env.equations.qdiabetes`; this module checks the inputs first. Any displayed score
must carry ClinRisk's disclaimer, :data:`twin_env.models.disclaimer.CLINRISK_DISCLAIMER`.

Model A uses no blood test, model B needs ``fasting_glucose`` and model C needs ``hba1c``; giving
a model the blood test it does not use is an error (it would silently not count). A bad input
raises ``ValueError`` naming the input and the allowed values. Sex-specific flags follow the
published equations: gestational diabetes and PCOS have no coefficient in the male equations
and are accepted and ignored for men, as in ClinRisk's code.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from twin_env.equations.qdiabetes import BMI_CLAMP_KG_M2, FLAG_TERMS, MODELS, qdiabetes2018_risk_percent
from twin_env.models.qrisk3 import FLAG, QRISK3_INPUTS, Real, Spec, check_inputs

# Input limits. Age, ethnicity, smoking and Townsend as for QRISK3 (25-84 is QDiabetes-2018's
# published age range too). BMI: any physiological value 10-80 kg/m2 is accepted; the published
# algorithm clamps it to 20-40 before use. The blood-test ranges are the published ones: fasting
# plasma glucose 2.0 to under 7.0 mmol/L and HbA1c 15 to under 48 mmol/mol (at or above these
# the person already meets the diagnostic threshold for diabetes).
QDIABETES_INPUTS: dict[str, Spec] = {
    "age": QRISK3_INPUTS["age"],
    "ethnicity": QRISK3_INPUTS["ethnicity"],
    "smoking": QRISK3_INPUTS["smoking"],
    "bmi": Real(10, 80, f"kg/m2 (clamped to {BMI_CLAMP_KG_M2[0]:g}-{BMI_CLAMP_KG_M2[1]:g})"),
    "townsend": QRISK3_INPUTS["townsend"],
    "fasting_glucose": Real(2.0, 7.0, "mmol/L", high_open=True),
    "hba1c": Real(15, 48, "mmol/mol", high_open=True),
    **{name: FLAG for name in FLAG_TERMS},
}

# The blood test each model needs.
MODEL_BLOOD_TEST = {"A": None, "B": "fasting_glucose", "C": "hba1c"}


def _check_model(model: object, values: dict[str, object]) -> dict[str, object]:
    """Check ``model`` and its blood test; return ``values`` without the unused test."""
    if not isinstance(model, str) or model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(map(repr, MODELS))}; got {model!r}")
    needed = MODEL_BLOOD_TEST[model]
    for test in ("fasting_glucose", "hba1c"):
        if test == needed and values[test] is None:
            allowed = QDIABETES_INPUTS[test].describe()
            raise ValueError(f"{test} is required for model {model}: {allowed}")
        if test != needed and values[test] is not None:
            raise ValueError(f"{test} is not an input of model {model}; leave it as None")
    return {name: v for name, v in values.items() if v is not None}


def qdiabetes2018_score_array(
    *,
    model: str,
    sex: ArrayLike,
    age: ArrayLike,
    ethnicity: ArrayLike,
    smoking: ArrayLike,
    bmi: ArrayLike,
    townsend: ArrayLike,
    fasting_glucose: ArrayLike | None = None,
    hba1c: ArrayLike | None = None,
    atypical_antipsychotics: ArrayLike = False,
    corticosteroids: ArrayLike = False,
    cvd: ArrayLike = False,
    gestational_diabetes: ArrayLike = False,
    learning_disability: ArrayLike = False,
    schizophrenia_or_bipolar: ArrayLike = False,
    pcos: ArrayLike = False,
    statins: ArrayLike = False,
    treated_hypertension: ArrayLike = False,
    family_history_diabetes: ArrayLike = False,
) -> NDArray[np.float64]:
    """QDiabetes-2018 10-year type 2 diabetes risk in percent for arrays of people.

    Same arguments as :func:`qdiabetes2018_score`, each a scalar or an array except ``model``
    (one model per call); ``sex`` is an array of "female"/"male" strings. All broadcast
    together; returns float64 of the broadcast shape, identical to :func:`qdiabetes2018_score`
    element by element. Raises ``ValueError`` on the first invalid input, naming it, its
    allowed values and the offending index.
    """
    values = {name: v for name, v in locals().items() if name not in ("model", "sex")}
    inputs, shape = check_inputs(sex, _check_model(model, values), QDIABETES_INPUTS)
    return qdiabetes2018_risk_percent(model=model, **inputs).reshape(shape)


def qdiabetes2018_score(
    *,
    model: str,
    sex: str,
    age: float,
    ethnicity: int,
    smoking: int,
    bmi: float,
    townsend: float,
    fasting_glucose: float | None = None,
    hba1c: float | None = None,
    atypical_antipsychotics: bool = False,
    corticosteroids: bool = False,
    cvd: bool = False,
    gestational_diabetes: bool = False,
    learning_disability: bool = False,
    schizophrenia_or_bipolar: bool = False,
    pcos: bool = False,
    statins: bool = False,
    treated_hypertension: bool = False,
    family_history_diabetes: bool = False,
) -> float:
    """QDiabetes-2018 10-year risk of type 2 diabetes in percent.

    ``model`` is "A" (no blood test), "B" (``fasting_glucose``, mmol/L, 2.0 to under 7.0) or
    "C" (``hba1c``, mmol/mol, 15 to under 48). ``sex`` is "female" or "male"; ``age`` in
    years, 25 to under 85; ``ethnicity`` code 0-9 (0 scored as 1); ``smoking`` code 0-4;
    ``bmi`` kg/m2 (clamped to 20-40 by the algorithm); ``townsend`` deprivation score; flags
    are bools. Limits are in :data:`QDIABETES_INPUTS`; a bad input raises ``ValueError``.
    Display the result with :data:`twin_env.models.disclaimer.CLINRISK_DISCLAIMER`.
    """
    values = {name: v for name, v in locals().items() if name not in ("model", "sex")}
    values = _check_model(model, values)
    array_function = "qdiabetes2018_score_array"
    inputs, _ = check_inputs(sex, values, QDIABETES_INPUTS, array_function=array_function)
    return float(qdiabetes2018_risk_percent(model=model, **inputs)[0])
