"""Train each algorithm briefly; the saved run loads and evaluates (slow)."""

from __future__ import annotations

import json

import pytest

from agents.evaluate import evaluate
from agents.train import train


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ppo", "maskable_ppo", "dqn"])
def test_train_save_load_evaluate(algo: str, tmp_path) -> None:
    out = train(algo, 2_000, 0, tmp_path / algo, n_envs=8, env_config={"horizon_years": 1})
    assert {"model.zip", "config.json", "learning_curve.csv", "vecnormalize.pkl"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "config.json").read_text())["algo"] == algo
    assert (out / "learning_curve.csv").read_text().count("\n") > 1
    results = evaluate([str(out)], 4, 0, {"horizon_years": 1})
    (name,) = results["policies"]
    assert name.startswith(algo)


def test_training_env_defaults_to_3_monthly_shaped_rewards_with_the_agents_gamma() -> None:
    from agents.train import HYPERPARAMETERS, training_env_config

    cfg = training_env_config("maskable_ppo")
    assert (cfg.decision_interval_months, cfg.reward) == (3, "net_monetary_benefit_shaped")
    assert cfg.shaping_gamma == HYPERPARAMETERS["maskable_ppo"]["gamma"] and cfg.population_seed == 0
    assert training_env_config("ppo", {"decision_interval_months": 1, "reward": "qalys"}).reward == "qalys"
    with pytest.raises(ValueError, match="shaping_gamma 0.5 differs from dqn's gamma 0.99"):
        training_env_config("dqn", {"shaping_gamma": 0.5})
