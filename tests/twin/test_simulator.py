"""Natural history: treatment effects, events, state bookkeeping and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin import EventKind, PatientState, TwinParameters, TwinSimulator, sample_population
from twin_env.twin.calibration import untreated
from twin_env.twin.treatment_effects import apply_treatment_effects, bp_falls_mmhg


@pytest.fixture
def cohort() -> PatientState:
    state, _ = sample_population(5_000, 17, min_age=40, max_age=74)
    return state


def test_state_is_under_one_kilobyte_per_patient(cohort: PatientState) -> None:
    assert cohort.nbytes / cohort.n <= 1024


def test_law_dose_response_and_additivity(cohort: PatientState) -> None:
    params = TwinParameters.default()
    untreated(cohort, params)
    cohort.adherence = 1.0
    base = cohort.sbp_mmhg.copy()
    cohort.dose_ccb = 0.5
    apply_treatment_effects(cohort, params)
    half = base - cohort.sbp_mmhg
    cohort.dose_ccb = 1.0
    apply_treatment_effects(cohort, params)
    standard = base - cohort.sbp_mmhg
    cohort.dose_acei = 1.0
    apply_treatment_effects(cohort, params)
    two_drugs = base - cohort.sbp_mmhg
    trial_effect, _ = bp_falls_mmhg(cohort, params, np.ones(cohort.n))  # Law's falls add at trial adherence
    at_reference = np.abs(cohort.sbp_untreated_mmhg - 154.0) < 0.5
    assert standard[at_reference] == pytest.approx(9.1, abs=0.1)
    assert half[at_reference] == pytest.approx(7.1, abs=0.1)
    assert np.allclose(trial_effect, 2 * standard)
    # a second drug lowers adherence to both (twin.treatment_burden)
    assert np.allclose(two_drugs, 2 * standard * params["adherence_multiplier_per_extra_drug"])
    higher = cohort.sbp_untreated_mmhg > 164
    assert standard[higher].mean() > standard[at_reference].mean() + 1.0


def test_statin_lowers_ldl_by_its_intensity(cohort: PatientState) -> None:
    params = TwinParameters.default()
    untreated(cohort, params)  # the statin alone: other drugs would lower adherence (twin.treatment_burden)
    cohort.adherence = 1.0
    cohort.statin_ldl_reduction = params.statin_ldl_reduction[("atorvastatin", 20)]
    apply_treatment_effects(cohort, params)
    assert np.allclose(cohort.ldl_mmol_l, cohort.ldl_untreated_mmol_l * (1 - 0.43))


def test_metformin_lowers_hba1c() -> None:
    state, _ = sample_population(20_000, 5, min_age=40, max_age=80)
    params = TwinParameters.default()
    diabetic = np.flatnonzero(state.type2_diabetes)
    sub = state.take(diabetic)
    untreated(sub, params)
    before = sub.hba1c_mmol_mol.copy()
    sub.adherence = 1.0
    sub.metformin_mg_day = 2000.0
    apply_treatment_effects(sub, params)
    # 2 g a day is taken three times a day: Claxton's adherence ratio to once daily (twin.treatment_burden)
    assert np.allclose(before - sub.hba1c_mmol_mol, 12.0 * params["adherence_multiplier_3_per_day"])
    sub.metformin_mg_day = 500.0  # once daily
    apply_treatment_effects(sub, params)
    assert np.allclose(before - sub.hba1c_mmol_mol, 12.0 * np.sqrt(500.0 / 2000.0))


def test_events_update_conditions_and_death_is_final() -> None:
    state, _ = sample_population(20_000, 23, min_age=60, max_age=85)
    simulator = TwinSimulator()
    for _ in range(60):
        before_alive = state.alive.copy()
        age_before = state.age_years.copy()
        events = simulator.step(state)
        mi = events.kind == EventKind.MYOCARDIAL_INFARCTION
        assert state.myocardial_infarction[mi].all() and state.chd[mi].all()
        assert state.heart_failure[events.kind == EventKind.HEART_FAILURE].all()
        assert state.type2_diabetes[events.kind == EventKind.TYPE2_DIABETES].all()
        assert not state.alive[events.died].any()
        assert np.array_equal(events.died, before_alive & ~state.alive)
        dead = ~before_alive
        assert np.all(events.kind[dead] == EventKind.NONE)
        assert np.array_equal(state.age_years[dead], age_before[dead])
    assert (~state.alive).sum() > 100


def test_treatment_stops_end_the_drug() -> None:
    state, _ = sample_population(20_000, 29, min_age=50, max_age=80)
    simulator = TwinSimulator()
    on_statin = state.statin_ldl_reduction > 0
    stopped_any = False
    for _ in range(24):
        events = simulator.step(state)
        stopped = events.treatment_stopped >= 0
        stopped_any |= stopped.any()
    assert stopped_any
    assert (state.statin_ldl_reduction[on_statin] == 0).mean() > 0.1


def test_onsets_follow_physiology() -> None:
    state, _ = sample_population(20_000, 37, min_age=50, max_age=70)
    simulator = TwinSimulator()
    for _ in range(24):
        events = simulator.step(state)
        onset = events.hypertension_onset
        assert ((state.sbp_untreated_mmhg[onset] >= 140) | (state.dbp_untreated_mmhg[onset] >= 90)).all()
        assert (state.egfr_ml_min_1_73m2[events.ckd_onset] < 60).all()


@pytest.mark.parametrize("dt", [0.0, -0.1, 0.5])
def test_bad_time_step(cohort: PatientState, dt: float) -> None:
    with pytest.raises(ValueError, match="dt_years"):
        TwinSimulator().step(cohort, dt)


def test_bad_state_columns() -> None:
    with pytest.raises(ValueError, match="missing"):
        PatientState({"age_years": np.zeros(3)})
