"""Risk factors that move over follow-up: smoking starts and stops, BMI drifts.

(Scaffold: filled by the medicine issue's risk-factor work.)
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


def progress(state: PatientState, params: TwinParameters, keys: np.ndarray, counter: np.ndarray, dt: float) -> None:
    """Advance smoking and BMI of the living patients by ``dt`` years, in place."""
