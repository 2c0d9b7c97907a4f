"""Which of a posterior sample's conditions the GP record already shows: the record's coded problems.

A simulation starts with the conditions diagnosed before it began (:class:`BaselineDiagnoses`); for a
given patient these are the twin conditions coded in the record that the sample has (a sample may also
have conditions the record does not code: undiagnosed, for care to find).
"""

from __future__ import annotations

import numpy as np

from twin_env.patient_twin.record import PatientRecord
from twin_env.twin.baseline_conditions import RECORDED_CONDITIONS, BaselineDiagnoses
from twin_env.twin.state import PatientState


def recorded_diagnoses(record: PatientRecord, state: PatientState) -> BaselineDiagnoses:
    """(N,) per recorded condition: coded in ``record`` and present in the sample (``state``, N rows)."""
    return BaselineDiagnoses(
        {name: np.asarray(state.columns[name], dtype=bool) & record.has(name) for name in RECORDED_CONDITIONS}
    )
