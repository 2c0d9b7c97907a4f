"""RLlib: the env by its plain id in env runner processes, masked PPO for an iteration (needs the rllib extra)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("ray.rllib", reason="the rllib extra (ray[rllib]) is not installed")

from twin_env.training.rllib import make_rllib_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_the_rllib_env_puts_the_mask_in_a_flat_observation() -> None:
    env = make_rllib_env({"config": {"horizon_years": 1}, "shield": "replace"})
    obs, info = env.reset(seed=0)
    assert isinstance(env.observation_space["observations"], gym.spaces.Box)
    assert np.array_equal(obs["action_mask"] > 0, info["action_mask"]) and "cost" in info


def test_an_unknown_env_config_key_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"env_config key\(s\) \['horizon'\]; allowed"):
        make_rllib_env({"horizon": 1})


@pytest.mark.slow
def test_masked_ppo_trains_an_iteration_on_a_remote_env_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    import ray  # noqa: PLC0415

    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # env runner processes import this checkout's twin_env
    spec = importlib.util.spec_from_file_location("rllib_ppo", ROOT / "examples" / "rllib_ppo.py")
    example = importlib.util.module_from_spec(spec)
    sys.modules["rllib_ppo"] = example
    spec.loader.exec_module(example)
    try:
        rows = example.main(
            ["--iterations", "1", "--num-env-runners", "1", "--train-batch-size", "48", "--minibatch-size", "24",
             "--num-epochs", "1", "--horizon-years", "1"]
        )  # fmt: skip
    finally:
        ray.shutdown()
    assert [r["iteration"] for r in rows] == [1]
    assert rows[0]["env_steps"] >= 48 and rows[0]["episodes"] >= 1
    assert math.isfinite(rows[0]["episode_return_mean"])
