"""Monitoring: C statistic, calibration, an end-to-end run on a small cohort."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from twin_env.analysis.model_monitoring import c_statistic, c_statistic_brute, calibration, evaluate


@pytest.mark.parametrize("seed", range(5))
def test_c_statistic_matches_brute_force_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 12, size=300).astype(float)  # many ties
    event = rng.random(300) < 0.2 + 0.04 * score
    assert c_statistic(score, event) == pytest.approx(c_statistic_brute(score, event), abs=1e-12)


def test_c_statistic_edge_cases() -> None:
    assert c_statistic([1, 2, 3], [False, True, True]) == 1.0
    assert c_statistic([1, 1, 1], [False, True, True]) == 0.5
    assert np.isnan(c_statistic([1, 2], [False, False]))


def test_calibration_groups() -> None:
    rows = calibration(np.arange(100.0), np.arange(100) >= 90, groups=10)
    assert [r["n"] for r in rows] == [10] * 10 and rows[-1]["events"] == 10


@pytest.mark.parametrize("model", ["qrisk3", "qdiabetes"])
def test_evaluate_end_to_end(model: str, tmp_path) -> None:
    report = evaluate(model, 2000, 3)
    t, r = report.truth, report.record
    assert 0.5 < t["o_e"] < 2.0 and 0.6 < t["c_statistic"] < 0.95
    assert t["refusal_rate_among_eligible"] == 0.0 and r["imputation_rate_among_scored"] > 0.5
    assert r["scored"] > 1000 and len(t["calibration"]) == 10
    paths = report.write(tmp_path)
    assert json.loads(paths[0].read_text())["model"] == report.model
    assert "| observed / expected |" in paths[1].read_text() and "ClinRisk" in paths[1].read_text()


def test_models_evaluate_writes_a_calibration_plot(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from twin_env.cli import main  # noqa: PLC0415

    args = ["models", "evaluate", "--model", "qdiabetes", "--patients", "300", "--seed", "1", "--history-years", "1",
            "--follow-up-years", "2"]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    png = tmp_path / "a" / "calibration.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size < 100_000
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the viz extra were not installed
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert "pip install 'twin_env[viz]'" in capsys.readouterr().err
    written = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert written == [".twin-env-output", "calibration.csv", "report.json", "report.md"]
