"""levels_on: the past of a candidate is the twin's own eGFR decline run back, at each date's rates."""

from __future__ import annotations

import datetime as dt

import numpy as np

from twin_env.patient_twin.levels import levels_on
from twin_env.patient_twin.record import PatientRecord, Prescription
from twin_env.twin.cohort import resolve_parameters, sample_population
from twin_env.twin.state import PatientState

AS_OF = dt.date(2025, 6, 1)
BIRTH = dt.date(1965, 6, 1)  # 60 on as_of


def _candidates(sbp_shift_mmhg: float) -> PatientState:
    """Four non-diabetic 60-year-old women with ACR 1 (no albuminuria), SBP shifted by ``sbp_shift_mmhg``."""
    state, _ = sample_population(4, 0, min_age=60.0, max_age=60.0, given={"female": True})
    state.type1_diabetes = False
    state.type2_diabetes = False
    state.acr_mg_mmol = np.float32(1.0)
    state.sbp_shift_mmhg = np.float32(sbp_shift_mmhg)
    state.sglt2 = 0.0
    return state


def test_the_egfr_runs_back_at_the_twins_decline() -> None:
    params = resolve_parameters(None)
    record = PatientRecord(birth_date=BIRTH, female=True, as_of=AS_OF)
    state = _candidates(-200.0)  # SBP at its floor: only the age decline (0.8 a year after 40)
    dates = [AS_OF - dt.timedelta(days=round(2 * 365.25)), AS_OF]
    egfr = levels_on(state, record, dates, ("egfr_ml_min_1_73m2",), params)["egfr_ml_min_1_73m2"]
    years = (dates[1] - dates[0]).days / 365.25
    np.testing.assert_allclose(egfr[:, 0] - egfr[:, 1], years * params["egfr_decline_per_year_after_40"], atol=1e-6)
    assert (state.egfr_ml_min_1_73m2 == egfr[:, 1]).all()  # the candidates are not changed


def test_before_a_bp_drug_started_the_decline_was_faster() -> None:
    """Two years back, a year before amlodipine started: the untreated year declined at the higher SBP's rate."""
    params = resolve_parameters(None)
    dates = [AS_OF - dt.timedelta(days=round(2 * 365.25))]
    untreated = PatientRecord(birth_date=BIRTH, female=True, as_of=AS_OF)
    started = dt.date(2024, 6, 1)
    treated = PatientRecord(
        birth_date=BIRTH, female=True, as_of=AS_OF, prescriptions=(Prescription("dose_ccb", 2.0, started, AS_OF),)
    )
    state = _candidates(40.0)  # SBP well above 140 untreated
    on_drug_since = levels_on(state, treated, dates, ("egfr_ml_min_1_73m2",), params)["egfr_ml_min_1_73m2"][:, 0]
    never = levels_on(state, untreated, dates, ("egfr_ml_min_1_73m2",), params)["egfr_ml_min_1_73m2"][:, 0]
    assert (never > on_drug_since).all()  # untreated all along: SBP higher both years, so more decline to undo
