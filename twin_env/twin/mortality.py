"""Death: the ONS life table split into causes the twin models and the rest.

(Scaffold: cause-specific deaths are added by the medicine issue's mortality work.)
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.events import EventKind
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


def add_hazards(state: PatientState, params: TwinParameters, hazards: np.ndarray) -> None:
    """Write the annual death hazards into ``hazards`` (len(EventKind), N) in place.

    Non-CVD death: the ONS life-table hazard times (1 - the CVD share of deaths at that age); death
    from established heart failure at a fixed excess rate.
    """
    age = state.age_years
    life = params.life_table.annual_hazard(age, state.female)
    hazards[EventKind.DEATH_NON_CVD] = life * (1.0 - params.cvd_death_fraction(age))
    hazards[EventKind.DEATH_HEART_FAILURE] = state.heart_failure * params["heart_failure_excess_death_rate_per_year"]
