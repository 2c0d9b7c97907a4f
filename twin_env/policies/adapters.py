"""Connect batched policies to the envs: inputs from a single, vector or SB3 env, and a reason wrapper.

Policies read what the env exposes: the observation, the action mask and the GP-record context
of the env's own actions (``RecordContext``, reached through ``env.unwrapped``), never the twin.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from twin_env.envs.core import Batch
from twin_env.envs.primary_care_env import PrimaryCareEnv
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.policies.base import Policy, PolicyInput


def _batch(env: Any) -> Batch:
    """The env's batch core: PrimaryCareEnv (possibly wrapped), PrimaryCareVectorEnv or PrimaryCareSB3VecEnv."""
    inner = getattr(env, "venv", env)  # SB3 adapter -> native vector env
    inner = getattr(inner, "unwrapped", inner)  # through gym and vector wrappers (e.g. a shield)
    if not isinstance(inner, PrimaryCareEnv | PrimaryCareVectorEnv):
        raise TypeError(f"need a PrimaryCare env, vector env or SB3 adapter, got {type(env).__name__}")
    return inner.batch


def policy_inputs(env: Any, observation: dict[str, np.ndarray]) -> PolicyInput:
    """A :class:`PolicyInput` for every row of ``env`` (a single env gives a batch of one)."""
    b = _batch(env)
    batched = {k: np.asarray(v).reshape(b.n, -1) for k, v in observation.items()}
    return PolicyInput(batched, b.masks(), b.context(), b.patient_index(np.arange(b.n)), b.config.dt_years)


class PolicyReasonWrapper(gym.Wrapper):
    """Single-env wrapper: :meth:`policy_action` asks the policy, :meth:`step` adds ``info["policy_reason"]``.

    Example::

        env = PolicyReasonWrapper(gym.make("twin_env/PrimaryCare-v0"), NiceGuidelinePolicy())
        obs, info = env.reset(seed=0)
        obs, reward, terminated, truncated, info = env.step(env.policy_action(obs))
        info["policy_reason"]  # e.g. "NG136 1.4 step 1: CCB (55+ or Black African/Caribbean, no T2DM)"
    """

    def __init__(self, env: gym.Env, policy: Policy) -> None:
        super().__init__(env)
        self.policy = policy
        self._reason = ""

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self.policy.reset(kwargs.get("seed"))
        self._reason = ""
        return self.env.reset(**kwargs)

    def policy_action(self, observation: dict[str, np.ndarray]) -> int:
        actions, reasons = self.policy.act(policy_inputs(self.env, observation))
        self._reason = reasons[0]
        return int(actions[0])

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info["policy_reason"] = self._reason
        return obs, reward, terminated, truncated, info
