"""Evaluation: CIs for every metric and audit, deterministic, same patients for every policy, any population,
shielded runs and plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin_env.evaluation.audits import AUDIT_METRICS, REPORTED_AGE_BANDS
from twin_env.evaluation.cohorts import EVAL_POPULATION_SEED, TRAIN_POPULATION_SEED, evaluation_population
from twin_env.evaluation.evaluate import SUMMARY_COLUMNS, evaluate, markdown_table, report_markdown, write_outputs
from twin_env.evaluation.metrics import METRICS, SAFETY_METRICS, mean_ci

CONFIG = {"horizon_years": 1}


def test_results_have_cis_and_are_deterministic(tmp_path) -> None:
    a = evaluate(["do_nothing", "nice_guideline"], 12, 3, CONFIG)
    b = evaluate(["do_nothing", "nice_guideline"], 12, 3, CONFIG)
    assert json.dumps(a, default=str) == json.dumps(b, default=str)
    for r in a["policies"].values():
        assert set(r["metrics"]) == set(METRICS) | set(AUDIT_METRICS)
        assert set(r["by_age_band"]) >= set(REPORTED_AGE_BANDS)
        assert sum(band["nmb_gbp"]["n"] for band in r["by_age_band"].values()) == 12
        for s in r["metrics"].values():
            assert s["n"] == 0 or np.isnan(s["ci_low"]) or s["ci_low"] <= s["mean"] <= s["ci_high"], s
            assert s["n"] < 2 or s["ci_low"] <= s["mean"] <= s["ci_high"], s
        assert r["metrics"]["nmb_gbp"]["n"] == 12
    assert a["policies"]["do_nothing"]["nmb_vs_do_nothing_gbp"]["mean"] == 0.0
    nice = a["policies"]["nice_guideline"]
    assert nice["nmb_vs_do_nothing_gbp"] == nice["paired_differences"]["do_nothing"]["nmb_gbp"]
    assert set(a["policies"]["do_nothing"]["paired_differences"]) == {"nice_guideline"}
    assert "| do_nothing |" in markdown_table(a)
    assert "| nice_guideline | 40-49 |" in report_markdown(a) and "Paired differences against do_nothing" in (
        report_markdown(a)
    )
    assert write_outputs(a, tmp_path, plots=False) == []
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "table.md", "outcomes.csv", "per_patient.csv"}
    json.loads((tmp_path / "results.json").read_text())
    assert ",70+" in (tmp_path / "outcomes.csv").read_text()
    assert set(nice["safety"]) == {k for k in AUDIT_METRICS if k.startswith("record_hard_violations")}
    assert "violations proposed" not in markdown_table(a)


def test_shielded_evaluation_reports_proposed_and_executed_violations(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    r = evaluate(["do_nothing", "random"], 24, 0, {"horizon_years": 2}, shielded=True)
    for p in r["policies"].values():
        assert set(p["metrics"]) == set(METRICS) | set(SAFETY_METRICS) | set(AUDIT_METRICS)
        assert p["safety"]["executed_hard_violations"] == 0 and p["metrics"]["executed_hard_violations"]["mean"] == 0
        key = "record_hard_violations_per_patient"
        by_issuer = sum(p["safety"][f"{key}_{i}"] for i in ("agent", "repeats", "hospital"))
        assert p["safety"][key] == by_issuer
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
    r = evaluate(["do_nothing"], 4, 0, CONFIG)
    assert r["config"]["population_seed"] == r["population_seed"] == EVAL_POPULATION_SEED
    assert r["population"] == "evaluation"


def test_another_population_gives_other_patients() -> None:
    config = {"horizon_years": 0.25}
    default = evaluate(["do_nothing"], 4, 0, config)["per_patient"]["do_nothing"]["start_age_years"]
    other = evaluate(["do_nothing"], 4, 0, config, population_seed=123)
    assert other["config"]["population_seed"] == 123 and other["population"] == "other"
    assert other["per_patient"]["do_nothing"]["start_age_years"] != default
    from_config = evaluate(["do_nothing"], 4, 0, {**config, "population_seed": 123})
    assert json.dumps(from_config["per_patient"]) == json.dumps(other["per_patient"])


def test_the_population_is_never_chosen_silently() -> None:
    assert evaluation_population(None, None) == EVAL_POPULATION_SEED
    assert evaluation_population({"population_seed": 5}, None) == 5 == evaluation_population({}, 5)
    assert evaluation_population({"population_seed": 5}, 5) == 5
    with pytest.raises(ValueError, match="population_seed 5 in the env config contradicts the population seed 6"):
        evaluation_population({"population_seed": 5}, 6)


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


def test_a_model_that_expects_other_observations_is_refused() -> None:
    from twin_env.envs.config import EnvConfig
    from twin_env.envs.vector_env import PrimaryCareVectorEnv
    from twin_env.policies import DoNothingPolicy

    class RecordModel(DoNothingPolicy):
        name = "record_model"
        observation_space = PrimaryCareVectorEnv(1, EnvConfig()).single_observation_space

    with pytest.raises(ValueError, match=r"record_model expects other observations than this env gives \(differing"):
        evaluate([RecordModel()], 2, 0, {"horizon_years": 0.25, "observation_mode": "record+truth"})
    assert evaluate([RecordModel()], 2, 0, {"horizon_years": 0.25})["policies"]["record_model"]["metrics"]
