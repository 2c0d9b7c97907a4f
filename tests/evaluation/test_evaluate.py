"""Evaluation: CIs for every metric, deterministic, same patients for every policy, shielded runs and plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin_env.evaluation.cohorts import EVAL_POPULATION_SEED, TRAIN_POPULATION_SEED
from twin_env.evaluation.evaluate import SUMMARY_COLUMNS, evaluate, markdown_table, write_outputs
from twin_env.evaluation.metrics import METRICS, RECORD_SAFETY_METRICS, SAFETY_METRICS, mean_ci

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
    assert write_outputs(a, tmp_path, plots=False) == []
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "table.md", "outcomes.csv", "per_patient.csv"}
    json.loads((tmp_path / "results.json").read_text())
    assert a["policies"]["nice_guideline"]["safety"] is None and "violations" not in markdown_table(a)


def test_shielded_evaluation_reports_proposed_and_executed_violations(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    r = evaluate(["do_nothing", "random"], 24, 0, {"horizon_years": 2}, shielded=True)
    for p in r["policies"].values():
        assert set(p["metrics"]) == set(METRICS) | set(SAFETY_METRICS) | set(RECORD_SAFETY_METRICS)
        assert p["safety"]["executed_hard_violations"] == 0 and p["metrics"]["executed_hard_violations"]["mean"] == 0
        by_issuer = sum(p["safety"][f"record_hard_violations_{i}"] for i in ("agent", "repeats", "hospital"))
        assert p["safety"]["record_hard_violations"] == by_issuer
        assert (
            p["safety"]["record_hard_violations_repeats"] == 0 and p["safety"]["record_hard_violations_hospital"] == 0
        )
    assert r["policies"]["do_nothing"]["safety"]["proposed_hard_violations"] == 0
    assert r["policies"]["random"]["safety"]["proposed_hard_violations"] > 0
    assert "hard violations executed" in markdown_table(r)
    assert "hard violations executed" in markdown_table(r, SUMMARY_COLUMNS) and "tests" not in markdown_table(
        r, SUMMARY_COLUMNS
    )
    timeline = r["timelines"]["random"]
    assert timeline["actions"] and timeline["sbp"] and timeline["start_day"] < timeline["end_day"]
    assert all(timeline["start_day"] <= d <= timeline["end_day"] for d, *_ in timeline["actions"])
    pngs = write_outputs(r, tmp_path)
    assert sorted(p.name for p in pngs) == ["outcomes.png", "timeline_do_nothing.png", "timeline_random.png"]
    assert all(p.stat().st_size < 200_000 and p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    assert "proposed_hard_violations" in (tmp_path / "per_patient.csv").read_text().splitlines()[0]


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
    args = parser.parse_args([*argv, "--out", str(tmp_path), "--no-plots"])
    assert args.func(args) == 0
    assert "| usual_care |" in capsys.readouterr().out and (tmp_path / "results.json").is_file()
    assert not list(tmp_path.glob("*.png"))
    shielded = parser.parse_args([*argv, "--shielded"])
    assert shielded.func(shielded) == 0 and "hard violations executed" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # refused while parsing: one line naming --episodes (tests/test_bad_inputs.py)
        parser.parse_args([*argv, "--episodes", "1"])
    with pytest.raises(CommandError, match="--policy"):
        unknown = parser.parse_args([*argv[:1], "--policy", "no_such_policy"])
        unknown.func(unknown)


def test_missing_matplotlib_is_a_clear_error(tmp_path, monkeypatch) -> None:
    import sys

    r = evaluate(["do_nothing"], 3, 0, {"horizon_years": 0.25})
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"twin-env\[viz\]"):
        write_outputs(r, tmp_path)
    assert (tmp_path / "results.json").is_file()


class _Trained:
    def __init__(self, name: str, **env_config: object) -> None:
        self.name, self.env_config = name, env_config


def test_evaluation_uses_the_trained_models_decision_interval() -> None:
    from twin_env.evaluation.evaluate import evaluation_overrides
    from twin_env.policies import DoNothingPolicy

    a, b = (
        _Trained("a", decision_interval_months=3, observation_mode="record"),
        _Trained("b", decision_interval_months=1),
    )
    assert evaluation_overrides({"horizon_years": 2}, [DoNothingPolicy(), a]) == {
        "horizon_years": 2,
        "decision_interval_months": 3,
        "observation_mode": "record",
        "action_set": "v0",  # a saved config without the key was trained on the v0 catalogue
    }
    assert evaluation_overrides(None, [DoNothingPolicy()]) == {}
    with pytest.raises(
        ValueError, match="a was trained with action_set='v0' but the evaluation config sets action_set='v1'"
    ):
        evaluation_overrides({"action_set": "v1"}, [a])
    assert evaluation_overrides(None, [_Trained("c", action_set="v1")]) == {"action_set": "v1"}
    with pytest.raises(ValueError, match=r"trained models disagree on decision_interval_months \(\{'a': 3, 'b': 1\}\)"):
        evaluation_overrides(None, [a, b])
    with pytest.raises(ValueError, match="a was trained with decision_interval_months=3"):
        evaluation_overrides({"decision_interval_months": 6}, [a])


def test_interval_gap_is_positive_only_for_disjoint_intervals() -> None:
    from twin_env.evaluation.evaluate import interval_gap

    ci = lambda lo, hi: {"metrics": {"nmb_gbp": {"ci_low": lo, "ci_high": hi}}}  # noqa: E731
    results = {"policies": {"a": ci(10.0, 20.0), "b": ci(0.0, 9.0), "c": ci(5.0, 12.0)}}
    assert interval_gap(results, "a", "b") == 1.0 and interval_gap(results, "a", "c") == -2.0
