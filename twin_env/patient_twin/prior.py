"""Candidates from the twin's population prior, given what a record fixes: age, sex, ethnicity, IMD,
current medicines, smoking status and coded risk flags.

The candidates are :func:`twin_env.twin.cohort.sample_population` patients at the record's exact age
on ``as_of`` with the record's sex (and ethnicity and IMD quintile when known), so every latent level,
condition and random draw comes from the twin's own generative model. What the record states outright
is then written into each candidate through the twin's own functions: the latest smoking status
(:func:`twin_env.twin.risk_factors.set_smoking`, which moves the SBP offset), the current medicines
(treatment fields), the coded risk flags, and the start ages of the medicines whose start is known.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from twin_env.patient_twin.record import PatientRecord
from twin_env.twin import glycaemia
from twin_env.twin.cohort import MAX_AGE_YEARS, sample_population
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.risk_factors import set_smoking
from twin_env.twin.state import RISK_FLAGS, TREATMENT_FIELDS, PatientState

#: Start-age fields of twin/harms.py and twin/glycaemia.py set from a prescription's start date.
_START_AGE_FIELDS: dict[str, tuple[str, ...]] = {
    "dose_acei": ("acei_started_age_years", "raas_started_age_years"),
    "dose_arb": ("raas_started_age_years",),
    "dose_ccb": ("ccb_started_age_years",),
    "dose_thiazide": ("thiazide_started_age_years",),
    "statin_ldl_reduction": ("statin_started_age_years",),
    "metformin_mg_day": ("metformin_started_age_years",),
}


def check_age(record: PatientRecord, params: TwinParameters) -> float:
    """The record's age (years) at ``as_of``, else a one-line ``ValueError`` naming the allowed range."""
    age = record.age_years
    low = params["adult_age_years"]
    if not low <= age <= MAX_AGE_YEARS:
        raise ValueError(
            f"record age at as_of {age:.1f} years (birth_date {record.birth_date}, as_of {record.as_of}); "
            f"allowed: {low:g} to {MAX_AGE_YEARS:g} years (the twin models chronic conditions in adults)"
        )
    return age


def age_on(record: PatientRecord, date: dt.date) -> float:
    """Age in years on ``date`` (days since birth / 365.25, as :attr:`PatientRecord.age_years`)."""
    return (date - record.birth_date).days / 365.25


def doses_on(record: PatientRecord, date: dt.date) -> dict[str, float]:
    """Treatment field -> value of the record's medicines taken on ``date`` (started on or before it, or no start
    date), 0 for every other field; the largest value where two prescriptions fill the same field."""
    doses = dict.fromkeys(TREATMENT_FIELDS, 0.0)
    for p in record.prescriptions:
        if p.start is None or p.start <= date:
            doses[p.treatment_field] = max(doses[p.treatment_field], float(p.value))
    return doses


def prior_candidates(record: PatientRecord, n: int, seed: int, params: TwinParameters) -> PatientState:
    """``n`` candidate latent states (n rows) at ``record.as_of`` from the prior, with the record's facts set."""
    age = check_age(record, params)
    given: dict[str, bool | int] = {"female": bool(record.female)}
    if record.ethnicity is not None:
        given["ethnicity"] = int(record.ethnicity)
    if record.imd_quintile is not None:
        given["imd_quintile"] = int(record.imd_quintile)
    state, _ = sample_population(n, seed, min_age=age, max_age=age, config=params, given=given)
    _set_smoking(state, record, params)
    for flag in RISK_FLAGS:
        if record.has(flag):
            state.columns[flag][:] = True
    set_current_medicines(state, record, params)
    return state


def _set_smoking(state: PatientState, record: PatientRecord, params: TwinParameters) -> None:
    """The latest recorded smoking status for every candidate; an ex-smoker the prior did not make one quit a year
    before the status was recorded (or a year ago)."""
    if not record.smoking:
        return
    latest = max(record.smoking, key=lambda s: s.date)
    rows = np.arange(state.n)
    was_ex = state.smoking == 1
    set_smoking(state, rows, np.full(state.n, latest.category, dtype=np.int8), params)
    if latest.category == 1:
        quit_age = min(age_on(record, latest.date), state.age_years[0] - 1.0)
        state.smoking_quit_age_years[~was_ex] = quit_age


def set_current_medicines(state: PatientState, record: PatientRecord, params: TwinParameters) -> None:
    """Treatment fields from the record's medicines on ``as_of``; known start dates give the start ages; the
    sulfonylurea weight gain is its full value on gliclazide (the BMI offset carries it), 0 off it."""
    doses = doses_on(record, record.as_of)
    for field, value in doses.items():
        state.columns[field][:] = value
    for field in (*{f for fields in _START_AGE_FIELDS.values() for f in fields}, "bp_intensified_age_years"):
        state.columns[field][:] = np.nan
    state.bp_intensification_kind = 0
    bp_starts: list[float] = []
    for p in record.prescriptions:
        if p.start is None:
            continue
        start_age = age_on(record, p.start)
        for field in _START_AGE_FIELDS.get(p.treatment_field, ()):
            current = state.columns[field][0]
            state.columns[field][:] = start_age if np.isnan(current) else max(current, start_age)
        if p.treatment_field.startswith("dose_"):
            bp_starts.append(start_age)
    if bp_starts:
        state.bp_intensified_age_years = max(bp_starts)
        state.bp_intensification_kind = 1 if len(bp_starts) == 1 else 2
    gain = np.where(state.gliclazide_mg_day > 0, glycaemia.bmi_gain_kg_m2(params), 0.0).astype(np.float32)
    state.bmi_offset_kg_m2 = state.bmi_offset_kg_m2 + gain - state.bmi_sulfonylurea_gain_kg_m2
    state.bmi_sulfonylurea_gain_kg_m2 = gain
