"""Recorded prevalence after a year of care: QOF registers and published figures by age, sex, deprivation."""

from __future__ import annotations

import math

import pytest

from twin_env.analysis import recorded_prevalence as rp
from twin_env.simulation import Simulation, simulate
from twin_env.twin.parameters import TwinParameters

#: QOF 2019/20 register -> (the twin's condition, register minimum age)
QOF = {"hypertension": ("hypertension", 0), "diabetes": ("type2_diabetes", 17), "ckd_stage_3_5": ("ckd_3_5", 18)}
#: Relative tolerance against QOF, beyond the cohort's own sampling error (3 binomial SEs).
QOF_RELATIVE_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def year_of_care() -> Simulation:
    return simulate(8000, 0, 1.0)  # all ages, as QOF's registers


def test_published_file_has_a_source_status_and_tolerance_for_every_figure() -> None:
    for row in rp.published():
        assert row["status"] in {"verified", "verified-secondary", "derived", "unverified"}, row
        assert row["source"].strip() and float(row["tolerance"]) > 0, row
        assert row["condition"] in rp.CONDITION_PROBLEMS, row


@pytest.mark.slow
@pytest.mark.parametrize("register", sorted(QOF))
def test_recorded_prevalence_after_a_year_matches_qof(year_of_care: Simulation, register: str) -> None:
    condition, min_age = QOF[register]
    s = year_of_care.state
    living = s.alive & (s.age_years >= min_age)
    share = float(rp.coded_at_end(year_of_care, condition)[living].mean())
    target = TwinParameters.default().qof_prevalence_percent[register] / 100
    se = math.sqrt(share * (1 - share) / living.sum())
    assert abs(share - target) <= QOF_RELATIVE_TOLERANCE * target + 3 * se, f"{register}: {share:.4f} vs QOF {target}"


@pytest.mark.slow
def test_recorded_prevalence_by_age_sex_and_deprivation_matches_published_figures(year_of_care: Simulation) -> None:
    rows = rp.measure(year_of_care)
    compared = [r for r in rows if r.ok is not None]
    assert len(compared) == len(rows)  # an all-ages cohort spans every band
    assert [r for r in compared if not r.ok] == []
    markdown = rp.to_markdown(rows)
    assert markdown.count("| yes |") == len(rows)


def test_a_cohort_that_does_not_span_a_band_is_not_compared() -> None:
    sim = simulate(200, 1, 1 / 12, min_age_years=50, max_age_years=60)
    rows = rp.measure(sim)
    assert all(r.ok is None for r in rows if r.age_lower < 49 or r.age_upper < 100)
