"""``train`` behind the mask-mode shield and with a Lagrange multiplier adapted by dual ascent (short runs)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("sb3_contrib", reason="the sb3 extra is not installed")

from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv  # noqa: E402
from twin_env.envs.wrappers import VectorLagrangianReward, VectorSafetyShield  # noqa: E402
from twin_env.training.train import train  # noqa: E402

SHORT = {"horizon_years": 1.0}  # 4 quarterly decisions per episode: episodes end inside a rollout


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cost_limit": 1.0}, r"cost_limit must be a finite number >= 0, needs a shield .* got 1.0"),
        ({"shield": "replace", "cost_limit": -1.0}, r"cost_limit .* got -1.0"),
        ({"shield": "replace", "cost_limit": float("inf")}, r"cost_limit .* got inf"),
        ({"shield": "replace", "cost_limit": 1.0, "cost_penalty": 1.0}, r"no fixed cost_penalty, got 1.0"),
        ({"shield": "replace", "cost_limit": 1.0, "lagrange_lr": 0.0}, r"lagrange_lr must be .* > 0, got 0.0"),
        ({"shield": "unsafe"}, r"shield 'unsafe'; allowed: \['replace', 'block', 'mask'\] or none"),
    ],
)
def test_bad_lagrangian_settings_are_rejected_before_anything_is_written(kwargs: dict, message: str, tmp_path) -> None:
    with pytest.raises(ValueError, match=message):
        train("maskable_ppo", 100, 0, tmp_path / "run", **kwargs)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("mode", "masks_from_shield"), [("mask", True), ("replace", False)])
def test_the_sb3_adapter_masks_hard_forbidden_actions_only_behind_a_mask_mode_shield(
    mode: str, masks_from_shield: bool
) -> None:
    venv = PrimaryCareSB3VecEnv(16, SHORT, lambda e: VectorLagrangianReward(VectorSafetyShield(e, mode=mode)))
    venv.seed(3)
    venv.reset()
    shield, env_masks = venv.venv.env, venv.venv.unwrapped.action_masks()
    for _ in range(2):
        masks = venv.action_masks()
        assert masks.shape == env_masks.shape and not (masks & ~env_masks).any()
        np.testing.assert_array_equal(masks, shield.action_masks() if masks_from_shield else env_masks)
        venv.step(np.zeros(16, dtype=np.int64))
        env_masks = venv.venv.unwrapped.action_masks()
    if masks_from_shield:  # the packaged rules forbid something on some row (else the test shows nothing)
        assert (shield.action_masks() != env_masks).any()


@pytest.mark.slow
def test_lagrangian_training_adapts_the_multiplier_from_zero_and_records_every_update(tmp_path) -> None:
    out = train(
        "maskable_ppo",
        1_536,
        0,
        tmp_path / "run",
        n_envs=8,
        env_config=SHORT,
        hyperparams={"n_steps": 64, "batch_size": 256, "n_epochs": 1},
        validation_patients=0,
        shield="replace",
        cost_limit=0.05,
        lagrange_lr=0.5,
        plots=False,
        log=None,
    )
    lagrangian = json.loads((out / "config.json").read_text())["lagrangian"]
    assert (lagrangian["cost_limit_per_episode"], lagrangian["multiplier_learning_rate"]) == (0.05, 0.5)
    updates = lagrangian["updates"]
    assert [u["timesteps"] for u in updates] == [512, 1024, 1536]
    multiplier = lagrangian["initial_multiplier"]
    assert multiplier == 0.0
    for u in updates:  # dual ascent: lambda <- max(0, lambda + lr * (mean episode cost - limit))
        multiplier = max(0.0, multiplier + 0.5 * (u["mean_episode_cost"] - 0.05))
        assert u["multiplier"] == pytest.approx(multiplier) and u["episodes"] >= 8
    assert lagrangian["final_multiplier"] == pytest.approx(multiplier)
    assert multiplier > 0  # random early policies propose violations above the limit
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (run_dir,) = (out / "tensorboard").iterdir()
    events = EventAccumulator(str(run_dir))
    events.Reload()
    logged = [e.value for e in events.Scalars("safety/lagrange_multiplier")]
    assert logged == pytest.approx([u["multiplier"] for u in updates])


@pytest.mark.slow
def test_training_behind_the_mask_mode_shield(tmp_path) -> None:
    out = train(
        "maskable_ppo",
        256,
        0,
        tmp_path / "run",
        n_envs=8,
        env_config=SHORT,
        hyperparams={"n_steps": 32, "batch_size": 128, "n_epochs": 1},
        validation_patients=4,
        validate_every=256,
        shield="mask",
        cost_limit=0.0,
        plots=False,
        log=None,
    )
    config = json.loads((out / "config.json").read_text())
    mode = config["gym_make"]["kwargs"]["mode"]
    assert (config["shield"], mode, config["trained_timesteps"]) == ("mask", "mask", 256)
    assert config["lagrangian"]["cost_limit_per_episode"] == 0.0 and (out / "model.zip").is_file()
