"""One info schema: the same keys and value types at reset and at step (single, vector, shielded)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import twin_env  # noqa: F401 (registers the envs)
from twin_env.envs import PrimaryCareVectorEnv
from twin_env.envs.config import EnvConfig
from twin_env.envs.info import INFO_KEYS, component_names
from twin_env.envs.wrappers import VectorSafetyShield

CONFIG = {"horizon_years": 1}


def _same_schema(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Differences Minari's DataCollector would refuse: keys, value types, array shapes and dtypes (recursive)."""
    diffs = [f"keys {sorted(set(a) ^ set(b))}"] if a.keys() != b.keys() else []
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        if type(x) is not type(y):
            diffs.append(f"{key}: {type(x).__name__} vs {type(y).__name__}")
        elif isinstance(x, dict):
            diffs += [f"{key}.{d}" for d in _same_schema(x, y)]
        elif isinstance(x, np.ndarray) and (x.shape, x.dtype) != (y.shape, y.dtype):
            diffs.append(f"{key}: {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
    return diffs


def test_the_checker_can_fail() -> None:
    assert _same_schema({"a": 1}, {"a": 1.0}) == ["a: int vs float"]
    assert _same_schema({"a": {"b": np.zeros(2)}}, {"a": {"b": np.zeros(3)}})
    assert _same_schema({"a": 1}, {"b": 1})


@pytest.mark.parametrize("reward", ["net_monetary_benefit", "net_monetary_benefit_shaped"])
def test_single_env_info_has_the_same_keys_at_reset_and_step(reward: str) -> None:
    env = gym.make("twin_env/PrimaryCare-v0", config={**CONFIG, "reward": reward})
    _, first = env.reset(seed=3)
    assert tuple(first) == INFO_KEYS
    assert set(first["reward_components"]) == set(component_names(EnvConfig.from_value({"reward": reward})))
    assert first["action_executed"] is False and first["model_outputs"] == []
    for action in (0, 7, 18, 1):
        _, _, _, _, info = env.step(action)
        assert _same_schema(first, info) == [], action


def test_shielded_env_info_has_the_same_keys_at_reset_and_step() -> None:
    env = gym.make("twin_env/PrimaryCare-Shielded-v0", config=CONFIG, mode="replace")
    _, first = env.reset(seed=5)
    assert {"cost", "episode_cost", "violations", "shield_intervened"} <= set(first)
    for action in (7, 9, 12, 0):
        _, _, _, _, info = env.step(action)
        assert _same_schema(first, info) == [], action


@pytest.mark.parametrize("shielded", [False, True])
def test_vector_env_info_has_the_same_keys_at_reset_and_step(shielded: bool) -> None:
    env = PrimaryCareVectorEnv(3, CONFIG)
    if shielded:
        env = VectorSafetyShield(env)
    _, first = env.reset(seed=0)
    assert set(INFO_KEYS) - {"date"} <= set(first)
    assert first["action_mask"].shape == (3, 20) and first["reward_components"]["qalys"].shape == (3,)
    for _ in range(3):
        _, _, _, _, info = env.step(np.array([0, 7, 9]))
        assert _same_schema(first, info) == []
