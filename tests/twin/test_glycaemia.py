"""Glycaemia: UKPDS 35 HbA1c gradients, microvascular complications, nephropathy, gliclazide and diabetes drug harms."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin import EventKind, PatientState, TwinParameters, TwinSimulator, glycaemia, sample_population
from twin_env.twin.calibration import untreated
from twin_env.twin.events import CASE_FATALITY_PARAMETER
from twin_env.twin.level_shifts import shift_levels
from twin_env.twin.population import update_age_dependent_levels
from twin_env.twin.state import TREATMENT_FIELDS
from twin_env.twin.treatment import start_drug
from twin_env.twin.treatment_effects import apply_treatment_effects
from twin_env.vocab.drugs import DRUG_FOR_FIELD, get_drug

PARAMS = TwinParameters.default()
DT = 1.0 / 12.0


def _diabetic_cohort(n: int, seed: int, hba1c: float = 64.0) -> PatientState:
    """N untreated adults aged 50-75, all with type 2 diabetes at one untreated HbA1c."""
    state, _ = sample_population(n, seed, min_age=50, max_age=75)
    untreated(state, PARAMS)
    state.type2_diabetes = True
    state.hba1c_untreated_mmol_mol = hba1c
    state.adherence = 1.0
    apply_treatment_effects(state, PARAMS)
    state.qrisk3_h10 = np.nan
    state.qdiabetes_h10 = np.nan
    return state


def _hazards(state: PatientState) -> np.ndarray:
    return TwinSimulator(PARAMS).current_hazards(state, DT)


def _count(kind: EventKind, sim_state: PatientState, years: int) -> int:
    simulator = TwinSimulator(PARAMS)
    return sum(simulator.step(sim_state, DT).count(kind) for _ in range(12 * years))


def test_ukpds35_gradients_scale_mi_stroke_and_heart_failure_but_not_angina() -> None:
    state = _diabetic_cohort(400, 1, hba1c=64.0)
    shift_levels(state, np.arange(state.n), PARAMS)  # levels recomputed the same way in both arms
    high = _hazards(state)
    shift_levels(state, np.arange(state.n), PARAMS, hba1c_mmol_mol=-11.0)
    low = _hazards(state)
    for kind, reduction in (
        (EventKind.MYOCARDIAL_INFARCTION, 0.14),
        (EventKind.STROKE, 0.12),
        (EventKind.HEART_FAILURE, 0.16),
    ):
        some = high[kind] > 0
        assert low[kind][some] / high[kind][some] == pytest.approx(1.0 - reduction)
    assert np.allclose(low[EventKind.ANGINA], high[EventKind.ANGINA])
    assert np.allclose(low[EventKind.TIA], high[EventKind.TIA])


def test_gradient_has_no_effect_below_the_normal_range_and_none_without_diabetes() -> None:
    rr = glycaemia.hba1c_relative_risk(np.array([30.0, 42.0, 53.0, 86.0, 120.0]), 0.14, 54.0, 42.0, 86.0)
    assert rr[0] == rr[1] < rr[2] < 1.0 < rr[3] == rr[4]
    state = _diabetic_cohort(300, 2)
    state.type2_diabetes = False
    shift_levels(state, np.arange(state.n), PARAMS)
    base = _hazards(state)
    shift_levels(state, np.arange(state.n), PARAMS, hba1c_mmol_mol=-11.0)
    shifted = _hazards(state)
    assert np.allclose(base[EventKind.MYOCARDIAL_INFARCTION], shifted[EventKind.MYOCARDIAL_INFARCTION])
    for kind in (EventKind.RETINOPATHY, EventKind.FOOT_ULCER, EventKind.AMPUTATION):
        assert not base[kind].any()


def test_microvascular_hazards_follow_hba1c_sbp_and_ulcer_history() -> None:
    state = _diabetic_cohort(300, 3)
    base = _hazards(state)
    state.sbp_mmhg = state.sbp_mmhg + 10.0
    higher_bp = _hazards(state)
    ratio = higher_bp[EventKind.RETINOPATHY] / base[EventKind.RETINOPATHY]
    above_floor = state.sbp_mmhg - 10.0 >= PARAMS["microvascular_lowest_risk_sbp_mmhg"]
    assert ratio[above_floor] == pytest.approx(1.0 / 0.63)
    state.foot_ulcer[:100] = True
    state.retinopathy[:50] = True
    after = _hazards(state)
    assert (after[EventKind.FOOT_ULCER][:100] > 5 * base[EventKind.FOOT_ULCER][:100]).all()
    assert (after[EventKind.AMPUTATION][:100] > 10 * base[EventKind.AMPUTATION][:100]).all()
    assert not after[EventKind.RETINOPATHY][:50].any()


def test_lower_hba1c_gives_fewer_microvascular_events_and_mis_in_a_paired_cohort() -> None:
    usual = _diabetic_cohort(8_000, 4, hba1c=70.0)
    lowered = usual.copy()
    shift_levels(lowered, np.arange(lowered.n), PARAMS, hba1c_mmol_mol=-11.0)
    simulator = TwinSimulator(PARAMS)
    counts = {id(s): np.zeros(len(EventKind), dtype=int) for s in (usual, lowered)}
    for _ in range(12 * 8):
        for s in (usual, lowered):
            counts[id(s)] += np.bincount(simulator.step(s, DT).kind, minlength=len(EventKind))
    a, b = counts[id(usual)], counts[id(lowered)]
    micro = [EventKind.RETINOPATHY, EventKind.FOOT_ULCER]
    assert b[micro].sum() < 0.75 * a[micro].sum()
    assert b[EventKind.AMPUTATION] < a[EventKind.AMPUTATION]
    assert b[EventKind.MYOCARDIAL_INFARCTION] < 0.95 * a[EventKind.MYOCARDIAL_INFARCTION]


def test_severe_hypoglycaemia_only_on_the_sulfonylurea_and_higher_when_hba1c_is_low() -> None:
    state = _diabetic_cohort(400, 5, hba1c=60.0)
    state.egfr_ml_min_1_73m2 = 90.0
    start_drug(state, np.arange(0, 400, 2), get_drug("gliclazide"), 160.0, PARAMS)
    on = state.gliclazide_mg_day > 0
    base = _hazards(state)[EventKind.SEVERE_HYPOGLYCAEMIA]
    assert not base[~on].any() and (base[on] > 0).all()
    shift_levels(state, np.arange(state.n), PARAMS, hba1c_mmol_mol=-11.0)
    lower_hba1c = _hazards(state)[EventKind.SEVERE_HYPOGLYCAEMIA]
    assert lower_hba1c[on] == pytest.approx(1.5 * base[on])
    state.age_years = state.age_years + 10.0
    state.egfr_ml_min_1_73m2 = 50.0
    older_ckd = _hazards(state)[EventKind.SEVERE_HYPOGLYCAEMIA]
    assert older_ckd[on] == pytest.approx(1.5 * 2.0 * lower_hba1c[on])


def test_gliclazide_lowers_hba1c_and_raises_bmi_over_a_year_then_back_after_stopping() -> None:
    state = _diabetic_cohort(200, 6)
    before = state.hba1c_mmol_mol.copy()
    start_drug(state, np.arange(state.n), get_drug("gliclazide"), 160.0, PARAMS)
    assert before - state.hba1c_mmol_mol == pytest.approx(PARAMS["hirst2013_sulfonylurea_hba1c_fall_mmol_mol"])
    for _ in range(36):
        update_age_dependent_levels(state, PARAMS)  # as the simulator's step: BMI from age, then the gain
        glycaemia.progress(state, PARAMS, DT)
    full = 1.7 / 1.70**2
    assert state.bmi_sulfonylurea_gain_kg_m2 == pytest.approx(full, rel=0.06)
    bmi_on = state.bmi_kg_m2.copy()
    state.gliclazide_mg_day = 0.0
    for _ in range(72):
        update_age_dependent_levels(state, PARAMS)
        glycaemia.progress(state, PARAMS, DT)
    assert (state.bmi_sulfonylurea_gain_kg_m2 < 0.01 * full).all()
    assert (state.bmi_kg_m2 < bmi_on - 0.9 * full).all()


def test_metformin_gi_intolerance_is_early_after_a_start_only() -> None:
    state = _diabetic_cohort(300, 7)
    start_drug(state, np.arange(100), get_drug("metformin"), 1000.0, PARAMS)
    state.metformin_mg_day[100:200] = 1000.0  # long-established users (no recorded start)
    apply_treatment_effects(state, PARAMS)
    at_start = _hazards(state)[EventKind.METFORMIN_GI_INTOLERANCE]
    assert (at_start[:100] > 0).all() and not at_start[100:].any()
    state.age_years = state.age_years + 1.0
    a_year_on = _hazards(state)[EventKind.METFORMIN_GI_INTOLERANCE]
    assert (a_year_on[:100] < 0.05 * at_start[:100]).all()
    # the first-year incidence is the 20% GI figure
    h0, tau = glycaemia.metformin_gi_initial_hazard(PARAMS), PARAMS["metformin_gi_time_constant_years"]
    assert 1.0 - np.exp(-h0 * tau * (1.0 - np.exp(-1.0 / tau))) == pytest.approx(0.20)
    # a second start while still taking it does not reset the clock
    started = state.metformin_started_age_years.copy()
    start_drug(state, np.arange(100), get_drug("metformin"), 2000.0, PARAMS)
    assert np.array_equal(state.metformin_started_age_years, started, equal_nan=True)


def test_genital_infection_and_ketoacidosis_only_on_sglt2() -> None:
    state = _diabetic_cohort(300, 8)
    start_drug(state, np.arange(150), get_drug("dapagliflozin"), 10.0, PARAMS)
    state.type2_diabetes[100:150] = False  # on an SGLT2 inhibitor for heart failure or CKD, no diabetes
    hazards = _hazards(state)
    for kind in (EventKind.GENITAL_INFECTION, EventKind.DIABETIC_KETOACIDOSIS):
        assert not hazards[kind][150:].any()
    assert (hazards[EventKind.GENITAL_INFECTION][:150] > 0).all()
    assert hazards[EventKind.DIABETIC_KETOACIDOSIS][:100] == pytest.approx(0.0007)
    assert not hazards[EventKind.DIABETIC_KETOACIDOSIS][100:150].any()


@pytest.mark.parametrize(
    ("kind", "field", "share"),
    [
        (EventKind.METFORMIN_GI_INTOLERANCE, "metformin_mg_day", 0.64),
        (EventKind.GENITAL_INFECTION, "sglt2", 0.25),
        (EventKind.DIABETIC_KETOACIDOSIS, "sglt2", 1.0),
        (EventKind.SEVERE_HYPOGLYCAEMIA, "gliclazide_mg_day", 0.5),
    ],
)
def test_drug_harms_stop_the_drug_with_their_probability(kind: EventKind, field: str, share: float) -> None:
    state = _diabetic_cohort(4_000, 9)
    state.columns[field][:] = 1.0
    events = np.full(state.n, kind, dtype=np.int8)
    stopped = glycaemia.apply_consequences(state, events, PARAMS, state.patient_key, state.step_index)
    index = TREATMENT_FIELDS.index(field)
    assert set(np.unique(stopped)) <= {-1, index}
    assert np.array_equal(stopped == index, state.columns[field] == 0)
    assert (stopped == index).mean() == pytest.approx(share, abs=0.03)


def test_complications_set_their_flags_and_can_kill() -> None:
    state = _diabetic_cohort(30, 10)
    events = np.zeros(state.n, dtype=np.int8)
    events[:10], events[10:20], events[20:] = EventKind.RETINOPATHY, EventKind.FOOT_ULCER, EventKind.AMPUTATION
    stopped = glycaemia.apply_consequences(state, events, PARAMS, state.patient_key, state.step_index)
    assert (stopped == -1).all()
    assert state.retinopathy[:10].all() and not state.retinopathy[10:].any()
    assert state.foot_ulcer[10:20].all() and not state.foot_ulcer[20:].any()
    assert state.amputation[20:].all()
    for kind in (EventKind.DIABETIC_KETOACIDOSIS, EventKind.SEVERE_HYPOGLYCAEMIA, EventKind.AMPUTATION):
        assert 0 < PARAMS[CASE_FATALITY_PARAMETER[kind]] < 0.2


def test_albuminuria_grows_with_hba1c_and_slower_on_sglt2_and_egfr_falls_faster_with_hba1c() -> None:
    low = _diabetic_cohort(300, 11, hba1c=53.0)
    high = low.copy()
    high.hba1c_untreated_mmol_mol = 75.0
    apply_treatment_effects(high, PARAMS)
    protected = high.copy()
    start_drug(protected, np.arange(protected.n), get_drug("dapagliflozin"), 10.0, PARAMS)
    start = low.acr_mg_mmol.copy(), low.egfr_ml_min_1_73m2.copy()
    for s in (low, high, protected):
        for _ in range(24):
            glycaemia.progress(s, PARAMS, DT)
            apply_treatment_effects(s, PARAMS)
    arms = (("low", low), ("high", high), ("sglt2", protected))
    growth = {name: np.log(s.acr_mg_mmol / start[0]).mean() for name, s in arms}
    assert 0 < growth["low"] < growth["high"]
    assert growth["sglt2"] < growth["high"]
    assert (start[1] - high.egfr_ml_min_1_73m2).mean() > (start[1] - low.egfr_ml_min_1_73m2).mean()


def test_baseline_patients_with_diagnosed_diabetes_can_take_gliclazide() -> None:
    state, diagnoses = sample_population(40_000, 12, min_age=40, max_age=90)
    on = state.gliclazide_mg_day > 0
    t2d = diagnoses.diagnosed["type2_diabetes"]
    assert on.any() and not (on & ~t2d).any()
    assert 0.05 < on[t2d].mean() < 0.4
    assert (state.hba1c_untreated_mmol_mol[on] >= 58.0).all()
    assert state.bmi_sulfonylurea_gain_kg_m2[on] == pytest.approx(1.7 / 1.70**2)
    assert DRUG_FOR_FIELD["gliclazide_mg_day"].name == "gliclazide"
    with pytest.raises(ValueError, match="dose 100.0 of gliclazide"):
        get_drug("gliclazide").check_dose(100.0)


def test_same_seed_same_events_and_a_patient_alone_behaves_as_in_the_batch() -> None:
    def run(state: PatientState) -> list[np.ndarray]:
        simulator = TwinSimulator(PARAMS)
        start_drug(state, np.arange(state.n), get_drug("gliclazide"), 160.0, PARAMS)
        start_drug(state, np.arange(state.n), get_drug("metformin"), 1000.0, PARAMS)
        start_drug(state, np.arange(state.n), get_drug("dapagliflozin"), 10.0, PARAMS)
        return [simulator.step(state, DT).kind for _ in range(60)]

    first, second = _diabetic_cohort(800, 13), _diabetic_cohort(800, 13)
    alone = first.take(np.array([5]))
    kinds_first, kinds_second = run(first), run(second)
    assert all(np.array_equal(a, b) for a, b in zip(kinds_first, kinds_second))
    assert first.equals(second)
    glycaemia_events = np.concatenate(kinds_first)
    assert np.isin(glycaemia_events, glycaemia.GLYCAEMIA_KINDS).sum() > 20
    kinds_alone = run(alone)
    assert [k[0] for k in kinds_alone] == [k[5] for k in kinds_first]
    assert alone.equals(first.take(np.array([5])))
