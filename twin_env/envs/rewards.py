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


def register_reward(name: str, fn: RewardFn) -> None:
    """Make ``fn`` selectable as ``EnvConfig(reward=name)``."""
    REWARDS[name] = fn


def total_cost_gbp(c: dict[str, np.ndarray]) -> np.ndarray:
    return sum(v for k, v in c.items() if k.startswith("cost_"))


def net_monetary_benefit(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """(QALYs x WTP - NHS costs) / reward_scale_gbp."""
    return (c["qalys"] * config.willingness_to_pay_gbp - total_cost_gbp(c)) / config.reward_scale_gbp


def qalys(c: dict[str, np.ndarray], config: EnvConfig) -> np.ndarray:
    """QALYs accrued this step (no costs)."""
    return c["qalys"]


register_reward("net_monetary_benefit", net_monetary_benefit)
register_reward("qalys", qalys)
