"""RLlib (Ray 2.60, the ``rllib`` extra): the env by its plain id in every worker, and a masked PPO config.

``register_rllib_env()`` registers ``twin_env/PrimaryCare-v0`` with ``ray.tune.register_env``. Ray keeps the
creator in its cluster-wide registry, so env runner processes (on this machine or on a cluster's nodes)
import twin_env when they build the env; a plain ``gymnasium.make("twin_env/PrimaryCare-v0")`` in a worker
fails because nothing there imported twin_env (Gymnasium 1.x has no entry-point plugins).

The RLlib env is :func:`make_rllib_env`: ``PrimaryCare-v0`` (shielded when ``env_config["shield"]`` names a
mode) wrapped in :class:`~twin_env.envs.wrappers.action_mask_obs.ActionMaskObservation`, so the observation is
``{"action_mask", "observations"}`` and Ray's ``ActionMaskingTorchRLModule`` never samples a masked action.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from twin_env.envs.config import EnvConfig
from twin_env.envs.registration import ENV_IDS, env_id, register_envs
from twin_env.envs.wrappers.action_mask_obs import ActionMaskObservation

#: The id the RLlib env is registered under (the Gymnasium id, so configs read the same).
RLLIB_ENV_ID = ENV_IDS[0]
#: ``env_config`` keys :func:`make_rllib_env` reads.
ENV_CONFIG_KEYS = ("config", "shield", "flatten")


def make_rllib_env(env_config: dict[str, Any] | None = None) -> gym.Env:
    """The env an RLlib env runner builds.

    Args:
        env_config: ``{"config": EnvConfig fields (dict), "shield": None or a shield mode ("replace", "mask",
            ...), "flatten": bool (default True)}``; RLlib passes its ``EnvContext`` (a dict).
    """
    register_envs()
    cfg = dict(env_config or {})
    unknown = sorted(set(cfg) - set(ENV_CONFIG_KEYS))
    if unknown:
        raise ValueError(f"env_config key(s) {unknown}; allowed: {list(ENV_CONFIG_KEYS)}")
    shield = cfg.get("shield")
    action_set = EnvConfig.from_value(cfg.get("config")).action_set  # the catalogue picks the id (v0 or v1)
    if shield is None:
        env = gym.make(env_id(action_set), config=cfg.get("config"))
    else:
        env = gym.make(env_id(action_set, shielded=True), config=cfg.get("config"), mode=shield)
    return ActionMaskObservation(env, flatten=bool(cfg.get("flatten", True)))


def register_rllib_env(env_id: str = RLLIB_ENV_ID) -> str:
    """Register :func:`make_rllib_env` with Ray Tune under ``env_id``; returns the id for ``config.environment``."""
    from ray.tune.registry import register_env  # noqa: PLC0415 (the optional rllib extra)

    register_env(env_id, make_rllib_env)
    return env_id


def masked_ppo_config(
    env_config: dict[str, Any] | None = None,
    num_env_runners: int = 2,
    train_batch_size: int = 4000,
    minibatch_size: int = 128,
    num_epochs: int = 10,
    seed: int = 0,
) -> Any:
    """A ``PPOConfig`` on the masked env with Ray's action-masking RLModule (new API stack).

    ``num_env_runners`` env runner processes sample in parallel (0: the driver samples); on a Ray cluster
    (``ray.init(address=...)``) they spread over its nodes unchanged. Batch sizes are in env steps (months).
    """
    from ray.rllib.algorithms.ppo import PPOConfig  # noqa: PLC0415
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec  # noqa: PLC0415
    from ray.rllib.examples.rl_modules.classes.action_masking_rlm import ActionMaskingTorchRLModule  # noqa: PLC0415

    env_id = register_rllib_env()
    return (
        PPOConfig()
        .environment(env_id, env_config=dict(env_config or {}))
        .env_runners(num_env_runners=num_env_runners)
        .rl_module(rl_module_spec=RLModuleSpec(module_class=ActionMaskingTorchRLModule))
        .training(train_batch_size=train_batch_size, minibatch_size=minibatch_size, num_epochs=num_epochs)
        .debugging(seed=seed)
    )
