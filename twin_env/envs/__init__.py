"""Gymnasium environments: the single-patient env, the native vector env, the SB3 adapter."""

from __future__ import annotations

from twin_env.envs.actions import ACTIONS
from twin_env.envs.config import OBSERVATION_MODES, EnvConfig
from twin_env.envs.primary_care_env import PrimaryCareEnv
from twin_env.envs.registration import ENV_IDS, register_envs
from twin_env.envs.rewards import REWARDS, register_reward
from twin_env.envs.vector_env import PrimaryCareVectorEnv

__all__ = [
    "ACTIONS",
    "ENV_IDS",
    "OBSERVATION_MODES",
    "REWARDS",
    "EnvConfig",
    "PrimaryCareEnv",
    "PrimaryCareVectorEnv",
    "register_envs",
    "register_reward",
]
