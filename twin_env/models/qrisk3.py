"""QRISK3-2017 10-year cardiovascular risk: the validated public API.

Hippisley-Cox J, Coupland C, Brindle P. BMJ 2017;357:j2099. The arithmetic is
:mod:`twin_env.equations.qrisk3`; this module checks the inputs first. Any displayed score must
carry ClinRisk's disclaimer, :data:`twin_env.models.disclaimer.CLINRISK_DISCLAIMER`.

Inputs are checked against the limits below; a bad input raises ``ValueError`` naming the input
and the allowed values. Sex-specific flags follow the published equations: a flag with no
coefficient for that sex (erectile dysfunction in women) is accepted and ignored, as in
ClinRisk's code. The input-checking helpers here are shared with :mod:`twin_env.models.qdiabetes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from twin_env.equations.qrisk3 import FLAG_TERMS, qrisk3_risk_percent

SEXES = ("female", "male")


@dataclass(frozen=True)
class Real:
    """A real-valued input allowed in ``[low, high]`` (``[low, high)`` if ``high_open``)."""

    low: float
    high: float
    unit: str = ""
    high_open: bool = False

    def describe(self) -> str:
        close = ")" if self.high_open else "]"
        unit = f" {self.unit}" if self.unit else ""
        return f"a real number in [{self.low:g}, {self.high:g}{close}{unit}"

    def allows(self, x: NDArray[np.float64]) -> NDArray[np.bool_]:
        return (x >= self.low) & ((x < self.high) if self.high_open else (x <= self.high))


@dataclass(frozen=True)
class Code:
    """An integer code input allowed in ``low..high``; ``meaning`` lists the codes."""

    low: int
    high: int
    meaning: str

    def describe(self) -> str:
        return f"an integer code {self.low}-{self.high} ({self.meaning})"


@dataclass(frozen=True)
class Flag:
    """A yes/no input: a bool (Python or NumPy), never 0/1."""

    def describe(self) -> str:
        return "a bool (True/False)"


Spec = Real | Code | Flag
FLAG = Flag()

# Input limits. Age: QRISK3's published validity range, 25-84 in completed years, so real ages
# in [25, 85) are accepted (pass completed years to reproduce ClinRisk's integer-age results
# exactly). Cholesterol/HDL ratio 1-12, systolic BP 70-210 mmHg and Townsend -7 to 11: the input
# limits of ClinRisk's QRISK3 calculator [unverified against ClinRisk's source]. The published
# equation does not clamp BMI, so any physiological value 10-80 kg/m2 is accepted (values far
# outside 20-40 are extrapolation). The sample SD of systolic readings that all lie in 70-210
# mmHg is below 99 mmHg, hence 0-100.
QRISK3_INPUTS: dict[str, Spec] = {
    "age": Real(25, 85, "years", high_open=True),
    "ethnicity": Code(
        0,
        9,
        "1 White or not stated (0 is treated as 1), 2 Indian, 3 Pakistani, 4 Bangladeshi, "
        "5 Other Asian, 6 Black Caribbean, 7 Black African, 8 Chinese, 9 Other",
    ),
    "smoking": Code(0, 4, "0 non, 1 ex, 2 light <10/day, 3 moderate 10-19, 4 heavy 20+"),
    "bmi": Real(10, 80, "kg/m2"),
    "chol_hdl_ratio": Real(1, 12),
    "sbp": Real(70, 210, "mmHg"),
    "sbp_sd": Real(0, 100, "mmHg"),
    "townsend": Real(-7, 11),
    **{name: FLAG for name in FLAG_TERMS},
}


def _reject(name: str, allowed: str, values: NDArray, bad: NDArray[np.bool_]) -> None:
    """Raise the ValueError for the first value of ``values`` flagged in ``bad``, if any."""
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if values.ndim else ()
    value = values[index].item() if values.dtype != object else values[index]
    at = f" at index {index[0] if len(index) == 1 else index}" if index else ""
    raise ValueError(f"{name} must be {allowed}; got {value!r}{at}")


def _check_sex(sex: object) -> NDArray[np.bool_]:
    """Return ``female`` (bool array) for ``sex`` given as "female"/"male" strings."""
    values = np.asarray(sex)
    allowed = "'female' or 'male'"
    if values.dtype.kind not in "UO":
        _reject("sex", allowed, values, np.ones(values.shape, dtype=bool))
    female, male = values == SEXES[0], values == SEXES[1]
    _reject("sex", allowed, values, ~(female | male))
    return np.asarray(female, dtype=bool)


def _check(name: str, spec: Spec, value: object) -> NDArray:
    """Check one input against its spec; return it as an array of the kernel's dtype."""
    values = np.asarray(value)
    kind = values.dtype.kind
    if isinstance(spec, Flag):
        _reject(name, spec.describe(), values, np.full(values.shape, kind != "b"))
        return values
    if isinstance(spec, Code):
        _reject(name, spec.describe(), values, np.full(values.shape, kind not in "iu"))
        _reject(name, spec.describe(), values, (values < spec.low) | (values > spec.high))
        return values.astype(np.intp)
    _reject(name, spec.describe(), values, np.full(values.shape, kind not in "iuf"))
    values = values.astype(np.float64)
    _reject(name, spec.describe(), values, ~spec.allows(values))  # NaN fails too
    return values


def check_inputs(
    sex: object,
    values: Mapping[str, object],
    specs: Mapping[str, Spec],
    *,
    array_function: str | None = None,
) -> tuple[dict[str, NDArray], tuple[int, ...]]:
    """Validate ``sex`` and ``values`` against ``specs``.

    Returns the kernel keyword arguments (``female`` plus every checked input) as contiguous
    1-D arrays of equal length, and the broadcast shape to give the result. If
    ``array_function`` is named, every input must be a scalar (the error points there for
    arrays). Scalar and array APIs score the same 1-D layout, so their numbers are identical.
    """
    if array_function:
        for name, value in {"sex": sex, **values}.items():
            if np.ndim(value) != 0:
                raise ValueError(f"{name} must be a scalar; use {array_function} for arrays")
    checked = {"female": _check_sex(sex)}
    checked |= {name: _check(name, specs[name], value) for name, value in values.items()}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in checked.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in checked.items() if a.ndim)
        raise ValueError(f"input shapes do not broadcast together: {shapes}") from None
    flat = {name: np.broadcast_to(a, shape).ravel() for name, a in checked.items()}
    return flat, shape


def qrisk3_score_array(
    *,
    sex: ArrayLike,
    age: ArrayLike,
    ethnicity: ArrayLike,
    smoking: ArrayLike,
    bmi: ArrayLike,
    chol_hdl_ratio: ArrayLike,
    sbp: ArrayLike,
    sbp_sd: ArrayLike,
    townsend: ArrayLike,
    atrial_fibrillation: ArrayLike = False,
    atypical_antipsychotics: ArrayLike = False,
    corticosteroids: ArrayLike = False,
    erectile_dysfunction: ArrayLike = False,
    migraine: ArrayLike = False,
    rheumatoid_arthritis: ArrayLike = False,
    ckd_3_5: ArrayLike = False,
    severe_mental_illness: ArrayLike = False,
    sle: ArrayLike = False,
    treated_hypertension: ArrayLike = False,
    type1_diabetes: ArrayLike = False,
    type2_diabetes: ArrayLike = False,
    family_history_cvd: ArrayLike = False,
) -> NDArray[np.float64]:
    """QRISK3-2017 10-year CVD risk in percent for arrays of people.

    Same arguments as :func:`qrisk3_score`, each a scalar or an array; ``sex`` is an array of
    "female"/"male" strings. All broadcast together; returns float64 of the broadcast shape,
    identical to :func:`qrisk3_score` element by element. Raises ``ValueError`` on the first
    invalid input, naming it, its allowed values and the offending index.
    """
    values = {name: value for name, value in locals().items() if name != "sex"}
    inputs, shape = check_inputs(sex, values, QRISK3_INPUTS)
    return qrisk3_risk_percent(**inputs).reshape(shape)


def qrisk3_score(
    *,
    sex: str,
    age: float,
    ethnicity: int,
    smoking: int,
    bmi: float,
    chol_hdl_ratio: float,
    sbp: float,
    sbp_sd: float,
    townsend: float,
    atrial_fibrillation: bool = False,
    atypical_antipsychotics: bool = False,
    corticosteroids: bool = False,
    erectile_dysfunction: bool = False,
    migraine: bool = False,
    rheumatoid_arthritis: bool = False,
    ckd_3_5: bool = False,
    severe_mental_illness: bool = False,
    sle: bool = False,
    treated_hypertension: bool = False,
    type1_diabetes: bool = False,
    type2_diabetes: bool = False,
    family_history_cvd: bool = False,
) -> float:
    """QRISK3-2017 10-year risk of CVD (CHD, ischaemic stroke, TIA) in percent.

    ``sex`` is "female" or "male"; ``age`` in years, 25 to under 85; ``ethnicity`` code 0-9
    (0 scored as 1); ``smoking`` code 0-4; ``bmi`` kg/m2; ``chol_hdl_ratio`` total/HDL
    cholesterol; ``sbp`` systolic blood pressure and ``sbp_sd`` the SD of at least two recent
    systolic readings, mmHg; ``townsend`` deprivation score; flags are bools. Limits are in
    :data:`QRISK3_INPUTS`; a bad input raises ``ValueError``. Display the result with
    :data:`twin_env.models.disclaimer.CLINRISK_DISCLAIMER`.
    """
    values = {name: value for name, value in locals().items() if name != "sex"}
    inputs, _ = check_inputs(sex, values, QRISK3_INPUTS, array_function="qrisk3_score_array")
    return float(qrisk3_risk_percent(**inputs)[0])
