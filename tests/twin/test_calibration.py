"""Calibration of the twin against published figures (the tables in docs/twin.md come from here)."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin import EventKind, TwinParameters, TwinSimulator, sample_population
from twin_env.twin.calibration import untreated, untreated_incidence
from twin_env.twin.mortality_calibration import expected_deaths, period_life_expectancy
from twin_env.twin.treatment_effects import apply_treatment_effects

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def population_deaths():
    """Expected deaths by cause, sex and age band of the twin's population with baseline care."""
    return expected_deaths(TwinParameters.default(), n_per_band=10_000, seed=11)


@pytest.mark.parametrize("start_age", [40, 60, 80])
def test_period_life_expectancy_matches_ons(start_age: int, population_deaths) -> None:
    """The twin population's death rates by age (all causes) give the ONS period life expectancy.

    (A cohort followed from 40 with no new diagnosis or treatment for life dies sooner: see
    docs/twin.md, Mortality; mortality now depends on the risk factors treatment moves.)
    """
    params = TwinParameters.default()
    le = period_life_expectancy(population_deaths, params, start_age)
    table = params.life_table
    ons = {"female": table.ex_female[start_age], "male": table.ex_male[start_age]}
    for sex in ("female", "male"):
        assert abs(le[sex] - le[f"ons_{sex}"]) < 0.25, (
            f"e{start_age} {sex}: {le[sex]:.2f} vs life table {le[f'ons_{sex}']:.2f}"
        )
        assert abs(le[sex] - ons[sex]) < 1.0, f"e{start_age} {sex}: {le[sex]:.2f} vs ONS {ons[sex]:.2f}"


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
