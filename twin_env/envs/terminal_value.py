"""The reward's terminal value at the horizon: the rest of a living patient's life, so the horizon does not
reward deferring harm (method: :mod:`twin_env.twin.economics`, ``lifetime_value.expected_remaining_value``).

The value is at the horizon's time and is paid in the last step's reward, so it is discounted by one
step (``config.discount_per_step``) like every later reward: ``sum_k gamma**k r_k`` is the patient's
lifetime discounted NMB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin_env.twin import lifetime_value
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.simulator import TwinSimulator
from twin_env.twin.state import BP_DRUG_CLASSES, HARM_START_AGE_FIELDS, PatientState
from twin_env.vocab.dates import DAYS_PER_YEAR

if TYPE_CHECKING:
    from twin_env.envs.config import EnvConfig

#: Days one prescription issue lasts (the ``GBP per 28-day issue`` unit of ``env_parameters.csv``).
ISSUE_DAYS = 28.0
#: Ages at a drug's last start: cleared (NaN, "long ago") for the lifelong hazard multiplier.
_START_AGE_FIELDS: tuple[str, ...] = (*HARM_START_AGE_FIELDS, "metformin_started_age_years")


def steady_state(state: PatientState) -> PatientState:
    """A copy of ``state`` with every drug start long ago: no transient harm hazards of the weeks after a start.

    The terminal value holds the hazard multiplier for life; a start's raised risk lasts weeks, so it is left out.
    """
    steady = state.copy()
    for field in _START_AGE_FIELDS:
        steady.columns[field][:] = np.nan
    return steady


def annual_drug_cost_gbp(state: PatientState, env_parameters: dict[str, float]) -> np.ndarray:
    """(N,) cost per year (GBP) of the drugs each patient takes now, at the care costs' issue prices.

    Gliclazide has no issue cost in the care costs and none here.
    """
    e, issues_per_year = env_parameters, DAYS_PER_YEAR / ISSUE_DAYS
    bp_drugs = sum((state.columns[f"dose_{name}"] > 0).astype(np.float64) for name in BP_DRUG_CLASSES)
    per_issue = (
        bp_drugs * e["cost_issue_bp_drug_gbp"]
        + (state.statin_ldl_reduction > 0) * e["cost_issue_atorvastatin_gbp"]
        + (state.metformin_mg_day > 0) * e["cost_issue_metformin_gbp"]
        + (state.sglt2 > 0) * e["cost_issue_dapagliflozin_gbp"]
    )
    return per_issue * issues_per_year


def terminal_components(
    simulator: TwinSimulator,
    state: PatientState,
    params: TwinParameters,
    rows: np.ndarray,
    config: EnvConfig,
    env_parameters: dict[str, float],
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) ``qalys_terminal`` and ``cost_terminal_gbp`` (GBP) of the step: nonzero only on ``rows`` (bool (N,)).

    Rows that are dead get 0 (their loss is the life not lived).
    """
    qalys, cost = np.zeros(state.n), np.zeros(state.n)
    index = np.flatnonzero(rows & state.alive)
    if index.size:
        sub = state.take(index)
        hazards = simulator.current_hazards(steady_state(sub), config.dt_years)
        q, c = lifetime_value.expected_remaining_value(
            sub, params, hazards, annual_drug_cost_gbp(sub, env_parameters), config.discount_rate_per_year
        )
        qalys[index], cost[index] = config.discount_per_step * q, config.discount_per_step * c
    return qalys, cost
