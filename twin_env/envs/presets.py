"""Registered env ids that are another id with different EnvConfig defaults (the training set-ups).

A preset id ``P`` over a base id ``B`` with defaults ``D``: ``gymnasium.make(P, config=C, **kw)`` is
``gymnasium.make(B, config={**B's config, **D, **C}, **kw)`` without the extra wrappers, and
``gymnasium.make_vec(P, n, vectorization_mode="vector_entry_point", config=C)`` the same for B's vector
entry point. An ``EnvConfig`` instance passed as ``config`` is taken as it is (it is complete already).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator

from twin_env.envs.config import EnvConfig, with_action_set


def preset_config(env_id: str, config: EnvConfig | Mapping[str, Any] | None = None) -> EnvConfig:
    """The EnvConfig ``gymnasium.make(env_id, config=config)`` builds, for a preset or a plain twin_env id."""
    if env_id not in gym.registry:
        raise ValueError(f"env id {env_id!r} is not registered; allowed: {sorted(twin_env_ids())}")
    kwargs = dict(gym.spec(env_id).kwargs)
    if "base_id" in kwargs:
        built = _merged(kwargs["base_id"], kwargs.get("defaults"), config)
        return with_action_set(built, gym.spec(kwargs["base_id"]).kwargs.get("action_set"))
    return with_action_set(EnvConfig.from_value(_over(kwargs.get("config"), config)), kwargs.get("action_set"))


def twin_env_ids() -> tuple[str, ...]:
    """Every registered id of the ``twin_env`` namespace, sorted."""
    return tuple(sorted(k for k, spec in gym.registry.items() if spec.namespace == "twin_env"))


def make_preset_env(
    base_id: str, defaults: Mapping[str, Any], config: EnvConfig | Mapping[str, Any] | None = None, **kwargs: Any
) -> gym.Env:
    """Entry point of a preset id: the base id's entry point with the preset's config."""
    base = gym.spec(base_id)
    creator = load_env_creator(base.entry_point) if isinstance(base.entry_point, str) else base.entry_point
    return creator(**{**base.kwargs, **kwargs, "config": _merged(base_id, defaults, config)})


def make_preset_vector_env(
    base_id: str,
    defaults: Mapping[str, Any],
    num_envs: int = 1,
    config: EnvConfig | Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> gym.vector.VectorEnv:
    """Vector entry point of a preset id: the base id's vector entry point with the preset's config."""
    base = gym.spec(base_id)
    if base.vector_entry_point is None:
        raise ValueError(f"{base_id} has no vector entry point; make_vec it with vectorization_mode='sync'")
    entry = base.vector_entry_point
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    return creator(**{**base.kwargs, **kwargs, "num_envs": num_envs, "config": _merged(base_id, defaults, config)})


def _merged(
    base_id: str, defaults: Mapping[str, Any] | None, config: EnvConfig | Mapping[str, Any] | None
) -> EnvConfig:
    if isinstance(config, EnvConfig):
        return config
    base = gym.spec(base_id).kwargs.get("config")
    return EnvConfig.from_value(_over(_over(base, defaults), config))


def _over(base: EnvConfig | Mapping[str, Any] | None, top: Mapping[str, Any] | None) -> dict[str, Any] | EnvConfig:
    """``top`` over ``base`` as a mapping (a complete EnvConfig ``base`` becomes its dict)."""
    if top is not None and not isinstance(top, Mapping):
        raise ValueError(f"config must be a mapping or EnvConfig, got {type(top).__name__}")
    lower = base.to_dict() if isinstance(base, EnvConfig) else dict(base or {})
    return {**lower, **dict(top or {})}
