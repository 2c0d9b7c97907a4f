"""Idempotent registration of the twin_env Gymnasium ids.

``PrimaryCare-v1`` is the current env; ``PrimaryCare-v0`` (retired, ``docs/env.md``) stays registered
with its 20-action catalogue so agents trained on it still load and run. The id sets
``EnvConfig.action_set`` through the entry point's ``action_set`` argument.
"""

from __future__ import annotations

from typing import NamedTuple

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
    register_training_envs()


def env_id(action_set: str = "v0", shielded: bool = False) -> str:
    """The registered id that runs catalogue ``action_set`` (shielded or not)."""
    for name, catalogue in ACTION_SET_OF.items():
        if catalogue == action_set and ("Shielded" in name) == shielded:
            return name
    raise ValueError(f"action_set {action_set!r}; allowed: {sorted(set(ACTION_SET_OF.values()))}")


# ---- training set-ups: presets of the ids above (twin_env.envs.presets) -----------------------------------------

#: The EnvConfig the agents train on: decisions every 3 months (40 per 10-year episode) and the NMB reward with
#: potential-based shaping (twin_env.envs.shaping); ``shaping_gamma`` is the agents' discount (the hyperparameter
#: files' ``gamma``), for which the shaping leaves the best policy unchanged.
QUARTERLY_SHAPED: dict[str, object] = {
    "decision_interval_months": 3,
    "reward": "net_monetary_benefit_shaped",
    "shaping_gamma": 0.99,
}


class TrainingEnv(NamedTuple):
    """A training set-up: ``id`` is ``base_id`` with ``defaults`` over its EnvConfig; with ``shielded_base_id``
    also ``shielded_id(id)`` over that (the set-up behind the safety shield, ``mode`` as the base takes it)."""

    id: str
    base_id: str
    shielded_base_id: str | None
    defaults: dict[str, object]


#: The training set-ups, one per action catalogue (the shipped agent trained on v0).
TRAINING_ENVS: tuple[TrainingEnv, ...] = (
    TrainingEnv("twin_env/PrimaryCare-QuarterlyShaped-v0", RETIRED_ENV_ID, RETIRED_SHIELDED_ENV_ID, QUARTERLY_SHAPED),
    TrainingEnv("twin_env/PrimaryCare-QuarterlyShaped-v1", ENV_ID, SHIELDED_ENV_ID, QUARTERLY_SHAPED),
)
#: The unshielded training ids (each has a vector entry point); the first is what ``twin-env train`` uses by default.
TRAINING_ENV_IDS: tuple[str, ...] = tuple(t.id for t in TRAINING_ENVS)


def shielded_id(env_id: str) -> str:
    """``twin_env/Name-vN`` -> ``twin_env/Name-Shielded-vN`` (the id of a training set-up behind the shield)."""
    name, _, version = env_id.rpartition("-v")
    return f"{name}-Shielded-v{version}"


def register_training_envs() -> None:
    """Register :data:`TRAINING_ENVS` (and their shielded ids) as presets of their base ids; idempotent."""
    for env in TRAINING_ENVS:
        bases = [(env.id, env.base_id)]
        if env.shielded_base_id is not None:
            bases.append((shielded_id(env.id), env.shielded_base_id))
        for env_id, base_id in bases:
            if env_id in gym.registry:
                continue
            vector = gym.spec(base_id).vector_entry_point is not None
            gym.register(
                id=env_id,
                entry_point="twin_env.envs.presets:make_preset_env",
                vector_entry_point="twin_env.envs.presets:make_preset_vector_env" if vector else None,
                kwargs={"base_id": base_id, "defaults": dict(env.defaults)},
            )
