"""Treatment burden: the regimen a patient takes, and adherence that falls as it grows.

``state.adherence`` is the person's propensity: the fraction of a drug's trial effect they achieve
on one drug taken once a day. The effective adherence to a drug is that propensity times

    m = r ** (n_drugs - 1) * A(f) / A(1)

where ``n_drugs`` is the number of drugs (treatment fields) taken, ``r`` =
``adherence_multiplier_per_extra_drug`` (Bangalore 2007: a separate pill raises non-compliance by
1 / 0.74), ``f`` the drug's daily dose-times at its dose (``vocab.drugs`` regimen, BNF) and
``A(f)`` Claxton 2001's fraction of doses taken at ``f`` a day (``adherence_multiplier_<f>_per_day``
= A(f) / A(1); 4 or more a day use the 4-a-day figure). ``m`` is 1 for one once-daily drug.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import TREATMENT_FIELDS, PatientState
from twin_env.vocab.drugs import DRUG_FOR_FIELD

MAX_DOSES_PER_DAY = 4  # Claxton's most frequent regimen; more frequent ones use its figure


def _steps(field: str) -> tuple[np.ndarray, np.ndarray]:
    regimen = DRUG_FOR_FIELD[field].regimen
    return np.array([up_to for up_to, _ in regimen]), np.array([times for _, times in regimen], dtype=np.float64)


#: Treatment field -> (up_to_dose (k,), doses_per_day (k,)) of the drug prescribed for it.
REGIMEN_STEPS: dict[str, tuple[np.ndarray, np.ndarray]] = {field: _steps(field) for field in TREATMENT_FIELDS}


def _once_daily_up_to(field: str) -> float:
    """The largest dose (field value) taken once a day: inf if every dose is; regimens grow with dose."""
    up_to, times = REGIMEN_STEPS[field]
    if (times == 1).all():
        return np.inf
    if times[0] != 1 or (np.diff(times) < 0).any():
        raise ValueError(f"regimen of {DRUG_FOR_FIELD[field].name}: doses per day must start at 1 and not fall")
    return float(up_to[times == 1].max())


#: Treatment field -> the largest field value taken once a day (inf: every dose).
ONCE_DAILY_UP_TO: dict[str, float] = {field: _once_daily_up_to(field) for field in TREATMENT_FIELDS}


def daily_dose_times(state: PatientState, field: str) -> np.ndarray:
    """(N,) times a day the drug in treatment ``field`` is taken at each patient's dose (0 if not taken).

    A field whose drug has one regimen for every dose (all but metformin and gliclazide) is not
    looked up by value, so a field that is not a dose (the statin's LDL-C reduction) works too.
    """
    value = state.columns[field]
    up_to, times = REGIMEN_STEPS[field]
    if (times == times[0]).all():
        return (value > 0) * times[0]
    out = np.zeros(state.n)
    rows = np.flatnonzero(value > 0)  # look up the takers only
    if rows.size:
        out[rows] = times[np.minimum(np.searchsorted(up_to, value[rows], side="left"), len(times) - 1)]
    return out


def drugs_taken(state: PatientState) -> np.ndarray:
    """(N,) uint8: how many treatment fields (drug classes) each patient takes."""
    count = np.zeros(state.n, dtype=np.uint8)
    for field in TREATMENT_FIELDS:
        count += state.columns[field] > 0
    return count


def total_daily_dose_times(state: PatientState) -> np.ndarray:
    """(N,) sum over drugs taken of their daily dose-times (the pill burden; 0 untreated)."""
    total = np.zeros(state.n)
    for field in TREATMENT_FIELDS:
        total += daily_dose_times(state, field)
    return total


def pill_count_factor(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) ``r ** (n_drugs - 1)``: the adherence multiplier for the number of separate drugs (1 for 0 or 1)."""
    count = drugs_taken(state)
    factor = np.ones(state.n)
    rows = np.flatnonzero(count > 1)  # the rest take at most one drug
    if rows.size:
        powers = params["adherence_multiplier_per_extra_drug"] ** np.arange(len(TREATMENT_FIELDS))
        factor[rows] = powers.take(count[rows] - 1)
    return factor


def frequency_factor(state: PatientState, params: TwinParameters, field: str) -> np.ndarray:
    """(N,) ``A(f) / A(1)`` for the drug in ``field`` at each patient's dose (1 where once a day or not taken)."""
    factor = np.ones(state.n)
    once_daily_up_to = ONCE_DAILY_UP_TO[field]
    if once_daily_up_to == np.inf:
        return factor
    value = state.columns[field]
    rows = np.flatnonzero(value > once_daily_up_to)  # look up the more-than-once-daily only
    if rows.size:
        table = np.array(
            [1.0, 1.0, *(params[f"adherence_multiplier_{f}_per_day"] for f in range(2, MAX_DOSES_PER_DAY + 1))]
        )
        up_to, times = REGIMEN_STEPS[field]
        step = np.minimum(np.searchsorted(up_to, value[rows], side="left"), len(times) - 1)
        factor[rows] = table.take(np.minimum(times[step], MAX_DOSES_PER_DAY).astype(np.intp))
    return factor


def effective_adherence(state: PatientState, params: TwinParameters, field: str) -> np.ndarray:
    """(N,) fraction of the trial effect of the drug in ``field`` achieved: propensity x pill count x frequency."""
    return state.adherence * pill_count_factor(state, params) * frequency_factor(state, params, field)
