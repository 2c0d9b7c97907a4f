"""Evaluation reports discounted, lifetime QALYs and costs: each step's at (1 + r)**-t, the terminal value included."""

from __future__ import annotations

import numpy as np

from twin_env.envs.rewards import total_cost_gbp, total_qalys
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.evaluation.cohorts import EVAL_POPULATION_SEED, cohort_config
from twin_env.evaluation.evaluate import rollout
from twin_env.evaluation.metrics import METRICS
from twin_env.policies import make_policy

N, SEED = 6, 2
CONFIG = {"horizon_years": 0.75, "decision_interval_months": 3}


def _by_hand(rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(N,) discounted QALYs and costs summed step by step from the env's reward components, no action."""
    cfg = cohort_config({**CONFIG, "discount_rate_per_year": rate}, EVAL_POPULATION_SEED)
    env = PrimaryCareVectorEnv(N, cfg)
    env.reset(seed=SEED)
    qalys, cost, active = np.zeros(N), np.zeros(N), np.ones(N, dtype=bool)
    for k in range(cfg.max_steps):
        _, _, terminated, truncated, info = env.step(np.zeros(N, dtype=np.int64))
        comps, discount = info["reward_components"], (1.0 + rate) ** -(k * 0.25)
        qalys += active * discount * total_qalys(comps)
        cost += active * discount * total_cost_gbp(comps)
        active &= ~(terminated | truncated)
    return qalys, cost


def test_the_evaluation_discounts_each_step_and_counts_the_terminal_value() -> None:
    for rate in (0.035, 0.015):
        values, _, _ = rollout(make_policy("do_nothing"), N, SEED, {**CONFIG, "discount_rate_per_year": rate})
        qalys, cost = _by_hand(rate)
        np.testing.assert_allclose(values["qalys"], qalys, rtol=1e-12)
        np.testing.assert_allclose(values["cost_gbp"], cost, rtol=1e-12)
        assert (values["qalys"] > 3.0).all()  # the rest of life, not 9 months
    assert "discounted" in METRICS["qalys"][0] and "discounted" in METRICS["nmb_gbp"][0]
