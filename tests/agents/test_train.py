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
