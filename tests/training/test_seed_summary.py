"""Across-seed summaries: rliable's mean and IQM against numpy/scipy, deterministic intervals, honest selection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

pytest.importorskip("rliable", reason="the sb3 extra is not installed")

from twin_env.training import seed_summary  # noqa: E402
from twin_env.training.seed_summary import across_seeds, main, summarise  # noqa: E402


@pytest.fixture(autouse=True)
def _few_bootstrap_reps(monkeypatch: pytest.MonkeyPatch) -> None:
    """rliable's bootstrap loops in Python: 500 replications keep this file fast (the command uses 2,000)."""
    monkeypatch.setattr(seed_summary, "BOOTSTRAP_REPS", 500)


def _run(root: Path, seed: int, kept: float, last: float, cost_limit: float | None) -> Path:
    run = root / f"seed_{seed}"
    run.mkdir(parents=True)
    selected = {"timesteps": 64, "nmb_vs_do_nothing_gbp": kept, "ci_low_gbp": kept - 100, "ci_high_gbp": kept + 100}
    lagrangian = None if cost_limit is None else {"cost_limit_per_episode": cost_limit, "final_multiplier": 0.5}
    config = {
        "seed": seed,
        "trained_timesteps": 128,
        "training_minutes": 1.0,
        "shield": "replace",
        "lagrangian": lagrangian,
        "validation": {"patients": 10, "selected": selected},
    }
    (run / "config.json").write_text(json.dumps(config))
    with (run / "validation_curve.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timesteps", "nmb_vs_do_nothing_gbp"])
        writer.writerows([[64, kept], [128, last]])
    return run


def test_mean_and_iqm_match_numpy_and_scipy_and_the_interval_is_deterministic() -> None:
    scores = [-300.0, 120.0, 40.0, 900.0, -50.0, 10.0, 75.0, 200.0]
    summary = across_seeds(scores, reps=500)
    assert summary["mean"] == pytest.approx(np.mean(scores))
    assert summary["iqm"] == pytest.approx(stats.trim_mean(scores, 0.25))
    for key in ("mean", "iqm"):
        low, high = summary[f"{key}_ci"]
        assert min(scores) <= low <= summary[key] <= high <= max(scores)
    before = np.random.get_state()[1].copy()
    assert across_seeds(scores, reps=500) == summary
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # numpy's global generator left as it was
    with pytest.raises(ValueError, match="at least 2 runs, got 1"):
        across_seeds([1.0])


def test_the_selected_run_is_the_best_validation_score_over_all_groups(tmp_path: Path) -> None:
    plain = [_run(tmp_path / "plain", s, k, k - 10, None) for s, k in ((0, 100.0), (1, -20.0))]
    lagr = [_run(tmp_path / "lagrangian", s, k, k + 5, 0.1) for s, k in ((0, 50.0), (1, 400.0), (2, 10.0))]
    summary = summarise({"plain": plain, "lagrangian": lagr})
    assert (summary["selected"]["group"], summary["selected"]["seed"]) == ("lagrangian", 1)
    group = summary["groups"]["lagrangian"]
    assert group["kept_checkpoint"]["mean"] == pytest.approx(460.0 / 3)
    assert group["last_checkpoint"]["mean"] == pytest.approx(475.0 / 3)
    assert [r["cost_limit_per_episode"] for r in group["runs"]] == [0.1, 0.1, 0.1]


def test_the_command_prints_the_table_and_refuses_a_group_without_runs(tmp_path: Path, capsys) -> None:
    for s, k in ((0, 100.0), (1, -20.0)):
        _run(tmp_path / "plain", s, k, k, None)
    assert main([str(tmp_path / "plain"), "--json", str(tmp_path / "summary.json")]) == 0
    out = capsys.readouterr().out
    assert "| plain | 0 | 128 | 1.0 | - | 64 | +100 (+0 to +200) | +100 |" in out and "selected: plain seed 0" in out
    assert json.loads((tmp_path / "summary.json").read_text())["selected"]["seed"] == 0
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit):
        main([str(tmp_path / "empty")])
    assert "hold fewer than 2 finished seed_<S>/ runs" in capsys.readouterr().err
