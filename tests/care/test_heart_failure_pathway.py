"""Suspected heart failure (NICE NG106): the twin's NT-proBNP, the GP's test and referral by its level, the clinic.

Published figures checked: NT-proBNP >= 400 ng/L in about 87% of heart failure (Taylor 2023, the figure
the twin's heart-failure ratio is derived from); the NG106 / QS9 rule (> 2,000 ng/L: clinic within 2
weeks; 400-2,000: within 6 weeks; < 400: not referred).
"""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.care import heart_failure_pathway
from twin_env.care.diagnosis import heart_failure_from_tests
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation
from twin_env.twin import heart_failure_symptoms, natriuretic_peptide
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NEVER


@pytest.fixture(scope="module")
def older() -> Simulation:
    return Simulation.from_population(20000, 0, min_age_years=40, max_age_years=85)


def test_level_moves_with_each_published_determinant() -> None:
    sim = Simulation.from_population(50, 2, min_age_years=50, max_age_years=70)
    s, rows = sim.state, np.arange(50)
    s.heart_failure[:], s.atrial_fibrillation[:] = False, False
    s.egfr_ml_min_1_73m2[:], s.bmi_kg_m2[:] = 90.0, 25.0
    base = natriuretic_peptide.level_ng_l(s, rows)
    p = natriuretic_peptide.PARAMETERS

    def ratio(column: str, value: object) -> np.ndarray:
        saved = s.columns[column].copy()
        s.columns[column][:] = value
        try:
            return natriuretic_peptide.level_ng_l(s, rows) / base
        finally:
            s.columns[column][:] = saved

    np.testing.assert_allclose(ratio("heart_failure", True), p["ntprobnp_heart_failure_ratio"])
    np.testing.assert_allclose(ratio("atrial_fibrillation", True), p["ntprobnp_af_ratio"])
    np.testing.assert_allclose(ratio("egfr_ml_min_1_73m2", 45.0), 2.0 ** p["ntprobnp_egfr_exponent"])
    np.testing.assert_allclose(ratio("bmi_kg_m2", 35.0), p["ntprobnp_ratio_per_5_bmi_above_reference"] ** 2)
    np.testing.assert_allclose(ratio("age_years", s.age_years + 10.0), p["ntprobnp_ratio_per_year_of_age"] ** 10)
    female = ratio("female", True)[~s.female]
    np.testing.assert_allclose(female, p["ntprobnp_female_ratio"])
    np.testing.assert_array_equal(natriuretic_peptide.level_ng_l(s, rows), base)  # a pure function of the state


def test_threshold_400_finds_most_heart_failure_and_few_without(older: Simulation) -> None:
    s = older.state
    level = natriuretic_peptide.level_ng_l(s, np.arange(s.n))
    hf = s.heart_failure
    assert hf.sum() > 100
    assert 0.80 <= (level[hf] >= 400).mean() <= 0.92  # Taylor 2023: about 0.87
    assert (level[~hf] >= 400).mean() < 0.12
    assert np.median(level[hf]) > 5 * np.median(level[~hf])


def test_symptoms_are_far_commoner_with_heart_failure(older: Simulation) -> None:
    s, rows = older.state, np.arange(older.state.n)
    span = np.full(s.n, 3650)  # ten years in one draw
    brought = heart_failure_symptoms.presents(s, rows, np.zeros(s.n, dtype=np.int64), span)
    with_hf, without = brought[s.heart_failure].mean(), brought[~s.heart_failure].mean()
    assert with_hf == pytest.approx(1 - np.exp(-1.0), abs=0.08)  # 0.1 a year for ten years
    assert without < 0.05


def test_gp_refers_by_the_ntprobnp_level_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulation.from_population(6, 4, min_age_years=60, max_age_years=80)
    ctx, care = sim.care, sim._care
    care.diagnosed["heart_failure"][:] = False
    levels = np.array([100.0, 399.0, 400.0, 1500.0, 2001.0, 5000.0])
    monkeypatch.setattr(heart_failure_symptoms, "presents", lambda state, rows, *a, **k: np.ones(rows.size, bool))
    monkeypatch.setattr(natriuretic_peptide, "level_ng_l", lambda state, rows, *a, **k: levels[rows])
    ctx.params = ctx.params.replace(analytic_cv_ntprobnp=0.0)
    before = len(sim.ledger)
    day0 = care.days.copy()
    heart_failure_pathway.suspect(ctx, day0, np.full(6, 30), np.zeros(6, dtype=np.int64))
    new = sim.ledger.since(before)
    results = new["value"][(new["kind"] == LedgerKind.TEST_RESULT) & (new["concept"] == Concept.NTPROBNP)]
    np.testing.assert_array_equal(np.sort(results), levels)
    orders = (new["kind"] == LedgerKind.TEST_ORDER) & (new["concept"] == Concept.TEST_NTPROBNP)
    assert orders.sum() == 6
    referred = np.unique(new["patient"][new["kind"] == LedgerKind.REFERRAL]) - sim.ledger.first_id
    np.testing.assert_array_equal(referred, [2, 3, 4, 5])
    booked = care.clinic_day["cardiology"].astype(np.int64)
    assert (booked[:2] == NEVER).all()
    wait = booked[2:] - day0[2:]  # seen within the 30-day step, then the clinic within the target
    assert (wait[:2] <= 30 + 42).all() and (wait[2:] <= 30 + 14).all()
    np.testing.assert_array_equal(care.referral_ntprobnp_ng_l[2:], levels[2:])
    assert np.isnan(care.referral_ntprobnp_ng_l[:2]).all()


def test_assessment_within_the_nice_targets() -> None:
    sim = Simulation.from_population(2, 1)
    u = np.linspace(0.0, 0.999, 200)
    urgent = heart_failure_pathway.assessment_wait_days(sim.care, np.full(200, 2500.0), u)
    routine = heart_failure_pathway.assessment_wait_days(sim.care, np.full(200, 900.0), u)
    assert urgent.min() >= 1 and urgent.max() == 14
    assert routine.min() >= 1 and routine.max() == 42


def test_clinic_without_a_referral_ntprobnp_decides_on_the_echo() -> None:
    sim = Simulation.from_population(3, 1, min_age_years=60, max_age_years=80)
    sim.diagnosed["heart_failure"][:] = False
    rows = np.arange(3)
    ntprobnp = np.array([np.nan, np.nan, 350.0])
    echo = np.array([True, False, True])
    heart_failure_from_tests(sim.care, rows, np.full(3, sim.day), np.full(3, -1), ntprobnp, echo)
    np.testing.assert_array_equal(sim.diagnosed["heart_failure"], [True, False, False])
