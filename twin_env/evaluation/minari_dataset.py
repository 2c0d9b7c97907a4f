"""A Minari offline-RL dataset of a policy's episodes on ``PrimaryCare-v0`` (needs the ``minari`` extra).

Each step stores the observation (the env's Dict), the action the policy proposed, the reward, terminated /
truncated and the env's info (:mod:`twin_env.envs.info`: the same keys at reset and step, so Minari's
``DataCollector`` records them): ``action_mask`` (n_actions bools), ``patient_index``, ``date``, ``reward_components``
(QALYs and GBP), ``action_executed``. Shielded, the info adds ``cost``, ``cost_<rule_id>``, ``episode_cost``,
``proposed_action``, ``executed_action``, ``shield_intervened``. The variable-length values (``model_outputs``,
the shield's ``violations``) are stored as JSON text (``model_outputs_json``, ``violations_json``).

Minari keeps datasets under ``MINARI_DATASETS_PATH``: :func:`write_dataset` points it at the output folder, so
``MINARI_DATASETS_PATH=DIR`` then ``minari.load_dataset(dataset_id)`` reads the dataset back and
``recover_environment()`` rebuilds the env (importing twin_env through the env's entry point).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from twin_env.envs.config import EnvConfig
from twin_env.envs.registration import env_id, register_envs
from twin_env.policies import make_policy
from twin_env.policies.adapters import policy_inputs

#: Info values with a variable length, stored as JSON text under ``<key>_json``.
JSON_INFO_KEYS = ("model_outputs", "violations")


def default_dataset_id(policy: str, shielded: bool) -> str:
    """``twin_env/primary-care-<policy>[-shielded]-v0`` (Minari's ``namespace/name-version`` id)."""
    name = Path(policy).name.replace("_", "-").lower() or "policy"
    return f"twin_env/primary-care-{name}{'-shielded' if shielded else ''}-v0"


def check_dataset_id(dataset_id: str) -> str:
    """``dataset_id`` if Minari accepts it (``[namespace/]name-vN``), else a one-line ``ValueError``."""
    if not re.fullmatch(r"(?:[\w.-]+/)?[\w.-]+-v\d+", dataset_id):
        raise ValueError(f"dataset id {dataset_id!r}; allowed: [namespace/]name-vN, e.g. 'twin_env/primary-care-v0'")
    return dataset_id


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def storable_info(info: dict[str, Any]) -> dict[str, Any]:
    """``info`` with the variable-length values as JSON text (``<key>_json``); the rest unchanged."""
    out = {k: v for k, v in info.items() if k not in JSON_INFO_KEYS}
    for key in JSON_INFO_KEYS:
        if key in info:
            out[f"{key}_json"] = json.dumps(info[key], sort_keys=True, default=_json_default)
    return out


def write_dataset(
    policy: str,
    episodes: int,
    out_dir: str | Path,
    *,
    seed: int = 0,
    shielded: bool = False,
    env_config: dict[str, Any] | None = None,
    dataset_id: str | None = None,
) -> Any:
    """Run ``policy`` for ``episodes`` episodes (patients ``seed``, ``seed + 1``, ...) and write a Minari dataset.

    Returns the ``MinariDataset`` (under ``out_dir/<dataset_id>``). Sets ``MINARI_DATASETS_PATH`` to ``out_dir``.
    """
    from minari import DataCollector, StepDataCallback  # noqa: PLC0415 (the optional minari extra)

    class _StorableInfo(StepDataCallback):
        def __call__(self, env: gym.Env, **kwargs: Any) -> Any:
            step = super().__call__(env, **kwargs)
            step["info"] = storable_info(step["info"])
            return step

    dataset_id = check_dataset_id(dataset_id or default_dataset_id(policy, shielded))
    register_envs()
    os.environ["MINARI_DATASETS_PATH"] = str(Path(out_dir).absolute())
    action_set = EnvConfig.from_value(env_config).action_set  # the catalogue picks the id (v0 or v1)
    if shielded:
        env = gym.make(env_id(action_set, shielded=True), config=env_config, mode="replace")
    else:
        env = gym.make(env_id(action_set), config=env_config)
    agent = make_policy(policy, seed)
    collector = DataCollector(env, step_data_callback=_StorableInfo, record_infos=True, data_format="arrow")
    try:
        for episode in range(episodes):
            agent.reset(seed + episode)
            obs, _ = collector.reset(seed=seed + episode)
            done = False
            while not done:
                actions, _ = agent.act(policy_inputs(env, obs))
                obs, _, terminated, truncated, _ = collector.step(int(actions[0]))
                done = terminated or truncated
        with warnings.catch_warnings():  # Minari's advice on code_permalink / author_email / eval_env
            warnings.simplefilter("ignore", UserWarning)
            return collector.create_dataset(
                dataset_id=dataset_id,
                algorithm_name=f"twin_env policy {policy}{' (safety shield, replace mode)' if shielded else ''}",
                author="twin_env contributors",
                description=f"{episodes} synthetic patients (seeds {seed}..{seed + episodes - 1}), policy {policy}.",
                requirements=["twin-env"],
            )
    finally:
        collector.close()
