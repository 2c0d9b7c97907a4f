"""Every baseline runs on the single and the vector env and proposes only mask-valid actions."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import twin_env  # noqa: F401 (registers the env)
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.policies import POLICIES, PolicyReasonWrapper, make_policy, policy_inputs

CONFIG = {"horizon_years": 1}


@pytest.mark.parametrize("env_id", ["twin_env/PrimaryCare-v1", "twin_env/PrimaryCare-v0"])
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_single_env_valid_actions_and_reason(name: str, env_id: str) -> None:
    env = PolicyReasonWrapper(gym.make(env_id, config=CONFIG), make_policy(name, 0))
    obs, info = env.reset(seed=1)
    for _ in range(6):
        action = env.policy_action(obs)
        assert info["action_mask"][action]
        obs, _, terminated, truncated, info = env.step(action)
        assert isinstance(info["policy_reason"], str) and info["policy_reason"]
        if terminated or truncated:
            break


@pytest.mark.parametrize("action_set", ["v1", "v0"])
@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("vec", ["native", "sb3"])
def test_vector_env_valid_actions(name: str, vec: str, action_set: str) -> None:
    if vec == "sb3":
        pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")
        from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv  # noqa: PLC0415

        vec = PrimaryCareSB3VecEnv
    else:
        vec = PrimaryCareVectorEnv
    env = vec(16, {**CONFIG, "action_set": action_set})
    if vec is PrimaryCareVectorEnv:
        obs, _ = env.reset(seed=0)
    else:
        env.seed(0)
        obs = env.reset()
    policy = make_policy(name, 0)
    for _ in range(14):  # crosses the 12-step horizon: auto-reset rows
        inputs = policy_inputs(env, obs)
        actions, reasons = policy.act(inputs)
        assert actions.shape == (16,) and len(reasons) == 16
        assert inputs.mask[np.arange(16), actions].all()
        out = env.step(actions)
        obs = out[0]


def test_unknown_policy_names_the_choices() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown policy 'nope'; allowed: a baseline \[.*'nice_guideline'.*\], 'agent' or a shipped agent "
        r"\['maskable_ppo_v1_mask', 'maskable_ppo_30min'\], a saved SB3 model .* or module:callable",
    ):
        make_policy("nope")


@pytest.mark.parametrize("name", ["nice_guideline", "usual_care"])
def test_rows_on_different_dates(name: str) -> None:
    """After a death auto-resets one row, rows are on different dates: the guideline's memory is per row."""
    env = PrimaryCareVectorEnv(4, CONFIG)
    obs, _ = env.reset(seed=0)
    inputs = policy_inputs(env, obs)
    inputs.context.day = int(inputs.context.day) + np.arange(4) * 30
    actions, _ = make_policy(name, 0).act(inputs)
    assert actions.shape == (4,)


def test_nice_guideline_titrates_before_step_4_and_adds_gliclazide_on_v1() -> None:
    """On v1 the guideline raises A/C to their optimal doses (NG136 1.4.47) and uses NG28's sulfonylurea."""
    from twin_env.envs.actions import ACTIONS  # noqa: PLC0415

    env = PrimaryCareVectorEnv(200, {"action_set": "v1", "horizon_years": 5})
    obs, _ = env.reset(seed=0)
    policy = make_policy("nice_guideline", 0)
    chosen: set[str] = set()
    for _ in range(36):
        actions, _ = policy.act(policy_inputs(env, obs))
        chosen.update(ACTIONS[a].name for a in actions.tolist())
        obs = env.step(actions)[0]
    assert {"titrate_ramipril", "titrate_amlodipine", "start_or_titrate_gliclazide"} <= chosen
    assert not any(name.startswith("stop_") for name in chosen)  # NICE gives no reason to stop on these rules
