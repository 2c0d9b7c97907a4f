"""Idempotent registration of the twin_env Gymnasium ids.

``PrimaryCare-v1`` is the current env; ``PrimaryCare-v0`` (retired, ``docs/env.md``) stays registered
with its 20-action catalogue so agents trained on it still load and run. The id sets
``EnvConfig.action_set`` through the entry point's ``action_set`` argument.
"""

from __future__ import annotations

import gymnasium as gym

#: The current env id.
ENV_ID = "twin_env/PrimaryCare-v1"
#: The retired env id (action catalogue v0).
RETIRED_ENV_ID = "twin_env/PrimaryCare-v0"
ENV_IDS: tuple[str, ...] = (RETIRED_ENV_ID, ENV_ID)
#: The safety-shielded single env (``twin_env.envs.wrappers.shield``); not in ENV_IDS (it has no vector entry point).
SHIELDED_ENV_ID = "twin_env/PrimaryCare-Shielded-v1"
#: The retired shielded env (action catalogue v0).
RETIRED_SHIELDED_ENV_ID = "twin_env/PrimaryCare-Shielded-v0"
#: Env id -> the action catalogue it runs (``EnvConfig.action_set``).
ACTION_SET_OF: dict[str, str] = {
    RETIRED_ENV_ID: "v0",
    ENV_ID: "v1",
    RETIRED_SHIELDED_ENV_ID: "v0",
    SHIELDED_ENV_ID: "v1",
}


def register_envs() -> None:
    """Register ``PrimaryCare-v1``, ``-v0`` (single env, ``vector_entry_point``) and the shielded envs; idempotent."""
    for env_id in ENV_IDS:
        if env_id not in gym.registry:
            gym.register(
                id=env_id,
                entry_point="twin_env.envs.primary_care_env:PrimaryCareEnv",
                vector_entry_point="twin_env.envs.vector_env:PrimaryCareVectorEnv",
                kwargs={"action_set": ACTION_SET_OF[env_id]},
            )
    for env_id in (RETIRED_SHIELDED_ENV_ID, SHIELDED_ENV_ID):
        if env_id not in gym.registry:
            gym.register(
                id=env_id,
                entry_point="twin_env.envs.wrappers.shield:make_shielded_env",
                kwargs={"action_set": ACTION_SET_OF[env_id]},
            )


def env_id(action_set: str = "v0", shielded: bool = False) -> str:
    """The registered id that runs catalogue ``action_set`` (shielded or not)."""
    for name, catalogue in ACTION_SET_OF.items():
        if catalogue == action_set and ("Shielded" in name) == shielded:
            return name
    raise ValueError(f"action_set {action_set!r}; allowed: {sorted(set(ACTION_SET_OF.values()))}")
