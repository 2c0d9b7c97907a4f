"""Evaluation: CIs for every metric, deterministic for a seed, same patients for every policy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents.cohorts import EVAL_POPULATION_SEED, TRAIN_POPULATION_SEED
from agents.evaluate import evaluate, markdown_table, write_outputs
from agents.metrics import METRICS, mean_ci

CONFIG = {"horizon_years": 1}


def test_results_have_cis_and_are_deterministic(tmp_path) -> None:
    a = evaluate(["do_nothing", "nice_guideline"], 12, 3, CONFIG)
    b = evaluate(["do_nothing", "nice_guideline"], 12, 3, CONFIG)
    assert json.dumps(a, default=str) == json.dumps(b, default=str)
    for r in a["policies"].values():
        assert set(r["metrics"]) == set(METRICS)
        s = r["metrics"]["nmb_gbp"]
        assert s["ci_low"] <= s["mean"] <= s["ci_high"] and s["n"] == 12
    assert a["policies"]["do_nothing"]["nmb_vs_do_nothing_gbp"]["mean"] == 0.0
    assert "| do_nothing |" in markdown_table(a)
    write_outputs(a, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "table.md", "outcomes.csv", "per_patient.csv"}
    json.loads((tmp_path / "results.json").read_text())


def test_eval_cohort_is_not_the_training_population() -> None:
    assert EVAL_POPULATION_SEED != TRAIN_POPULATION_SEED
    assert evaluate(["do_nothing"], 4, 0, CONFIG)["config"]["population_seed"] == EVAL_POPULATION_SEED


def test_mean_ci_normal_approximation() -> None:
    s = mean_ci(np.array([1.0, 2.0, 3.0, np.nan]))
    assert s["n"] == 3 and s["mean"] == 2.0 and np.isclose(s["ci_high"] - 2.0, 1.959964 / np.sqrt(3))


def test_evaluate_command_writes_outputs(tmp_path, capsys) -> None:
    import argparse

    from twin_env.commands import CommandError
    from twin_env.commands import evaluate as command

    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    argv = [
        "evaluate",
        "--policy",
        "do_nothing",
        "usual_care",
        "--episodes",
        "4",
        "--env-config",
        '{"horizon_years": 0.5}',
    ]
    args = parser.parse_args([*argv, "--out", str(tmp_path)])
    assert args.func(args) == 0
    assert "| usual_care |" in capsys.readouterr().out and (tmp_path / "results.json").is_file()
    shielded = parser.parse_args([*argv, "--shielded"])
    with pytest.raises(CommandError, match="twin_env.safety"):
        shielded.func(shielded)
