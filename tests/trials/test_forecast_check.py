"""The forecast calibration check: its arithmetic by hand, and a small run end to end (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.analysis.patient_twin_cohort import decile_calibration as calibration
from twin_env.trials.forecast_check import CHECKED_OUTCOMES, forecast_check, table


def test_calibration_by_hand() -> None:
    predicted = np.array([0.0, 0.1, 0.1, 0.2, 0.6, 0.0, 0.3, 0.3, 0.2, 0.2])
    observed = np.array([False, False, True, False, True, False, False, True, False, False])
    c = calibration(predicted, observed)
    assert c["expected"] == 2.0 and c["observed"] == 3 and c["o_e"] == 1.5 and c["n"] == 10
    assert [d["n"] for d in c["by_decile"]] == [1] * 10
    assert c["by_decile"][-1] == {"n": 1, "predicted_percent": 60.0, "observed_percent": 100.0}
    assert calibration(np.zeros(3), np.zeros(3, dtype=bool))["o_e"] is None


def test_bad_patients_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="patients must be an integer >= 1"):
        forecast_check(0, 1)


@pytest.mark.slow
def test_a_small_check_end_to_end() -> None:
    report = forecast_check(12, 3, n_samples=4)
    assert report["twinned"] + len(report["unreadable"]) == report["alive_at_export"] <= 12
    assert list(report["outcomes"]) == list(CHECKED_OUTCOMES)
    for c in report["outcomes"].values():
        assert c["n"] == report["twinned"] and 0 <= c["expected"] <= c["n"]
    assert "O/E" in table(report)
