"""The ``info`` schema: one set of keys at ``reset`` and at every ``step`` (what Minari's DataCollector needs).

Single env (:class:`~twin_env.envs.primary_care_env.PrimaryCareEnv`), same keys and value types at reset
and step:

- ``action_mask``: (n_actions,) bool (36 on v1, 20 on v0), the actions that make sense now (from the record).
- ``patient_index``: int, the population index of this episode's patient.
- ``date``: str, ISO date of the record now (``YYYY-MM-DD``).
- ``reward_components``: dict of float, one per :data:`REWARD_COMPONENTS` (plus ``shaping_gbp`` for a
  shaped reward); QALYs and GBP for the step just taken, all 0.0 at reset; ``qalys_terminal`` and
  ``cost_terminal_gbp`` are the terminal value at the horizon (0.0 in every other step).
- ``action_executed``: bool, whether the step's action was carried out (a masked action is not); False at reset.
- ``model_outputs``: list of dict, the model runs of the step (audit entries); [] at reset. The one
  variable-length value: the Minari recorder stores it as JSON text.

The vector env has the same keys with a leading ``num_envs`` axis ((N, n_actions) bool, (N,) int, (N,) float
per component, (N,) bool) and no ``date``; ``model_outputs`` is one list for the batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin_env.envs.config import EnvConfig
from twin_env.envs.rewards import SHAPED_REWARDS

#: Reward component names every step reports (QALYs, GBP costs), in order.
REWARD_COMPONENTS: tuple[str, ...] = (
    "qalys",
    "qalys_terminal",
    "cost_terminal_gbp",
    "cost_events_gbp",
    "cost_harms_gbp",
    "cost_chronic_gbp",
    "cost_consultations_gbp",
    "cost_tests_gbp",
    "cost_drugs_gbp",
    "cost_referrals_gbp",
)
#: The keys of every single-env info, at reset and at step.
INFO_KEYS: tuple[str, ...] = (
    "action_mask",
    "patient_index",
    "date",
    "reward_components",
    "action_executed",
    "model_outputs",
)


def component_names(config: EnvConfig) -> tuple[str, ...]:
    """The reward components a step reports under ``config`` (``shaping_gbp`` added for a shaped reward)."""
    return REWARD_COMPONENTS + (("shaping_gbp",) if config.reward in SHAPED_REWARDS else ())


def zero_components(config: EnvConfig, num_envs: int | None = None) -> dict[str, Any]:
    """Reset-time ``reward_components``: 0.0 per component (float, or (num_envs,) float64 zeros)."""
    if num_envs is None:
        return dict.fromkeys(component_names(config), 0.0)
    return {k: np.zeros(num_envs) for k in component_names(config)}
