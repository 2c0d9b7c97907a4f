"""The reward follows the economics: components sum to it, the terminal value is paid at the horizon, config checks."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.envs.config import EnvConfig
from twin_env.envs.core import Batch
from twin_env.envs.rewards import REWARDS, SHAPED_REWARDS, net_monetary_benefit_gbp, total_qalys
from twin_env.envs.terminal_value import annual_drug_cost_gbp, steady_state
from twin_env.twin import lifetime_value

N = 40


def _run(config: EnvConfig) -> tuple[Batch, list[tuple[np.ndarray, dict[str, np.ndarray]]], np.ndarray]:
    """A batch stepped to its horizon with no action; (batch, [(reward, components)], alive before the last step)."""
    batch = Batch(config, N)
    batch.reset(0, np.zeros(N, dtype=np.int64))
    out, alive = [], None
    for _ in range(config.max_steps):
        alive = batch.sim.state.alive.copy()
        reward, _, _, comps, _ = batch.step(np.zeros(N, dtype=np.int64))
        out.append((reward, comps))
    return batch, out, alive


@pytest.mark.parametrize("reward", sorted(REWARDS))
def test_the_components_sum_to_the_reward(reward: str) -> None:
    cfg = EnvConfig(horizon_years=0.5, decision_interval_months=3, reward=reward, min_age_years=60.0)
    for r, comps in _run(cfg)[1]:
        if reward == "qalys":
            expected = total_qalys(comps)
        else:
            shaping = comps["shaping_gbp"] if reward in SHAPED_REWARDS else 0.0
            expected = (net_monetary_benefit_gbp(comps, cfg.willingness_to_pay_gbp) + shaping) / cfg.reward_scale_gbp
        np.testing.assert_allclose(r, expected, rtol=1e-12)


def test_the_terminal_value_is_paid_at_the_horizon_discounted_one_step() -> None:
    cfg = EnvConfig(horizon_years=0.5, decision_interval_months=3, min_age_years=60.0)
    batch, steps, alive = _run(cfg)
    for _, comps in steps[:-1]:
        assert not comps["qalys_terminal"].any() and not comps["cost_terminal_gbp"].any()
    last = steps[-1][1]
    state = batch.sim.state
    living = np.flatnonzero(alive & state.alive)
    assert living.size > 30
    sub = state.take(living)
    hazards = batch.sim.simulator.current_hazards(steady_state(sub), cfg.dt_years)
    drugs = annual_drug_cost_gbp(sub, batch.params)
    qalys, cost = lifetime_value.expected_remaining_value(sub, batch.tp, hazards, drugs, 0.035)
    gamma = 1.035**-0.25
    np.testing.assert_allclose(last["qalys_terminal"][living], gamma * qalys, rtol=1e-12)
    np.testing.assert_allclose(last["cost_terminal_gbp"][living], gamma * cost, rtol=1e-12)
    assert (last["qalys_terminal"][~(alive & state.alive)] == 0.0).all()
    off = _run(EnvConfig(horizon_years=0.5, decision_interval_months=3, min_age_years=60.0, terminal_value=False))
    assert not off[1][-1][1]["qalys_terminal"].any()


def test_the_discount_per_step_and_the_shaping_gamma() -> None:
    cfg = EnvConfig(decision_interval_months=3)
    assert cfg.discount_per_step == pytest.approx(1.035**-0.25) and cfg.shaping_discount == cfg.discount_per_step
    assert EnvConfig(decision_interval_months=12, discount_rate_per_year=0.015).discount_per_step == pytest.approx(
        1 / 1.015
    )
    assert EnvConfig(shaping_gamma=0.99).shaping_discount == 0.99
    assert EnvConfig.from_value(EnvConfig().to_dict()) == EnvConfig()  # JSON round trip with shaping_gamma null


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("discount_rate_per_year", -0.01, r"discount_rate_per_year must be a rate per year in \[0, 0.2\]"),
        ("discount_rate_per_year", 3.5, r"discount_rate_per_year must be a rate per year in \[0, 0.2\]"),
        ("discount_rate_per_year", "3.5%", r"discount_rate_per_year must be a rate per year in \[0, 0.2\]"),
        ("terminal_value", "yes", "terminal_value must be a bool"),
        ("shaping_gamma", 0.0, "shaping_gamma must be a discount factor"),
    ],
)
def test_economics_configuration_errors_are_one_line(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        EnvConfig.from_value({field: value})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("terminal_value", [True, False])
def test_sb3_bootstraps_past_the_horizon_only_without_a_terminal_value(terminal_value: bool) -> None:
    from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv  # noqa: PLC0415 (SB3 import only here)

    config = {"horizon_years": 0.25, "decision_interval_months": 3, "terminal_value": terminal_value}
    config |= {"min_age_years": 40.0, "max_age_years": 45.0}  # none dies in the 3 months (seeded)
    env = PrimaryCareSB3VecEnv(4, config)
    env.seed(0)
    env.reset()
    env.step_async(np.zeros(4, dtype=np.int64))
    _, _, done, infos = env.step_wait()
    assert done.all()
    assert [info["TimeLimit.truncated"] for info in infos] == [not terminal_value] * 4
