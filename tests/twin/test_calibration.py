"""Calibration of the twin against published figures (the tables in docs/twin.md come from here)."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin import EventKind, TwinParameters, TwinSimulator, sample_population
from twin_env.twin.calibration import life_expectancy, untreated, untreated_incidence
from twin_env.twin.treatment_effects import apply_treatment_effects

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("start_age", [40.0, 60.0, 80.0])
def test_life_expectancy_matches_ons(start_age: float) -> None:
    simulated = life_expectancy(start_age, n=20_000, seed=11)
    table = TwinParameters.default().life_table
    ons = {"female": table.ex_female[int(start_age)], "male": table.ex_male[int(start_age)]}
    for sex in ("female", "male"):
        assert abs(simulated[sex] - ons[sex]) < 1.0, (
            f"e{start_age:.0f} {sex}: {simulated[sex]:.2f} vs ONS {ons[sex]:.2f}"
        )


def test_untreated_incidence_matches_risk_equations() -> None:
    cvd, t2d = untreated_incidence(n=60_000, seed=7)
    assert cvd.ratio == pytest.approx(1.0, abs=0.10), cvd
    assert t2d.ratio == pytest.approx(1.0, abs=0.10), t2d


def test_ten_mmhg_lower_sbp_gives_ettehad_relative_risk() -> None:
    """Treating to exactly 10 mmHg lower SBP: major CVD (CHD, stroke/TIA, heart failure) RR about 0.80."""
    params = TwinParameters.default().replace(
        law_bp_fall_standard_dose_sbp_mmhg=10.0,
        law_extra_fall_sbp_per_10mmhg_pretreatment=0.0,
        stop_per_year_antihypertensive=0.0,
    )
    control, _ = sample_population(60_000, 31, min_age=40, max_age=74, config=params)
    untreated(control, params)
    control.adherence = 1.0
    treated = control.copy()
    treated.dose_ccb = 1.0
    twin = TwinSimulator(params)
    apply_treatment_effects(treated, params)
    assert np.allclose(control.sbp_mmhg - treated.sbp_mmhg, 10.0)
    major = (
        EventKind.MYOCARDIAL_INFARCTION,
        EventKind.ANGINA,
        EventKind.STROKE,
        EventKind.TIA,
        EventKind.HEART_FAILURE,
    )
    events = {"control": np.zeros(control.n, bool), "treated": np.zeros(control.n, bool)}
    for _ in range(120):
        events["control"] |= np.isin(twin.step(control).kind, major)
        events["treated"] |= np.isin(twin.step(treated).kind, major)
    relative_risk = events["treated"].mean() / events["control"].mean()
    assert relative_risk == pytest.approx(0.80, abs=0.05)
