"""Idempotent registration of the twin_env Gymnasium ids."""

from __future__ import annotations

import gymnasium as gym

ENV_IDS: tuple[str, ...] = ("twin_env/PrimaryCare-v0",)
#: The safety-shielded single env (``twin_env.envs.wrappers.shield``); not in ENV_IDS (it has no vector entry point).
SHIELDED_ENV_ID = "twin_env/PrimaryCare-Shielded-v0"


def register_envs() -> None:
    """Register ``twin_env/PrimaryCare-v0`` (single env, ``vector_entry_point``) and the shielded env; idempotent."""
    if "twin_env/PrimaryCare-v0" not in gym.registry:
        gym.register(
            id="twin_env/PrimaryCare-v0",
            entry_point="twin_env.envs.primary_care_env:PrimaryCareEnv",
            vector_entry_point="twin_env.envs.vector_env:PrimaryCareVectorEnv",
        )
    if SHIELDED_ENV_ID not in gym.registry:
        gym.register(id=SHIELDED_ENV_ID, entry_point="twin_env.envs.wrappers.shield:make_shielded_env")
