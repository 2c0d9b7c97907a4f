"""Unit conversions round-trip; values read in any accepted unit land in the twin's unit; CKD-EPI 2021."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.patient_twin.bundles import bundle, observation
from twin_env import read_record
from twin_env.equations.ckd_epi import egfr_ckd_epi_2021
from twin_env.patient_twin.units import CONVERSIONS_FILE, accepted_units, conversion, plausible_range

ROWS = list(csv.DictReader(resources.files("twin_env.data").joinpath(CONVERSIONS_FILE).open(encoding="utf-8")))
PAIRS = [(r["variable"], r["unit"]) for r in ROWS]


@settings(deadline=None)
@given(pair=st.sampled_from(PAIRS), fraction=st.floats(0.0, 1.0))
def test_conversions_round_trip(pair: tuple[str, str], fraction: float) -> None:
    variable, unit = pair
    low, high, _ = plausible_range(variable)
    twin_value = low + fraction * (high - low)
    factors = conversion(variable, unit)
    assert factors is not None
    assert factors.to_twin(factors.from_twin(twin_value)) == pytest.approx(twin_value, rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(mg_dl=st.floats(30.0, 700.0))
def test_cholesterol_read_in_mg_dl_is_mmol_l(mg_dl: float) -> None:
    record = read_record(bundle(observation("2093-3", mg_dl, "mg/dL")))
    assert record.values("total_chol_mmol_l")[0][1] == pytest.approx(mg_dl / 38.67)


@settings(max_examples=40, deadline=None)
@given(ngsp=st.floats(4.0, 18.0))
def test_hba1c_percent_read_as_ifcc(ngsp: float) -> None:
    record = read_record(bundle(observation("4548-4", ngsp, "%")))
    ifcc = record.values("hba1c_mmol_mol")[0][1]
    assert ifcc == pytest.approx(10.929 * (ngsp - 2.15))
    assert conversion("hba1c_mmol_mol", "%").from_twin(ifcc) == pytest.approx(ngsp)  # type: ignore[union-attr]


def test_every_conversion_row_loads() -> None:
    assert all(conversion(variable, unit) is not None for variable, unit in PAIRS)


def test_unit_strings_match_ignoring_case_and_spaces() -> None:
    assert conversion("total_chol_mmol_l", "mmol/l") == conversion("total_chol_mmol_l", "mmol/L")
    assert conversion("egfr_ml_min_1_73m2", "ml/min/1.73 m2") is not None
    assert conversion("hba1c_mmol_mol", "g/dL") is None
    assert "%" in accepted_units("hba1c_mmol_mol")


def test_ckd_epi_2021_branches_and_sex() -> None:
    # Inker 2021: below kappa the exponent is alpha, above it -1.200; female x 1.012; 0.9938 per year of age.
    at_kappa_female = egfr_ckd_epi_2021(0.7 * 88.42, 50.0, True)
    assert at_kappa_female == pytest.approx(142 * 0.9938**50 * 1.012)
    assert egfr_ckd_epi_2021(0.9 * 88.42, 50.0, False) == pytest.approx(142 * 0.9938**50)
    low = egfr_ckd_epi_2021(0.5 * 88.42, 50.0, True)
    assert low == pytest.approx(142 * (0.5 / 0.7) ** -0.241 * 0.9938**50 * 1.012)
    high = egfr_ckd_epi_2021(2.0 * 88.42, 70.0, False)
    assert high == pytest.approx(142 * (2.0 / 0.9) ** -1.2 * 0.9938**70)
