"""A candidate's latent levels on the dates of a record's readings, by the twin's own model run backwards.

The candidates are twins on ``as_of``. Their past is the twin's own dynamics run back date by date, from the
latest reading date to the earliest: between two reading dates HbA1c, eGFR and urine ACR are stepped back by
:func:`twin_env.twin.glycaemia.progress` with a negative ``dt`` at the rates of the later date (its treated
SBP and HbA1c, ACR, RAAS blocker and SGLT2 inhibitor), so a past on fewer drugs (higher SBP) declined faster.
On each date BP, BMI and cholesterol follow from the fixed offsets around the age/sex means
(:func:`twin_env.twin.population.update_age_dependent_levels`), and the levels take the treatment effects
(:func:`twin_env.twin.treatment_effects.apply_treatment_effects`) of the record's medicines taken on that
date, at the candidate's adherence. Potassium follows from its base, the eGFR then and the drugs then.
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

#: Longest step (years) of the backward run between two reading dates: the rates are refreshed at least yearly.
MAX_STEP_YEARS = 1.0


def _set_date(then: PatientState, record: PatientRecord, date: dt.date, params: TwinParameters) -> None:
    """Levels and treatment effects of ``then`` (already aged to ``date``) with the record's medicines that day."""
    update_age_dependent_levels(then, params)
    for field, value in doses_on(record, date).items():
        then.columns[field][:] = value
    apply_treatment_effects(then, params)


def levels_on(
    state: PatientState,
    record: PatientRecord,
    dates: list[dt.date],
    variables: tuple[str, ...],
    params: TwinParameters,
) -> dict[str, np.ndarray]:
    """``{variable: (n, len(dates)) levels}`` of the candidates (n rows on ``record.as_of``) on each date (on or
    before as_of; any order), the state field of that name; ``state`` is not changed."""
    out = {v: np.empty((state.n, len(dates))) for v in variables}
    then = state.copy()
    _set_date(then, record, record.as_of, params)
    years_now = 0.0
    for k in sorted(range(len(dates)), key=lambda i: dates[i], reverse=True):
        years_back = (record.as_of - dates[k]).days / 365.25
        while years_now < years_back:
            reached = min(years_back, years_now + MAX_STEP_YEARS)
            glycaemia.progress(then, params, years_now - reached)  # back, at the rates of the later date
            years_now = reached
            then.age_years = state.age_years - years_now
            on = dates[k] if reached == years_back else record.as_of - dt.timedelta(days=round(reached * 365.25))
            _set_date(then, record, on, params)
        for v in variables:
            out[v][:, k] = then.columns[v]
    return out
