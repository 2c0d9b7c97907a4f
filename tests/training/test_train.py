"""Train each algorithm briefly; the saved run loads and evaluates (slow)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")

from twin_env.evaluation.evaluate import evaluate
from twin_env.training.train import train


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


def test_training_env_is_the_registered_3_monthly_shaped_env_with_the_agents_gamma() -> None:
    import gymnasium as gym

    from twin_env.training.train import DEFAULT_ENV_ID, training_env_config

    cfg = training_env_config()
    assert (
        DEFAULT_ENV_ID == "twin_env/PrimaryCare-QuarterlyShaped-v1" and cfg == gym.make(DEFAULT_ENV_ID).unwrapped.config
    )
    assert (cfg.decision_interval_months, cfg.reward, cfg.shaping_gamma, cfg.population_seed) == (
        3,
        "net_monetary_benefit_shaped",
        0.99,
        0,
    )
    assert training_env_config(env_config={"decision_interval_months": 1, "reward": "qalys"}).reward == "qalys"
    assert training_env_config(gamma=0.995).shaping_gamma == 0.995
    with pytest.raises(ValueError, match="shaping_gamma 0.5 differs from the algorithm's gamma 0.99"):
        training_env_config(env_config={"shaping_gamma": 0.5})
    with pytest.raises(ValueError, match=r"env 'twin_env/PrimaryCare-v0'; allowed: \['twin_env/PrimaryCare-Quarterly"):
        training_env_config("twin_env/PrimaryCare-v0")


@pytest.mark.slow
def test_validation_keeps_the_best_checkpoint_and_writes_the_curve(tmp_path) -> None:
    import csv

    from twin_env.policies import make_policy

    out = train(
        "maskable_ppo",
        3_000,
        0,
        tmp_path / "run",
        n_envs=8,
        env_config={"horizon_years": 1},
        validation_patients=12,
        validate_every=512,
    )
    with (out / "validation_curve.csv").open() as fh:
        curve = list(csv.DictReader(fh))
    assert len(curve) >= 4 and [int(r["timesteps"]) for r in curve] == sorted({int(r["timesteps"]) for r in curve})
    selected = json.loads((out / "config.json").read_text())["validation"]["selected"]
    assert selected["nmb_vs_do_nothing_gbp"] == max(float(r["nmb_vs_do_nothing_gbp"]) for r in curve)
    assert (out / "model_last.zip").is_file()
    # model.zip is the selected checkpoint: re-validating it reproduces its validation gain
    from twin_env.evaluation.cohorts import VALIDATION_POPULATION_SEED
    from twin_env.evaluation.evaluate import rollout

    config = json.loads((out / "config.json").read_text())["env_config"]
    gain = [
        rollout(make_policy(p, 0), 12, 0, config, population_seed=VALIDATION_POPULATION_SEED)[0]["nmb_gbp"]
        for p in (str(out), "do_nothing")
    ]
    assert (gain[0] - gain[1]).mean() == pytest.approx(selected["nmb_vs_do_nothing_gbp"])


def test_validation_rejects_bad_settings(tmp_path) -> None:
    with pytest.raises(ValueError, match="validation_patients must be 0"):
        train("maskable_ppo", 100, 0, tmp_path, validation_patients=1)
    with pytest.raises(ValueError, match="unknown hyperparameter 'gama'"):
        train("maskable_ppo", 100, 0, tmp_path / "run", hyperparams={"gama": 0.9})
    assert not (tmp_path / "run").exists()
    from twin_env.training.validation import ValidationCallback

    with pytest.raises(ValueError, match="every_timesteps >= 1"):
        ValidationCallback(tmp_path, "maskable_ppo", {}, 10, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cost_penalty": 1.0}, r"cost_penalty must be >= 0 and needs a shield .* got 1.0"),
        ({"shield": "replace", "cost_penalty": -0.5}, r"cost_penalty must be >= 0 .* got -0.5"),
    ],
)
def test_bad_shield_settings_are_rejected(kwargs: dict, message: str, tmp_path) -> None:
    with pytest.raises(ValueError, match=message):
        train("maskable_ppo", 100, 0, tmp_path / "run", **kwargs)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_training_behind_the_shield_with_a_cost_penalty(tmp_path) -> None:
    out = train(
        "maskable_ppo",
        1_024,
        0,
        tmp_path / "run",
        n_envs=8,
        env_config={"horizon_years": 1},
        validation_patients=4,
        validate_every=512,
        shield="replace",
        cost_penalty=1.0,
    )
    config = json.loads((out / "config.json").read_text())
    assert (config["shield"], config["cost_penalty"], config["trained_timesteps"]) == ("replace", 1.0, 1_024)
    assert (out / "validation_curve.csv").read_text().count("\n") >= 3
