"""Every registered twin_env id, MiniGrid style (env checker, reset/step, seeded determinism, spec round trip),
and the training ids: exactly the env ``twin-env train`` trains on."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

import twin_env  # noqa: F401 (registers the ids)
from tests.nested import same
from twin_env.envs.presets import preset_config, twin_env_ids
from twin_env.envs.registration import TRAINING_ENV_IDS, TRAINING_ENVS, shielded_id

SHORT = {"horizon_years": 1.0}
#: The checker's note that a wrapper (the shield) is checked, not the bare env: expected for shielded ids.
WRAPPED_NOTE = "is different from the unwrapped version"


def _rollout(env: gym.Env, seed: int, steps: int = 8) -> list:
    obs, info = env.reset(seed=seed)
    out: list = [obs, info["action_mask"]]
    for t in range(steps):
        mask = env.unwrapped.action_masks()
        obs, reward, term, trunc, info = env.step(int(np.flatnonzero(mask)[t % mask.sum()]))
        out += [obs, reward, term, trunc, info["reward_components"], info["action_mask"]]
        if term or trunc:
            obs, info = env.reset()
            out.append(obs)
    return out


def test_the_training_ids_and_their_shielded_ids_are_registered() -> None:
    ids = set(twin_env_ids())
    assert set(TRAINING_ENV_IDS) <= ids and TRAINING_ENV_IDS[0] == "twin_env/PrimaryCare-QuarterlyShaped-v0"
    assert {shielded_id(t.id) for t in TRAINING_ENVS if t.shielded_base_id} <= ids
    assert shielded_id("twin_env/PrimaryCare-QuarterlyShaped-v1") == "twin_env/PrimaryCare-QuarterlyShaped-Shielded-v1"


@pytest.mark.parametrize("env_id", twin_env_ids())
def test_the_env_checker_passes_without_warnings(env_id: str) -> None:
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id, config=SHORT, disable_env_checker=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=f".*{WRAPPED_NOTE}")
        check_env(env.env, skip_render_check=True)  # inside OrderEnforcing: the env, or the shield around it


@pytest.mark.parametrize("env_id", twin_env_ids())
def test_reset_step_are_deterministic_and_the_spec_round_trips(env_id: str) -> None:
    a, b = gym.make(env_id, config=SHORT), gym.make(env_id, config=SHORT)
    first = _rollout(a, 3)
    assert same(first, _rollout(b, 3))
    assert same(_rollout(gym.make(a.spec), 3), first)
    assert a.unwrapped.config == preset_config(env_id, SHORT)


@pytest.mark.parametrize("training", TRAINING_ENVS, ids=lambda t: t.id)
def test_a_training_id_is_its_base_id_with_the_training_config(training) -> None:
    from twin_env.training.train import training_env_config

    config = preset_config(training.id, SHORT)
    assert config == training_env_config(training.id, SHORT)
    assert {k: getattr(config, k) for k in training.defaults} == training.defaults
    assert same(
        _rollout(gym.make(training.id, config=SHORT), 5), _rollout(gym.make(training.base_id, config=config), 5)
    )
    vector = gym.make_vec(training.id, num_envs=3, vectorization_mode="vector_entry_point", config=SHORT)
    assert vector.config == config
    if training.shielded_base_id is not None:
        shielded = gym.make(shielded_id(training.id), config=SHORT, mode="block")
        assert shielded.unwrapped.config == config and shielded.get_wrapper_attr("mode") == "block"


def test_a_complete_env_config_is_taken_as_it_is() -> None:
    config = preset_config("twin_env/PrimaryCare-v0")
    assert gym.make(TRAINING_ENV_IDS[0], config=config).unwrapped.config == config
    with pytest.raises(ValueError, match="env id 'twin_env/Nope-v0' is not registered; allowed: \\["):
        preset_config("twin_env/Nope-v0")
