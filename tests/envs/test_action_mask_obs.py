"""ActionMaskObservation: RLlib's ``{"action_mask", "observations"}`` layout, flattened or not."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import twin_env  # noqa: F401 (registers the envs)
from twin_env.envs.wrappers.action_mask_obs import ActionMaskObservation, flat_layout

CONFIG = {"horizon_years": 1}


def test_flattened_observation_is_the_record_features_in_the_documented_layout() -> None:
    env = ActionMaskObservation(gym.make("twin_env/PrimaryCare-v0", config=CONFIG))
    obs, info = env.reset(seed=2)
    assert env.observation_space.contains(obs)
    assert np.array_equal(obs["action_mask"], info["action_mask"].astype(np.float32))
    raw = env.unwrapped._obs()
    layout = flat_layout(env.env.observation_space)
    assert max(s.stop for s in layout.values()) == env.observation_space["observations"].shape[0]
    for key, where in layout.items():
        assert np.allclose(obs["observations"][where], np.asarray(raw[key], dtype=np.float32).ravel()), key
    obs, *_, info = env.step(7)
    assert env.observation_space.contains(obs) and np.array_equal(obs["action_mask"] > 0, info["action_mask"])


def test_unflattened_observation_keeps_the_dict() -> None:
    env = ActionMaskObservation(gym.make("twin_env/PrimaryCare-v0", config=CONFIG), flatten=False)
    obs, _ = env.reset(seed=2)
    assert isinstance(env.observation_space["observations"], gym.spaces.Dict)
    assert env.observation_space.contains(obs)


def test_under_a_shield_the_mask_is_the_shields_safe_mask() -> None:
    shielded = gym.make("twin_env/PrimaryCare-Shielded-v0", config=CONFIG, mode="mask")
    env = ActionMaskObservation(shielded)
    for seed in range(6):
        obs, _ = env.reset(seed=seed)
        safe, env_mask = shielded.get_wrapper_attr("action_masks")(), env.unwrapped.action_masks()
        assert np.array_equal(obs["action_mask"] > 0, safe)
        assert not (safe & ~env_mask).any()


def test_a_non_discrete_action_space_is_refused() -> None:
    with pytest.raises(ValueError, match="Discrete"):
        ActionMaskObservation(gym.make("Pendulum-v1"))
