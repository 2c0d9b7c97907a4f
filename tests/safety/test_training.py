"""SB3: MaskablePPO trains on the shielded env; the Lagrange callback moves the multiplier."""

from __future__ import annotations

import gymnasium as gym
import pytest

import twin_env  # noqa: F401
from twin_env.envs.wrappers import LagrangianReward

pytestmark = pytest.mark.slow


def test_maskable_ppo_trains_with_a_lagrangian_penalty() -> None:
    from sb3_contrib import MaskablePPO

    from twin_env.envs.wrappers.lagrangian import LagrangeCallback

    env = LagrangianReward(gym.make("twin_env/PrimaryCare-Shielded-v0", config={"horizon_years": 2.0}, mode="mask"))
    callback = LagrangeCallback(cost_limit=0.0, lr=0.5)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=512, batch_size=128, n_epochs=2, seed=0, verbose=0)
    model.learn(total_timesteps=2048, callback=callback)
    assert model.num_timesteps >= 2048 and len(callback.history) >= 1
    assert env.lagrange_multiplier == callback.multiplier >= 0.0
    metrics = env.get_wrapper_attr("metrics").summary()
    assert metrics["executed_hard_violations"] == 0 and metrics["steps"] >= 2048


def test_lagrange_callback_drives_the_vector_penalty_through_the_sb3_adapter() -> None:
    from sb3_contrib import MaskablePPO

    from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv
    from twin_env.envs.wrappers import VectorLagrangianReward, VectorSafetyShield
    from twin_env.envs.wrappers.lagrangian import LagrangeCallback

    venv = PrimaryCareSB3VecEnv(8, {"horizon_years": 1.0}, lambda e: VectorLagrangianReward(VectorSafetyShield(e)))
    callback = LagrangeCallback(cost_limit=0.0, lr=0.5)
    MaskablePPO("MultiInputPolicy", venv, n_steps=64, batch_size=128, n_epochs=1, seed=0).learn(1024, callback=callback)
    assert len(callback.history) >= 1 and callback.history[-1][0] > 0  # random early policies propose violations
    assert venv.venv.lagrange_multiplier == callback.multiplier > 0
