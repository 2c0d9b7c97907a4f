"""The likelihood of a record given a candidate latent state, as the twin's care and record layers write it.

Readings (the care layer's measurement model, :mod:`twin_env.care.measurements`, :mod:`twin_env.care.home_bp`,
:mod:`twin_env.care.pathology`, with the same parameters):

- clinic BP (setting ``clinic`` or ``unknown``): usual BP + (the patient's white-coat effect - its population
  mean) + visit-to-visit deviation (SD ``sbp_visit_sd_mmhg``, DBP ``dbp_visit_sd_ratio`` times it) + reading
  error (``bp_measurement_sd_mmhg``); independent between visits given the patient;
- home and ambulatory BP: usual BP - the population's mean white-coat effect + day-to-day deviation
  (``home_bp_day_sd_mmhg``, DBP ``dbp_visit_sd_ratio`` times it);
- BMI: + ``bmi_measurement_sd_kg_m2``; laboratory values: true value x (1 + analytic CV x z);
- BMI (and SBP, DBP through it) drifts: a reading years before ``as_of`` adds the variance of the twin's BMI
  random walk over that span (:func:`bmi_walk_variance`);
- the record layer's artefacts (:mod:`twin_env.record.artefacts`, ``record_artefacts.csv``): transcription
  errors as a mixture (:func:`reading_loglik`), duplicated laboratory results counted once;
- urine ACR and potassium are laboratory values too (ACR run back with eGFR and HbA1c; potassium from its
  base, the eGFR and the drugs on the day); every laboratory result adds the variance of its rounding to 0.1;
- an acute admission's bloods: an eGFR taken at an acute kidney injury, or a potassium at a hyperkalaemia
  admission, is on the GP record too; each such result is a mixture with the care layer's admission model
  (:func:`acute_admission_logpdf`) at ``<variable>_acute_admission_probability`` (``patient_twin_parameters.csv``).

Coded conditions: a present condition is coded with the twin's baseline diagnosed probability times (1 - the
record layer's ``gp_diagnosis_uncoded_probability``), an absent one with ``coded_condition_false_positive_probability``
(``patient_twin_parameters.csv``), each kept inside [that, 1 - that].
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.patient_twin.record import PatientRecord
from twin_env.record.artefacts import ArtefactConfig
from twin_env.record.systems.gp import BP_SLIP_MMHG
from twin_env.twin.baseline_conditions import diagnosed_probability
from twin_env.twin.parameters import TwinParameters, read_scalars
from twin_env.twin.state import CONDITIONS, PatientState

#: Laboratory variables and the care parameter of their analytic CV (as :mod:`twin_env.vocab.panels`).
LAB_CV: dict[str, str] = {
    "hba1c_mmol_mol": "analytic_cv_hba1c",
    "total_chol_mmol_l": "analytic_cv_total_cholesterol",
    "hdl_mmol_l": "analytic_cv_hdl_cholesterol",
    "ldl_mmol_l": "analytic_cv_ldl_cholesterol",
    "egfr_ml_min_1_73m2": "analytic_cv_egfr",
    "acr_mg_mmol": "analytic_cv_urine_acr",
    "potassium_mmol_l": "analytic_cv_potassium",
}
#: Variance (unit^2) of a laboratory result's rounding: the care layer files results to one decimal place
#: (:func:`twin_env.care.pathology.take_sample`), uniform error over 0.1 wide (matters for an ACR of 0.3).
_ROUNDING_VARIANCE = 0.1**2 / 12.0
#: Variables whose readings the likelihood weighs.
WEIGHED_VARIABLES: tuple[str, ...] = ("sbp_mmhg", "dbp_mmhg", "bmi_kg_m2", *LAB_CV)
_HOME_SETTINGS = ("home", "ambulatory")
#: Two equal results of one laboratory variable this close (days) are taken as the record's duplicate (the
#: record layer files a duplicate a lognormal delay later, median ``duplicate_delay_median_days``).
DUPLICATE_WINDOW_DAYS = 90
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


@functools.cache
def false_positive_probability() -> float:
    """``coded_condition_false_positive_probability`` of ``patient_twin_parameters.csv``."""
    return read_scalars("patient_twin_parameters.csv")["coded_condition_false_positive_probability"]


@dataclasses.dataclass(frozen=True)
class Readings:
    """One weighed variable's readings: values (J,), dates (J,), index of each date in ``dates`` (J,), clinic (J,)."""

    variable: str
    values: np.ndarray
    date_index: np.ndarray
    clinic: np.ndarray
    years_before: np.ndarray


def _without_duplicates(ms: list) -> list:
    """Laboratory readings less the record's duplicates: a result filed again later (same value within
    :data:`DUPLICATE_WINDOW_DAYS`) counts once."""
    kept: list = []
    for m in ms:
        if m.variable in LAB_CV and any(
            k.variable == m.variable and k.value == m.value and 0 <= (m.date - k.date).days <= DUPLICATE_WINDOW_DAYS
            for k in kept
        ):
            continue
        kept.append(m)
    return kept


def gather_readings(record: PatientRecord) -> tuple[list[dt.date], dict[str, Readings]]:
    """The distinct reading dates (sorted) and the readings of each weighed variable that has any."""
    weighed = _without_duplicates(
        sorted((m for m in record.measurements if m.variable in WEIGHED_VARIABLES), key=lambda m: (m.date, m.value))
    )
    dates = sorted({m.date for m in weighed})
    where = {d: i for i, d in enumerate(dates)}
    out: dict[str, Readings] = {}
    for variable in WEIGHED_VARIABLES:
        ms = sorted((m for m in weighed if m.variable == variable), key=lambda m: (m.date, m.value))
        if ms:
            out[variable] = Readings(
                variable,
                np.array([m.value for m in ms], dtype=np.float64),
                np.array([where[m.date] for m in ms], dtype=np.intp),
                np.array([m.setting not in _HOME_SETTINGS for m in ms]),
                np.array([(record.as_of - m.date).days / 365.25 for m in ms]),
            )
    return dates, out


def reading_moments(
    readings: Readings, levels: np.ndarray, state: PatientState, care: CareParameters, twin: TwinParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD (n, J) of each reading given the candidates' levels (n, D) on the reading dates."""
    level = levels[:, readings.date_index]
    v, clinic = readings.variable, readings.clinic
    walk = bmi_walk_variance(readings.years_before, twin)  # (J,) kg2/m4: the BMI offset then vs now
    if v in ("sbp_mmhg", "dbp_mmhg"):
        side = "sbp" if v == "sbp_mmhg" else "dbp"
        ratio = 1.0 if side == "sbp" else care["dbp_visit_sd_ratio"]
        mean_wc = twin[f"white_coat_{side}_mean_mmhg"]
        wc = state.columns[f"white_coat_{side}_mmhg"].astype(np.float64)[:, None]
        visit = ratio * state.sbp_visit_sd_mmhg.astype(np.float64)[:, None]
        clinic_var = visit**2 + care["bp_measurement_sd_mmhg"] ** 2
        mean = np.where(clinic, level + wc - mean_wc, level - mean_wc)
        var = np.where(clinic, clinic_var, (ratio * care["home_bp_day_sd_mmhg"]) ** 2)
        slope = twin["sbp_bmi_slope_mmhg_per_kg_m2"] * (twin["dbp_slope_per_sbp_mmhg"] if side == "dbp" else 1.0)
        return mean, np.sqrt(var + slope**2 * walk)
    if v == "bmi_kg_m2":
        return level, np.broadcast_to(np.sqrt(care["bmi_measurement_sd_kg_m2"] ** 2 + walk), level.shape)
    return level, np.sqrt((care[LAB_CV[v]] * level) ** 2 + _ROUNDING_VARIANCE)


def bmi_walk_variance(years_before: np.ndarray, twin: TwinParameters) -> np.ndarray:
    """Variance (J,) of a BMI offset ``years_before`` (J,) years ago given today's, under the twin's
    Ornstein-Uhlenbeck walk (:mod:`twin_env.twin.risk_factors`): sd^2 (1 - rho^2), rho = exp(-r years)."""
    sd = twin["bmi_between_person_sd_kg_m2"]
    reversion_per_year = -np.log1p(-(twin["bmi_annual_change_sd_kg_m2"] ** 2) / (2.0 * sd**2))
    return sd**2 * -np.expm1(-2.0 * reversion_per_year * years_before)


def _normal_logpdf(values: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    z = (values - mean) / sd
    return -0.5 * z**2 - np.log(sd) - _LOG_SQRT_2PI


def reading_loglik(
    readings: Readings, mean: np.ndarray, sd: np.ndarray, artefacts: ArtefactConfig | None = None
) -> np.ndarray:
    """Log likelihood (n,) of the readings given their means and SDs (n, J), with the record layer's
    transcription errors as a mixture (:mod:`twin_env.record.systems`): a clinic BP slipped by
    ``BP_SLIP_MMHG`` up or down, a home reading off by ``home_device_error_mmhg``, a laboratory value
    shifted one decimal place; BMI is recorded as measured; an acute admission's eGFR or potassium."""
    clean, total = reading_logpdfs(readings, mean, sd, artefacts)
    return total.sum(axis=1)


def clean_probability(readings: Readings, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Probability (n, J) that each reading is a clean measurement (not a slip, nor an acute admission's result)
    given its mean and SD (n, J): the responsibility an outlier-robust Gauss-Newton step weighs it by."""
    clean, total = reading_logpdfs(readings, mean, sd)
    return np.exp(np.minimum(clean - total, 0.0))


def reading_logpdfs(
    readings: Readings, mean: np.ndarray, sd: np.ndarray, artefacts: ArtefactConfig | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Log densities (n, J) of each reading: as a clean measurement (times its prior probability of being
    clean) and under the whole mixture (:func:`reading_loglik`)."""
    a = ArtefactConfig.default() if artefacts is None else artefacts
    y, v = readings.values, readings.variable
    clean = _normal_logpdf(y, mean, sd)
    if v == "bmi_kg_m2":
        return clean, clean
    if v in LAB_CV:
        eps = a.lab_transcription_error_probability
        up, down = _normal_logpdf(y, 10.0 * mean, 10.0 * sd), _normal_logpdf(y, 0.1 * mean, 0.1 * sd)
    else:
        eps = np.where(readings.clinic, a.bp_transcription_error_probability, a.home_device_error_probability)
        shift = np.where(readings.clinic, BP_SLIP_MMHG, a.home_device_error_mmhg)
        up, down = _normal_logpdf(y, mean + shift, sd), _normal_logpdf(y, mean - shift, sd)
    slipped = np.logaddexp(up, down) + np.log(eps / 2.0)
    clean = clean + np.log1p(-eps)
    total = np.logaddexp(clean, slipped)
    acute = acute_admission_logpdf(v, y, mean)
    if acute is not None:
        p_acute = acute_admission_probability(v)
        clean = clean + np.log1p(-p_acute)
        total = np.logaddexp(total + np.log1p(-p_acute), acute + np.log(p_acute))
    return clean, total


@functools.cache
def acute_admission_probability(variable: str) -> float:
    """Probability that one result of ``variable`` on a GP record was taken at an admission for the acute event
    that moves it (eGFR at an acute kidney injury, potassium at hyperkalaemia): ``patient_twin_parameters.csv``."""
    return read_scalars("patient_twin_parameters.csv")[f"{variable}_acute_admission_probability"]


def acute_admission_logpdf(variable: str, y: np.ndarray, level: np.ndarray) -> np.ndarray | None:
    """Log density (n, J) of results ``y`` (J,) taken at an acute admission given the usual levels (n, J), as the
    care layer draws them (:func:`twin_env.care.adverse_events._admission_bloods`), or None for other variables.

    eGFR at an acute kidney injury: level x ratio ** ``egfr_creatinine_exponent``, the creatinine ratio lognormal
    (``aki_creatinine_ratio_median``, ``aki_creatinine_ratio_sigma_log``; its KDIGO floor is not applied, so the
    density is a little wider than the care layer's). Potassium at hyperkalaemia:
    ``hyperkalaemia_admission_potassium_min_mmol_l`` + an exponential excess of mean
    ``hyperkalaemia_admission_potassium_excess_mean_mmol_l``.
    """
    care = CareParameters.default()
    if variable == "egfr_ml_min_1_73m2":
        exponent = care["egfr_creatinine_exponent"]
        mu = exponent * np.log(care["aki_creatinine_ratio_median"])
        sigma = abs(exponent) * care["aki_creatinine_ratio_sigma_log"]
        log_y = np.log(np.maximum(y, 1e-3))
        return _normal_logpdf(log_y, np.log(np.maximum(level, 1e-3)) + mu, np.full(level.shape, sigma)) - log_y
    if variable == "potassium_mmol_l":
        floor = care["hyperkalaemia_admission_potassium_min_mmol_l"]
        mean_excess = care["hyperkalaemia_admission_potassium_excess_mean_mmol_l"]
        excess = np.broadcast_to(y - floor, level.shape)
        return np.where(excess >= 0.0, -excess / mean_excess - np.log(mean_excess), -np.inf)
    return None


def coded_loglik(
    state: PatientState, record: PatientRecord, params: TwinParameters, artefacts: ArtefactConfig | None = None
) -> np.ndarray:
    """Log probability (n,) of which conditions are coded and which not, given each candidate's true conditions:
    a present one is diagnosed with the twin's baseline probability and then left uncoded with the record
    layer's ``gp_diagnosis_uncoded_probability``."""
    fp = false_positive_probability()
    kept = 1.0 - (ArtefactConfig.default() if artefacts is None else artefacts).gp_diagnosis_uncoded_probability
    total = np.zeros(state.n)
    for name in CONDITIONS:
        p_coded = np.clip(kept * diagnosed_probability(name, state, params), fp, 1.0 - fp)
        present = state.columns[name]
        if record.has(name):
            total += np.log(np.where(present, p_coded, fp))
        else:
            total += np.log(np.where(present, 1.0 - p_coded, 1.0 - fp))
    return total
