"""Whether a patient brings symptoms that suggest heart failure (breathlessness, ankle swelling) to the GP.

People with heart failure present at ``heart_failure_symptom_presentation_rate_per_year``, others (whose
breathlessness has other causes) at ``breathlessness_presentation_rate_per_year``; figures and sources in
``twin_env/data/heart_failure_signs_parameters.csv``. This is the patient's side: whether the GP then
suspects heart failure and what is measured is care's.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.natriuretic_peptide import PARAMETERS
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import PatientState
from twin_env.vocab.dates import DAYS_PER_YEAR


def presents(
    state: PatientState,
    rows: np.ndarray,
    counter: np.ndarray,
    span_days: np.ndarray,
    params: Mapping[str, float] = PARAMETERS,
) -> np.ndarray:
    """(k,) bool: ``rows`` (k,) bring such symptoms to the GP within the step of ``span_days`` (k,) days.

    ``counter`` (k,) is the step's random-stream counter of each row.
    """
    rows = np.asarray(rows, dtype=np.intp)
    rate = np.where(
        state.heart_failure[rows],
        params["heart_failure_symptom_presentation_rate_per_year"],
        params["breathlessness_presentation_rate_per_year"],
    )
    probability = -np.expm1(-rate * np.asarray(span_days, dtype=np.float64) / DAYS_PER_YEAR)
    return rs.uniform(state.patient_key[rows], counter, Channel.HEART_FAILURE_SYMPTOMS) < probability
