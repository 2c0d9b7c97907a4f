"""What a training run writes: the effective hyperparameters (the YAML round trip), the env it trained on as a
``gymnasium.make`` call, the wall-clock safety stop, progress lines, the learning-curve PNG and TensorBoard."""

from __future__ import annotations

import io
import json
import re

import gymnasium as gym
import pytest

pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")

from twin_env.training.hyperparameters import load_hyperparameters  # noqa: E402
from twin_env.training.train import train  # noqa: E402

#: A tiny run: 8 rows x 8 steps per rollout, 3-month episodes of a quarter year (1 step).
TINY = {"n_envs": 8, "env_config": {"horizon_years": 0.25}, "validation_patients": 0, "tensorboard": False}


def test_the_yaml_round_trips_into_config_json(tmp_path) -> None:
    overrides = {"n_steps": 8, "learning_rate": 1e-4, "batch_size": 64}
    out = train("maskable_ppo", 64, 0, tmp_path / "run", hyperparams=overrides, plots=False, log=None, **TINY)
    config = json.loads((out / "config.json").read_text())
    expected = {**load_hyperparameters("maskable_ppo"), **overrides, "n_timesteps": 64, "n_envs": 8}
    assert config["hyperparameters"] == expected
    assert config["hyperparameter_overrides"] == overrides and config["hyperparameters_file"] == "maskable_ppo.yml"
    assert (config["total_timesteps"], config["trained_timesteps"], config["batch_size_capped_to_rollout"]) == (
        64,
        64,
        None,
    )
    assert config["stopped_by_wall_clock"] is False and config["tensorboard_dir"] is None
    # the loaded model has the effective hyperparameters
    from sb3_contrib import MaskablePPO

    model = MaskablePPO.load(out / "model.zip", device="cpu")
    assert (model.n_steps, model.batch_size, model.gae_lambda, model.ent_coef) == (8, 64, 0.8, 0.001)
    assert model.learning_rate == 1e-4


def test_gym_make_of_config_json_builds_the_env_trained_on(tmp_path) -> None:
    out = train(
        "ppo", 64, 0, tmp_path / "run", hyperparams={"n_steps": 8, "gamma": 0.98}, plots=False, log=None, **TINY
    )
    config = json.loads((out / "config.json").read_text())
    call = config["gym_make"]
    assert call == {
        "id": "twin_env/PrimaryCare-QuarterlyShaped-v1",
        "kwargs": {"config": {"horizon_years": 0.25, "shaping_gamma": 0.98}},
    }
    assert gym.make(call["id"], **call["kwargs"]).unwrapped.config.to_dict() == config["env_config"]


def test_a_batch_larger_than_a_rollout_is_capped_and_recorded(tmp_path) -> None:
    out = train("ppo", 64, 0, tmp_path / "run", hyperparams={"n_steps": 8}, plots=False, log=None, **TINY)
    config = json.loads((out / "config.json").read_text())
    assert config["hyperparameters"]["batch_size"] == 2048 and config["batch_size_capped_to_rollout"] == 64


def test_the_wall_clock_stop_is_recorded(tmp_path) -> None:
    out = train("ppo", 10**6, 0, tmp_path / "run", hyperparams={"n_steps": 8}, max_minutes=1e-6, plots=False, **TINY)
    config = json.loads((out / "config.json").read_text())
    assert config["stopped_by_wall_clock"] is True and config["trained_timesteps"] < config["total_timesteps"]


@pytest.mark.slow
def test_progress_lines_tensorboard_and_the_learning_curve_png(tmp_path) -> None:
    log = io.StringIO()
    settings = {**TINY, "tensorboard": True, "validation_patients": 4, "validate_every": 128}
    out = train("maskable_ppo", 256, 0, tmp_path / "run", hyperparams={"n_steps": 8}, log=log, log_every=64, **settings)
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("training maskable_ppo on twin_env/PrimaryCare-QuarterlyShaped-v1: 256 steps")
    assert [re.search(r"(\S+) steps \(", line).group(1) for line in lines[1:5]] == [
        "64/256",
        "128/256",
        "192/256",
        "256/256",
    ]
    assert "steps/s" in lines[1] and "mean return" in lines[1] and "validation NMB" in lines[-1]
    assert (out / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    events = list((out / "tensorboard").rglob("events.out.tfevents.*"))
    assert events and json.loads((out / "config.json").read_text())["tensorboard_dir"] == str(out / "tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = EventAccumulator(str(events[0].parent)).Reload().Tags()["scalars"]
    assert "validation/nmb_vs_do_nothing_gbp" in tags and "rollout/ep_rew_mean" in tags
