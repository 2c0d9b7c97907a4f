"""Potential-based reward shaping from the twin's cardiovascular hazards (Ng, Harada & Russell 1999).

Treatment pays off years later, through fewer events; a reward of realised QALYs and costs
shows the agent that only through rare, noisy events. The shaped reward adds
``F = gamma * Phi(s') - Phi(s)`` with the potential

    Phi(s, t) = -V * h(s) * A(t),

``h`` the patient's current annual hazard (the twin's, treatment effects included) of MI,
angina, stroke, TIA and first heart failure, ``V`` the value lost per event
(``shaping_value_per_cvd_event_gbp`` in ``env_parameters.csv``) and ``A(t)`` the discounted
years left in the episode, ``dt * (1 - gamma**k) / (1 - gamma)`` for ``k`` steps left, with
``gamma = config.shaping_discount``: by default the economic discount per step (``discount_per_step``,
3.5% a year), the MDP's own discount, so potential and return discount alike; a training set-up whose
agent discounts by another gamma sets ``shaping_gamma`` to it (Ng et al. need the agent's gamma). ``Phi`` is
0 once the patient has died or the horizon is reached, so over any episode the shaping terms sum
to ``-Phi(s_0)``, which no action changes: the discounted return of every policy moves by the same
amount and the best policy stays the best. Starting a statin or an antihypertensive lowers ``h``
at once, so the agent sees the expected benefit in the step it acts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin_env.twin.events import EventKind
from twin_env.twin.simulator import TwinSimulator
from twin_env.twin.state import PatientState

if TYPE_CHECKING:
    from twin_env.envs.config import EnvConfig

#: Events whose hazard makes up the potential.
SHAPED_EVENTS: tuple[EventKind, ...] = (
    EventKind.MYOCARDIAL_INFARCTION,
    EventKind.ANGINA,
    EventKind.STROKE,
    EventKind.TIA,
    EventKind.HEART_FAILURE,
)


def discounted_years_left(steps_done: np.ndarray, config: EnvConfig) -> np.ndarray:
    """(N,) ``A(t)``: discounted years left in the episode after ``steps_done`` (N,) steps (0 at the horizon)."""
    k = np.maximum(config.max_steps - np.asarray(steps_done), 0)
    g = config.shaping_discount
    return config.dt_years * (k if g == 1.0 else (1.0 - g**k) / (1.0 - g))


def cvd_potential_gbp(
    simulator: TwinSimulator, state: PatientState, steps_done: np.ndarray, config: EnvConfig, value_per_event_gbp: float
) -> np.ndarray:
    """(N,) ``Phi`` in GBP (<= 0): minus the value of the CVD events expected in the rest of the episode; 0 if dead."""
    hazard = simulator.current_hazards(state, config.dt_years)[list(SHAPED_EVENTS)].sum(axis=0)
    return -value_per_event_gbp * hazard * discounted_years_left(steps_done, config) * state.alive
