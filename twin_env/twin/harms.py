"""Adverse effects of treatment as hazards: hypotension and syncope, falls, hip fracture, AKI,
hyperkalaemia, hyponatraemia, gout, ACE-inhibitor cough, CCB oedema, statin muscle symptoms.

(Scaffold: the hazards are added by the medicine issue's harms work.)
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


def add_hazards(state: PatientState, params: TwinParameters, hazards: np.ndarray) -> None:
    """Write the annual hazards of this module's event kinds into ``hazards`` (len(EventKind), N) in place."""


def apply_consequences(
    state: PatientState, kind: np.ndarray, params: TwinParameters, keys: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Consequences in the twin of this step's events ``kind`` (N,) of this module's kinds.

    Returns (N,) int8: the index in ``TREATMENT_FIELDS`` of a drug the event made the patient stop, or -1.
    """
    return np.full(state.n, -1, dtype=np.int8)
