"""The patient-twin round trip: its report's keys on a tiny run, its coverage on a moderate one (slow)."""

from __future__ import annotations

import json

import pytest

from twin_env.analysis.patient_twin_roundtrip import COVERED_LEVELS, main, roundtrip


def test_a_tiny_round_trip_reports_coverage_and_calibration(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    assert main(["--patients", "3", "--seed", "2", "--samples", "10", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "patient_twin_roundtrip.json").read_text())
    assert (tmp_path / "patient_twin_roundtrip.png").stat().st_size > 0
    keys = {"patients", "alive_at_end", "unreadable", "twinned", "coverage_90_percent", "undiagnosed", "misses"}
    assert keys | {"coverage_by_readings"} <= set(report)
    assert set(report["coverage_by_readings"]["egfr_ml_min_1_73m2"]) == {"with_readings", "without_readings"}
    assert report["twinned"] + len(report["unreadable"]) == report["alive_at_end"] <= 3
    assert set(report["coverage_90_percent"]) == set(COVERED_LEVELS)
    assert {"pairs", "expected", "observed", "o_e", "by_decile", "by_condition"} <= set(report["undiagnosed"])


def test_bad_arguments_get_one_line_errors(tmp_path, capsys) -> None:
    assert main(["--patients", "0", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == "error: patients must be an integer >= 1, got 0"
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_coverage_of_sbp_and_egfr_on_80_patients() -> None:
    """The 90% intervals cover the original's true usual SBP and eGFR within the issue's target, 85-95% (one
    fixed seed: deterministic; docs/report.md, section 2.1, has the run at 200 patients)."""
    report = roundtrip(80, seed=5, n_samples=100)
    for name in ("sbp_mmhg", "egfr_ml_min_1_73m2"):
        assert 85.0 <= report["coverage_90_percent"][name]["covered_percent"] <= 95.0, name
    assert report["effective_sample_size"]["p05"] >= 20.0
    assert 0.5 <= report["undiagnosed"]["o_e"] <= 2.0
