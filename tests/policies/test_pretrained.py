"""The shipped agents (agents/pretrained) still fit their envs and still work: the retired v0 agent and the
retrained v1 agent that ``agent`` stands for (``docs/report.md`` section 6)."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.envs.config import EnvConfig
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.policies import AGENT, PRETRAINED, SHIPPED_AGENT, make_policy, policy_inputs
from twin_env.policies.sb3_model import SB3ModelPolicy

#: The action catalogue each shipped agent was trained on (``maskable_ppo_30min``: v0, before ``action_set``).
ACTION_SET = {"maskable_ppo_30min": "v0", "maskable_ppo_v1_mask": "v1"}
OTHER = {"v0": "v1", "v1": "v0"}


def test_agent_is_the_retrained_v1_agent_and_every_shipped_agent_has_an_action_set_here() -> None:
    assert SHIPPED_AGENT == "maskable_ppo_v1_mask" and set(PRETRAINED) == set(ACTION_SET)
    pytest.importorskip("sb3_contrib", reason="the sb3 extra is not installed")
    policy = make_policy(AGENT)
    assert policy.name == AGENT and EnvConfig(**policy.env_config).action_set == "v1"


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_agent_fits_its_catalogues_spaces_only(name: str) -> None:
    pytest.importorskip("sb3_contrib", reason="the sb3 extra is not installed")
    policy = make_policy(name)
    assert isinstance(policy, SB3ModelPolicy) and policy.name == f"maskable_ppo:{name}"
    config = EnvConfig(**policy.env_config)
    assert config.action_set == ACTION_SET[name]
    env = PrimaryCareVectorEnv(2, config)
    assert policy.model.observation_space == env.single_observation_space
    assert policy.model.action_space == env.single_action_space
    other = PrimaryCareVectorEnv(2, {**policy.env_config, "action_set": OTHER[config.action_set]})
    assert policy.model.action_space != other.single_action_space
    assert policy.model.observation_space != other.single_observation_space


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_agent_runs_masked(name: str) -> None:
    pytest.importorskip("sb3_contrib", reason="the sb3 extra is not installed")
    policy = make_policy(name)
    env = PrimaryCareVectorEnv(4, {**policy.env_config, "horizon_years": 1})
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        inputs = policy_inputs(env, obs)
        actions, _ = policy.act(inputs)
        assert actions.shape == (4,) and inputs.mask[np.arange(4), actions].all()
        obs = env.step(actions)[0]


def test_a_trained_network_decides_rows_together() -> None:
    """torch rounds a batched forward pass by batch size, so sharding would change a near-tie: one shard only."""
    assert make_policy(AGENT).batch_dependent
