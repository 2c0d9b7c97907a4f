"""Pluggable reward functions over per-step outcome components (selected by ``EnvConfig.reward``)."""

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
    return sum(v for k, v in c.items() if k.startswith("cost_"))


def net_monetary_benefit(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """(QALYs x WTP - NHS costs) / reward_scale_gbp."""
    return (c["qalys"] * config.willingness_to_pay_gbp - total_cost_gbp(c)) / config.reward_scale_gbp


def net_monetary_benefit_shaped(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """NMB plus the potential-based shaping term ``gamma * Phi(s') - Phi(s)`` (GBP), / reward_scale_gbp.

    Same best policy as ``net_monetary_benefit`` for an agent discounting by ``config.shaping_gamma``;
    the expected value of a treatment shows in the step it starts.
    """
    return net_monetary_benefit(c, config) + c["shaping_gbp"] / config.reward_scale_gbp


def qalys(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """QALYs accrued this step (no costs)."""
    return c["qalys"]


register_reward("net_monetary_benefit", net_monetary_benefit)
register_reward("net_monetary_benefit_shaped", net_monetary_benefit_shaped, shaped=True)
register_reward("qalys", qalys)
