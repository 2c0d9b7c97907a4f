"""Record quality against the truth: measured artefacts match the configuration; none without them."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.analysis import record_quality as quality
from twin_env.analysis.record_quality import Check, QualityReport, measure
from twin_env.record import ArtefactConfig


@pytest.fixture(scope="module")
def on(with_artefacts) -> QualityReport:  # 1,500 patients x 5 years, seed 3 (conftest)
    return measure(with_artefacts, seed=3, years=5.0)


@pytest.fixture(scope="module")
def off(without_artefacts) -> QualityReport:  # 300 patients x 5 years, artefacts off
    return measure(without_artefacts, seed=3, years=5.0)


def test_one_check_per_artefact_setting(on: QualityReport) -> None:
    import dataclasses

    assert [c.setting for c in on.checks] == [f.name for f in dataclasses.fields(ArtefactConfig)]


def test_measured_artefacts_match_the_configuration(on: QualityReport) -> None:
    checked = [c for c in on.checks if c.ok is not None]
    assert len(checked) == len(on.checks), [c.setting for c in on.checks if c.ok is None]
    assert [c.setting for c in checked if not c.ok] == []
    # the common artefacts are measured tightly, not just within wide intervals
    assert on.check("lab_delay_median_days").measured == 1
    assert on.check("lab_delay_sigma_log").measured == 2  # rint(1 * exp(1.2816 * 0.6))
    assert abs(on.check("bp_not_recorded_probability").measured - 0.05) < 0.01
    assert abs(on.check("lab_duplicate_probability").measured - 0.02) < 0.005


def test_a_wrong_configuration_is_detected(with_artefacts) -> None:
    wrong = ArtefactConfig.default().replace(
        bp_not_recorded_probability=0.10, lab_delay_median_days=3.0, letter_lost_probability=0.3
    )
    report = measure(with_artefacts, wrong)
    assert report.check("bp_not_recorded_probability").ok is False
    assert report.check("lab_delay_median_days").ok is False
    assert report.check("letter_lost_probability").ok is False
    assert report.check("lab_duplicate_probability").ok is True


def test_no_artefacts_gives_a_record_that_agrees_with_the_truth(off: QualityReport) -> None:
    assert not off.artefacts
    for name, (share, n) in off.completeness.items():
        assert n > 0 and share == 1.0, name
    for name, (share, n) in off.correctness.items():
        assert n > 0 and share == 0.0, name
    record_delays = [k for k in off.delays if "onset" not in k]
    for name in record_delays:
        assert np.all(off.delays[name] == 0), name
    for row in off.conditions:
        assert row["coded_among_diagnosed"] == 1.0
        assert row["coded_share"] == row["diagnosed_share"]
    for row in off.items:
        assert row["items"] == row["events"], row  # no duplicates
        assert row["value_differs"] in (0.0,) or np.isnan(row["value_differs"]), row
    # onset -> GP code is then exactly onset -> clinician's diagnosis (the care process, not the record)
    for condition in quality.ONSET_CONCEPT:
        np.testing.assert_array_equal(
            off.delays[f"{condition}_onset_to_diagnosis"], off.delays[f"{condition}_onset_to_gp_code"]
        )
    assert all(c.ok in (True, None) for c in off.checks)


def test_artefacts_make_the_record_incomplete_and_late(on: QualityReport) -> None:
    for row in on.conditions:
        assert row["coded_share"] <= row["diagnosed_share"]
        # heart failure is diagnosed in hospital and coded from letters (5% lost, 30% never coded)
        floor = 0.5 if row["condition"] == "heart_failure" else 0.7
        assert floor < row["coded_among_diagnosed"] <= 1.0, row
        # CKD with albuminuria is found only where ACR is tested (diabetes and CKD 3-5 reviews), and its truth
        # moves on after coding (ACR falls under RAAS blockade; eGFR falls below 60)
        ppv, sensitivity = (0.5, 0.05) if row["condition"] == "ckd_albuminuria" else (0.8, 0.3)
        assert row["ppv"] > ppv and sensitivity < row["sensitivity"] < 1.0, row  # from readings: below one
    # baseline history is always coded; diagnoses made during the run can be left uncoded
    hypertension = next(r for r in on.conditions if r["condition"] == "hypertension")
    assert hypertension["coded_among_diagnosed"] < 1.0
    assert np.median(on.delays["hospital_diagnosis_to_gp_code"]) > np.median(on.delays["discharge_letter"])


def test_share_check_tolerance() -> None:
    assert quality._share_check("x_probability", 0.1, 0.1, 100).ok is True
    assert quality._share_check("x_probability", 0.1, 0.3, 100).ok is False
    assert quality._share_check("x_probability", 0.0, 0.01, 100).ok is False
    assert quality._share_check("x_probability", 0.1, float("nan"), 0).ok is None
    median, p90 = quality._delay_checks("x", 7.0, 0.7, np.full(1000, 7))
    assert isinstance(median, Check) and median.ok is True and p90.ok is False


def test_command_line(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "delays.png"
    assert quality.main(["--patients", "120", "--years", "2", "--seed", "1", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Configured vs measured" in out and "| lab_delay_median_days | 1 |" in out
    assert png.stat().st_size > 1000
    with pytest.raises(SystemExit):
        quality.main(["--patients", "0"])
