"""Cost-signal wrappers for safe RL: the Safety-Gymnasium 6-tuple and a Lagrangian reward penalty."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import RecordConstructorArgs
from gymnasium.vector import VectorEnv, VectorWrapper


class CostTuple(gym.Wrapper):
    """``step`` returns ``(obs, reward, cost, terminated, truncated, info)`` with ``cost = info["cost"]``.

    For safe-RL libraries (Safety-Gymnasium convention); not a Gymnasium-API env any more.
    """

    def step(self, action: Any) -> tuple[Any, float, float, bool, bool, dict[str, Any]]:  # type: ignore[override]
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, float(info["cost"]), terminated, truncated, info


class LagrangianReward(gym.Wrapper, RecordConstructorArgs):
    """Reward ``r - lagrange_multiplier * cost`` (``info["reward_unpenalised"]`` keeps ``r``).

    :class:`twin_env.envs.wrappers.lagrangian.LagrangeCallback` updates the multiplier during SB3 training.
    """

    def __init__(self, env: gym.Env, lagrange_multiplier: float = 0.0) -> None:
        RecordConstructorArgs.__init__(self, lagrange_multiplier=lagrange_multiplier)
        gym.Wrapper.__init__(self, env)
        if not lagrange_multiplier >= 0:
            raise ValueError(f"lagrange_multiplier must be >= 0, got {lagrange_multiplier!r}")
        self.lagrange_multiplier = float(lagrange_multiplier)

    def set_lagrange_multiplier(self, value: float) -> None:
        self.lagrange_multiplier = max(0.0, float(value))

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info["reward_unpenalised"] = reward
        return obs, float(reward - self.lagrange_multiplier * info["cost"]), terminated, truncated, info


class VectorLagrangianReward(VectorWrapper):
    """The vector-env :class:`LagrangianReward`: rewards (N,) ``r - lagrange_multiplier * info["cost"]``.

    Wraps a :class:`~twin_env.envs.wrappers.vector_shield.VectorSafetyShield` (which puts the (N,) ``cost``
    in ``info``); ``info["reward_unpenalised"]`` keeps ``r``. The reward's units: a multiplier of 1
    costs one reward unit (``reward_scale_gbp`` GBP under the NMB rewards) per unit of rule cost.
    """

    def __init__(self, env: VectorEnv, lagrange_multiplier: float = 0.0) -> None:
        super().__init__(env)
        if not lagrange_multiplier >= 0:
            raise ValueError(f"lagrange_multiplier must be >= 0, got {lagrange_multiplier!r}")
        self.lagrange_multiplier = float(lagrange_multiplier)

    def set_lagrange_multiplier(self, value: float) -> None:
        self.lagrange_multiplier = max(0.0, float(value))

    def reset_rows(self, rows: np.ndarray) -> None:
        """Pass an SB3-style row reset on to the shield."""
        self.env.reset_rows(rows)

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(actions)
        info["reward_unpenalised"] = reward
        return obs, reward - self.lagrange_multiplier * info["cost"], terminated, truncated, info
