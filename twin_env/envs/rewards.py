"""Pluggable reward functions over per-step outcome components (selected by ``EnvConfig.reward``).

Components are the step's QALYs and GBP costs at their own time (``info["reward_components"]``); the
economic discount is the MDP's: ``config.discount_per_step`` per step (3.5% a year by default), so
``sum_k gamma**k r_k`` with that gamma is the NICE reference-case discounted NMB, lifetime with the
terminal value (docs/economics.md). The components of every reward sum to it (``qalys*`` keys times the
willingness to pay, less the ``cost_*`` keys, plus ``shaping_gbp`` for a shaped reward, over the scale).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from twin_env.envs.config import EnvConfig

#: A reward function maps components ({name: (N,) array}; QALYs and GBP costs) and the config to (N,) rewards.
RewardFn = Callable[[dict[str, np.ndarray], "EnvConfig"], np.ndarray]
REWARDS: dict[str, RewardFn] = {}
#: Rewards that read the ``shaping_gbp`` component (computed only for them; see :mod:`twin_env.envs.shaping`).
SHAPED_REWARDS: set[str] = set()


def register_reward(name: str, fn: RewardFn, *, shaped: bool = False) -> None:
    """Make ``fn`` selectable as ``EnvConfig(reward=name)``; ``shaped`` if it reads ``c["shaping_gbp"]``."""
    REWARDS[name] = fn
    if shaped:
        SHAPED_REWARDS.add(name)
    else:
        SHAPED_REWARDS.discard(name)


def total_cost_gbp(c: dict[str, np.ndarray]) -> np.ndarray:
    """(N,) NHS and PSS costs (GBP) of the step: every ``cost_*`` component (the terminal value's incl.)."""
    return sum(v for k, v in c.items() if k.startswith("cost_"))


def total_qalys(c: dict[str, np.ndarray]) -> np.ndarray:
    """(N,) QALYs of the step: every ``qalys*`` component (the terminal value's incl.)."""
    return sum(v for k, v in c.items() if k.startswith("qalys"))


def net_monetary_benefit_gbp(c: dict[str, np.ndarray], willingness_to_pay_gbp: float) -> np.ndarray:
    """(N,) QALYs x WTP - NHS costs (GBP) of the step's components."""
    return total_qalys(c) * willingness_to_pay_gbp - total_cost_gbp(c)


def net_monetary_benefit(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """(QALYs x WTP - NHS costs) / reward_scale_gbp."""
    return net_monetary_benefit_gbp(c, config.willingness_to_pay_gbp) / config.reward_scale_gbp


def net_monetary_benefit_shaped(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """NMB plus the potential-based shaping term ``gamma * Phi(s') - Phi(s)`` (GBP), / reward_scale_gbp.

    Same best policy as ``net_monetary_benefit`` for an agent discounting by ``config.shaping_discount``
    (default: the economic ``discount_per_step``); the expected value of a treatment shows in the step it starts.
    """
    return net_monetary_benefit(c, config) + c["shaping_gbp"] / config.reward_scale_gbp


def qalys(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """QALYs accrued this step, the terminal value's included (no costs)."""
    return total_qalys(c)


register_reward("net_monetary_benefit", net_monetary_benefit)
register_reward("net_monetary_benefit_shaped", net_monetary_benefit_shaped, shaped=True)
register_reward("qalys", qalys)
