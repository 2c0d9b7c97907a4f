"""The shipped agent (agents/pretrained, the report's section 6 agent) still fits the env and still works."""

from __future__ import annotations

import pytest

from twin_env.envs.config import EnvConfig
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.evaluation.evaluate import evaluate
from twin_env.policies import PRETRAINED, make_policy
from twin_env.policies.sb3_model import SB3ModelPolicy


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_agent_matches_the_envs_spaces(name: str) -> None:
    pytest.importorskip("sb3_contrib", reason="the sb3 extra is not installed")
    policy = make_policy(name)
    assert isinstance(policy, SB3ModelPolicy) and policy.name == f"maskable_ppo:{name}"
    env = PrimaryCareVectorEnv(2, EnvConfig(**policy.env_config))
    assert policy.model.observation_space == env.single_observation_space
    assert policy.model.action_space == env.single_action_space


@pytest.mark.slow
def test_shipped_agent_beats_do_nothing_on_evaluation_patients() -> None:
    """2,000 evaluation patients x 10 years, paired: the report's +1,228 GBP (20,000 patients) is not lost."""
    results = evaluate(["do_nothing", "maskable_ppo_30min"], 2_000, 0, {"horizon_years": 10})
    gain = results["policies"]["maskable_ppo:maskable_ppo_30min"]["nmb_vs_do_nothing_gbp"]
    assert gain["ci_low"] > 0, gain
