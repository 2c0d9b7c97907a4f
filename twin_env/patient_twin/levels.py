"""A candidate's latent levels on the dates of a record's readings, by the twin's own model.

On a date ``years`` before ``as_of`` a candidate is the twin at that age: HbA1c, eGFR and ACR run back by
:func:`twin_env.twin.glycaemia.progress` with ``dt = -years`` (one step at today's rates), BP, BMI and
cholesterol follow from the fixed offsets around the age/sex means
(:func:`twin_env.twin.population.update_age_dependent_levels`), and the current levels take the
treatment effects (:func:`twin_env.twin.treatment_effects.apply_treatment_effects`) of the record's
medicines taken on that date, at the candidate's adherence.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from twin_env.patient_twin.prior import doses_on
from twin_env.patient_twin.record import PatientRecord
from twin_env.twin import glycaemia
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import update_age_dependent_levels
from twin_env.twin.state import PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects


def state_on(state: PatientState, record: PatientRecord, date: dt.date, params: TwinParameters) -> PatientState:
    """A copy of ``state`` (candidates at ``record.as_of``) as the twin had it on ``date`` (on or before as_of)."""
    then = state.copy()
    years_back = (record.as_of - date).days / 365.25
    if years_back > 0:
        then.age_years = state.age_years - years_back
        glycaemia.progress(then, params, -years_back)
    update_age_dependent_levels(then, params)
    for field, value in doses_on(record, date).items():
        then.columns[field][:] = value
    apply_treatment_effects(then, params)
    return then


def levels_on(
    state: PatientState,
    record: PatientRecord,
    dates: list[dt.date],
    variables: tuple[str, ...],
    params: TwinParameters,
) -> dict[str, np.ndarray]:
    """``{variable: (n, len(dates)) levels}`` of the candidates on each date (the state field of that name)."""
    out = {v: np.empty((state.n, len(dates))) for v in variables}
    for k, date in enumerate(dates):
        then = state_on(state, record, date, params)
        for v in variables:
            out[v][:, k] = then.columns[v]
    return out
