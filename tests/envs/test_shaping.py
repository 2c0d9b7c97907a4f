"""Potential-based reward shaping: same dynamics, telescoping sum, the expected benefit shown at once."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.envs.actions import ACTION_INDEX
from twin_env.envs.config import EnvConfig
from twin_env.envs.shaping import discounted_years_left
from twin_env.envs.vector_env import PrimaryCareVectorEnv

CONFIG = {"horizon_years": 3.0, "decision_interval_months": 3, "min_age_years": 60.0, "max_age_years": 84.0}


def _episode(config: dict, policy: str, n: int = 48, seed: int = 3) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """One episode per row: observations, rewards (T, N), shaping (T, N) and the first step's potential."""
    env = PrimaryCareVectorEnv(n, config)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(0)
    phi0 = env.batch._potential()
    seen, rewards, shaping = [obs], [], []
    done = np.zeros(n, dtype=bool)
    for _ in range(env.config.max_steps):
        mask = info["action_mask"]
        if policy == "treat":
            a = np.where(
                mask[:, ACTION_INDEX["start_or_intensify_statin"]], ACTION_INDEX["start_or_intensify_statin"], 0
            )
            a = np.where(mask[:, ACTION_INDEX["step_up_antihypertensive"]], ACTION_INDEX["step_up_antihypertensive"], a)
        else:
            a = ((rng.random(mask.shape) + 1e-9 * (np.arange(mask.shape[1]) == 0)) * mask).argmax(axis=1)
        obs, r, term, trunc, info = env.step(a)
        comps = info["reward_components"]
        rewards.append(np.where(done, 0.0, r))
        shaping.append(np.where(done, 0.0, comps.get("shaping_gbp", np.zeros(n))))
        seen.append(obs)
        done |= term | trunc
    assert done.all()
    return seen, np.array(rewards), np.array(shaping), phi0


@pytest.mark.parametrize("policy", ["treat", "random"])
def test_shaping_telescopes_and_leaves_the_dynamics_alone(policy: str) -> None:
    shaped_cfg = {**CONFIG, "reward": "net_monetary_benefit_shaped", "shaping_gamma": 0.97}
    obs_a, r_a, shaping, phi0 = _episode(shaped_cfg, policy)
    obs_b, r_b, none, _ = _episode(CONFIG, policy)
    assert not none.any()
    for a, b in zip(obs_a, obs_b):  # the reward never changes what happens
        assert all(np.array_equal(a[k], b[k]) for k in a)
    scale = EnvConfig().reward_scale_gbp
    np.testing.assert_allclose(r_a - r_b, shaping / scale, atol=1e-9)
    discount = 0.97 ** np.arange(len(shaping))[:, None]
    np.testing.assert_allclose((discount * shaping).sum(axis=0), -phi0, rtol=1e-9, atol=1e-6)  # policy-free total
    assert (phi0 < 0).all()


def test_treatment_shows_its_expected_benefit_in_the_step_it_starts() -> None:
    cfg = {**CONFIG, "reward": "net_monetary_benefit_shaped"}
    _, _, treat, _ = _episode(cfg, "treat")
    env = PrimaryCareVectorEnv(48, cfg)
    env.reset(seed=3)
    _, _, _, _, info = env.step(np.zeros(48, dtype=np.int64))
    # statins and BP drugs lower the hazard at once: the first step's shaping is higher than with no treatment
    assert treat[0].mean() > info["reward_components"]["shaping_gbp"].mean() + 50.0


def test_discounted_years_left() -> None:
    cfg = EnvConfig(horizon_years=1.0, decision_interval_months=3, shaping_gamma=0.5)
    np.testing.assert_allclose(discounted_years_left(np.array([0, 3, 4, 9]), cfg), [0.25 * 1.875, 0.25, 0.0, 0.0])
    assert discounted_years_left(np.array([1]), EnvConfig(horizon_years=1.0, shaping_gamma=1.0))[0] == pytest.approx(
        11 / 12
    )


@pytest.mark.parametrize("gamma", [0.0, 1.5, True, "0.9"])
def test_shaping_gamma_is_validated(gamma: object) -> None:
    with pytest.raises(ValueError, match="shaping_gamma must be a discount factor"):
        EnvConfig(shaping_gamma=gamma)  # type: ignore[arg-type]
