"""Treatment harms (twin/harms.py): each hazard's dependence, the consequences, the J-curve floor, SPRINT's arms."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin import TwinParameters, TwinSimulator, harms, sample_population
from twin_env.twin.events import EventKind
from twin_env.twin.state import BP_DRUG_CLASSES, TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment import start_drug
from twin_env.twin.treatment_effects import apply_treatment_effects
from twin_env.vocab.drugs import DRUGS

MONTH = 1.0 / 12.0
PARAMS = TwinParameters.default()


def _patients(n: int, *, age: float = 70.0, sbp_untreated: float = 150.0, egfr: float = 75.0) -> PatientState:
    """n living patients, identical in what the harms read: no drugs, K base 4.3, no fall history."""
    state, _ = sample_population(n, 11, min_age=50, max_age=80)
    state.age_years = age
    state.sbp_untreated_mmhg = sbp_untreated
    state.egfr_ml_min_1_73m2 = egfr
    state.potassium_base_mmol_l = 4.3
    state.adherence = 1.0
    state.alive = True
    state.injurious_fall_history = False
    for field in TREATMENT_FIELDS:
        state.columns[field][:] = 0.0
    apply_treatment_effects(state, PARAMS)
    return state


def _hazard(state: PatientState, kind: EventKind, dt: float = MONTH) -> np.ndarray:
    return TwinSimulator(PARAMS).current_hazards(state, dt)[kind]


def _take(state: PatientState, rows: np.ndarray, name: str, dose: float = 1.0) -> None:
    state.columns[DRUGS[name].field][rows] = dose if DRUGS[name].field.startswith("dose_") else 0.3
    apply_treatment_effects(state, PARAMS)


def test_aki_hazard_higher_with_dual_raas_blockade_and_low_egfr() -> None:
    state = _patients(4)
    _take(state, np.arange(4), "ramipril")
    _take(state, np.array([1, 3]), "losartan")
    state.egfr_ml_min_1_73m2 = np.array([75.0, 75.0, 25.0, 25.0])
    aki = _hazard(state, EventKind.ACUTE_KIDNEY_INJURY)
    assert aki[1] / aki[0] == pytest.approx(PARAMS["aki_hr_dual_raas"] * _lowering_ratio(state, 1, 0))
    tens_below = (PARAMS["aki_egfr_reference_ml_min"] - 25.0) / 10.0
    assert aki[2] / aki[0] == pytest.approx(PARAMS["aki_hr_per_10_egfr_below_reference"] ** tens_below)
    assert aki[3] > aki[2] > aki[0]


def _lowering_ratio(state: PatientState, a: int, b: int) -> float:
    """AKI hazard ratio of patients a and b from their drug lowering below 140 mmHg alone."""
    below = harms.drug_lowering_below_mmhg(state.sbp_untreated_mmhg, state.sbp_mmhg, PARAMS["harm_sbp_threshold_mmhg"])
    return PARAMS["aki_hr_per_10mmhg_drug_lowering_below_threshold"] ** ((below[a] - below[b]) / 10.0)


def test_aki_higher_just_after_an_ace_inhibitor_start_than_on_long_standing_treatment() -> None:
    state = _patients(2)
    _take(state, np.array([0]), "ramipril")  # baseline treatment: start unknown (long ago)
    start_drug(state, np.array([1]), DRUGS["ramipril"], 1.0, PARAMS)
    aki = _hazard(state, EventKind.ACUTE_KIDNEY_INJURY)
    assert aki[1] - aki[0] == pytest.approx(PARAMS["aki_raas_start_excess_per_year"])


def test_start_drug_records_the_kind_of_intensification_and_start_ages() -> None:
    state = _patients(3, age=72.0)
    assert np.isnan(state.bp_intensified_age_years).all() and (state.bp_intensification_kind == 0).all()
    start_drug(state, np.array([0, 1]), DRUGS["amlodipine"], 1.0, PARAMS)
    assert list(state.bp_intensification_kind) == [1, 1, 0]
    state.age_years = 73.0
    start_drug(state, np.array([0]), DRUGS["amlodipine"], 2.0, PARAMS)  # titration
    start_drug(state, np.array([1]), DRUGS["ramipril"], 1.0, PARAMS)  # added class
    start_drug(state, np.array([2]), DRUGS["amlodipine"], 1.0, PARAMS, at_least=True)  # first antihypertensive
    assert list(state.bp_intensification_kind) == [3, 2, 1]
    np.testing.assert_array_equal(state.bp_intensified_age_years, [73.0, 73.0, 73.0])
    np.testing.assert_array_equal(state.ccb_started_age_years, [72.0, 72.0, 73.0])
    assert state.acei_started_age_years[1] == 73.0 and state.raas_started_age_years[1] == 73.0
    start_drug(state, np.array([0]), DRUGS["amlodipine"], 1.0, PARAMS)  # a dose cut is no intensification
    assert state.bp_intensification_kind[0] == 3 and state.ccb_started_age_years[0] == 72.0
    start_drug(state, np.array([2]), DRUGS["atorvastatin"], 20.0, PARAMS)
    assert state.statin_started_age_years[2] == 73.0 and state.bp_intensification_kind[2] == 1


def test_fall_hazard_peaks_just_after_a_step_up_in_the_old() -> None:
    old, young = _patients(2, age=80.0), _patients(1, age=50.0)
    for state in (old, young):
        _take(state, np.arange(state.n), "amlodipine")
        start_drug(state, np.arange(state.n), DRUGS["amlodipine"], 2.0, PARAMS)  # titration now
    old.age_years = np.array([80.0, 80.5])  # the second was stepped up 6 months ago
    falls_old = _hazard(old, EventKind.INJURIOUS_FALL)
    falls_young = _hazard(young, EventKind.INJURIOUS_FALL)
    window_share = PARAMS["fall_window_years"] / MONTH
    age_ratio = PARAMS["fall_injury_hr_per_10_years_age"] ** -0.05
    assert falls_old[0] / (falls_old[1] * age_ratio) == pytest.approx(
        1.0 + (PARAMS["fall_or_window_titration"] - 1.0) * window_share
    )
    assert falls_old[0] > 5.0 * falls_young[0]
    hip = _hazard(old, EventKind.HIP_FRACTURE)
    assert hip[0] > hip[1]


def test_previous_fall_and_treatment_raise_fall_hazard() -> None:
    state = _patients(3, age=78.0)
    _take(state, np.array([1, 2]), "ramipril")
    state.injurious_fall_history = np.array([False, False, True])
    falls = _hazard(state, EventKind.INJURIOUS_FALL)
    assert falls[1] / falls[0] == pytest.approx(PARAMS["fall_hr_on_antihypertensive"])
    assert falls[2] / falls[1] == pytest.approx(PARAMS["fall_hr_previous_fall"])
    assert _hazard(_patients(1, age=45.0), EventKind.INJURIOUS_FALL)[0] == 0.0


def test_syncope_rises_with_drug_lowering_classes_and_age_not_with_low_untreated_sbp() -> None:
    state = _patients(4, age=70.0)
    state.sbp_untreated_mmhg = np.array([150.0, 150.0, 150.0, 110.0])
    apply_treatment_effects(state, PARAMS)
    _take(state, np.array([1, 2]), "ramipril")
    _take(state, np.array([2]), "amlodipine")
    syncope = _hazard(state, EventKind.HYPOTENSION_SYNCOPE)
    assert syncope[0] == pytest.approx(syncope[3])  # untreated: low SBP alone is no drug harm
    assert syncope[2] > syncope[1] > syncope[0]
    older = _patients(1, age=80.0)
    assert _hazard(older, EventKind.HYPOTENSION_SYNCOPE)[0] / syncope[0] == pytest.approx(
        PARAMS["syncope_hr_per_10_years_age"]
    )


def test_hyperkalaemia_rises_with_potassium_and_dual_blockade() -> None:
    state = _patients(4, egfr=75.0)
    _take(state, np.arange(4), "ramipril")
    _take(state, np.array([1]), "spironolactone")
    _take(state, np.array([2]), "losartan")
    state.egfr_ml_min_1_73m2[3] = 30.0
    apply_treatment_effects(state, PARAMS)
    hyperk = _hazard(state, EventKind.HYPERKALAEMIA)
    assert hyperk[1] > 3.0 * hyperk[0]
    assert hyperk[2] / hyperk[0] == pytest.approx(PARAMS["hyperkalaemia_hr_dual_raas"])
    assert hyperk[3] > hyperk[0]
    assert _hazard(_patients(1), EventKind.HYPERKALAEMIA)[0] == 0.0  # no RAAS, no CKD: not modelled


def test_thiazide_harms_only_on_a_thiazide_and_highest_in_the_first_month() -> None:
    state = _patients(3)
    _take(state, np.array([1]), "indapamide")
    start_drug(state, np.array([2]), DRUGS["indapamide"], 1.0, PARAMS)
    sodium = _hazard(state, EventKind.HYPONATRAEMIA)
    gout = _hazard(state, EventKind.GOUT)
    assert sodium[0] == 0.0 and gout[0] == 0.0
    assert sodium[2] > 3.0 * sodium[1] > 0.0
    assert gout[1] == gout[2] > 0.0


def test_intolerance_is_front_loaded_after_a_start_seen_in_the_simulation() -> None:
    state = _patients(3)
    _take(state, np.array([0]), "ramipril")  # baseline: no cough hazard
    start_drug(state, np.array([1, 2]), DRUGS["ramipril"], 1.0, PARAMS)
    start_drug(state, np.array([1, 2]), DRUGS["atorvastatin"], 80.0, PARAMS)
    state.age_years = np.array([70.0, 70.0, 71.5])
    cough = _hazard(state, EventKind.ACEI_COUGH)
    muscle = _hazard(state, EventKind.STATIN_MUSCLE_SYMPTOMS)
    assert cough[0] == 0.0 and cough[1] > 100.0 * cough[2] > 0.0
    assert muscle[1] > 0.0 and muscle[2] == 0.0  # no excess after year 1
    # the lifetime share of the front-loaded hazard is the published withdrawal fraction
    elapsed = np.array([0.0])
    integral = sum(harms.decay_average(elapsed + k * MONTH, 0.25, MONTH)[0] * MONTH for k in range(600))
    assert integral == pytest.approx(0.25, rel=1e-6)


def test_window_fraction_averages_a_window_over_the_step() -> None:
    t = np.array([0.0, 0.02, 0.05, np.nan])
    np.testing.assert_allclose(harms.window_fraction(t, 0.0411, MONTH), [0.0411 / MONTH, 0.0211 / MONTH, 0.0, 0.0])


def _consequences(state: PatientState, kind: EventKind) -> np.ndarray:
    kinds = np.full(state.n, kind, dtype=np.int8)
    keys, counter = state.patient_key, state.step_index
    return harms.apply_consequences(state, kinds, PARAMS, keys, counter)


def test_cough_stops_ramipril_oedema_amlodipine_and_muscle_symptoms_the_statin() -> None:
    for kind, drug in (
        (EventKind.ACEI_COUGH, "ramipril"),
        (EventKind.CCB_OEDEMA, "amlodipine"),
        (EventKind.STATIN_MUSCLE_SYMPTOMS, "atorvastatin"),
    ):
        state = _patients(5)
        start_drug(state, np.arange(5), DRUGS[drug], 1.0 if drug != "atorvastatin" else 20.0, PARAMS)
        stopped = _consequences(state, kind)
        assert (state.columns[DRUGS[drug].field] == 0).all()
        assert (stopped == TREATMENT_FIELDS.index(DRUGS[drug].field)).all()


def test_hyperkalaemia_stops_spironolactone_else_the_raas_blocker() -> None:
    state = _patients(2)
    _take(state, np.arange(2), "ramipril")
    _take(state, np.array([0]), "spironolactone")
    stopped = _consequences(state, EventKind.HYPERKALAEMIA)
    assert state.dose_spironolactone[0] == 0 and state.dose_acei[0] > 0
    assert state.dose_acei[1] == 0
    assert list(stopped) == [TREATMENT_FIELDS.index("dose_spironolactone"), TREATMENT_FIELDS.index("dose_acei")]


def test_aki_lowers_egfr_in_those_who_do_not_recover_and_may_stop_the_raas_blocker() -> None:
    state = _patients(4_000)
    _take(state, np.arange(state.n), "ramipril")
    before = state.egfr_ml_min_1_73m2.copy()
    stopped = _consequences(state, EventKind.ACUTE_KIDNEY_INJURY)
    lost = state.egfr_ml_min_1_73m2 < before
    assert 1.0 - lost.mean() == pytest.approx(PARAMS["aki_recovery_complete_fraction"], abs=0.02)
    assert (stopped >= 0).mean() == pytest.approx(PARAMS["aki_stop_probability"], abs=0.03)
    assert (state.dose_acei[stopped >= 0] == 0).all() and (state.dose_acei[stopped < 0] > 0).all()
    state2 = _patients(4_000)
    _take(state2, np.arange(state2.n), "ramipril")
    np.testing.assert_array_equal(_consequences(state2, EventKind.ACUTE_KIDNEY_INJURY), stopped)


def test_falls_set_the_fall_history() -> None:
    state = _patients(2)
    kinds = np.array([EventKind.INJURIOUS_FALL, EventKind.NONE], dtype=np.int8)
    harms.apply_consequences(state, kinds, PARAMS, state.patient_key, state.step_index)
    assert list(state.injurious_fall_history) == [True, False]


SIX_CLASSES = ("ramipril", "amlodipine", "indapamide", "bisoprolol", "doxazosin", "spironolactone")


def test_six_classes_in_a_normotensive_80_year_old_harm_without_benefit_below_the_floor() -> None:
    untreated = _patients(3_000, age=80.0, sbp_untreated=125.0)
    treated = _patients(3_000, age=80.0, sbp_untreated=125.0)
    for name in SIX_CLASSES:
        start_drug(treated, np.arange(treated.n), DRUGS[name], 1.0, PARAMS)
    assert (treated.sbp_mmhg < PARAMS["sbp_benefit_floor_mmhg"]).all()
    simulator = TwinSimulator()
    h_untreated, h_treated = simulator.current_hazards(untreated, MONTH), simulator.current_hazards(treated, MONTH)
    # no cardiovascular benefit below the floor: the same as lowering to the floor exactly
    at_floor = treated.copy()
    at_floor.sbp_mmhg = PARAMS["sbp_benefit_floor_mmhg"]
    h_floor = simulator.current_hazards(at_floor, MONTH)
    for kind in (EventKind.MYOCARDIAL_INFARCTION, EventKind.STROKE, EventKind.HEART_FAILURE):
        np.testing.assert_allclose(h_treated[kind], h_floor[kind])
        assert (h_treated[kind] <= h_untreated[kind]).all()
    harm_kinds = list(range(EventKind.HYPOTENSION_SYNCOPE, EventKind.STATIN_MUSCLE_SYMPTOMS + 1))
    cvd_kinds = [EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA]
    extra_harm = h_treated[harm_kinds].sum(axis=0) - h_untreated[harm_kinds].sum(axis=0)
    cvd_benefit = h_untreated[cvd_kinds].sum(axis=0) - h_treated[cvd_kinds].sum(axis=0)
    assert (extra_harm > 2.0 * cvd_benefit).all()
    counts = {}
    for label, state in (("untreated", untreated), ("treated", treated)):
        harm_events = 0
        for _ in range(12):
            events = simulator.step(state, MONTH)
            harm_events += np.isin(events.kind, harm_kinds).sum()
        counts[label] = harm_events
    assert counts["treated"] > 1.5 * counts["untreated"]


def _sprint_arms(n: int) -> tuple[PatientState, PatientState]:
    """SPRINT-like arms in the twin's state: ages 60-80, untreated SBP about 155, ACEi + thiazide (+ CCB intensive).

    Achieved SBP 136 (standard) vs 121 (intensive) mmHg, as in SPRINT.
    """
    arms = []
    for achieved, names in ((136.0, ("ramipril", "indapamide")), (121.0, ("ramipril", "indapamide", "amlodipine"))):
        state = _patients(n)
        rng = np.random.default_rng(5)
        state.age_years = rng.uniform(60.0, 80.0, n)
        state.sbp_untreated_mmhg = 155.0 + rng.normal(0.0, 8.0, n)
        state.egfr_ml_min_1_73m2 = np.clip(rng.normal(72.0, 20.0, n), 20.0, 120.0)
        for name in names:
            state.columns[DRUGS[name].field][:] = 1.0
        apply_treatment_effects(state, PARAMS)
        state.sbp_mmhg = np.minimum(achieved + rng.normal(0.0, 5.0, n), state.sbp_untreated_mmhg)
        arms.append(state)
    return arms[0], arms[1]


def test_sprint_intensive_vs_standard_hazard_ratios_and_rates() -> None:
    standard, intensive = _sprint_arms(5_000)
    for kind, published_hr, low, high, standard_rate in (
        # HR target: combined SAE hypotension or syncope 1.51 [derived, Foy 2018]; AKI 1.64 (1.30-2.10), Rocco 2018
        (EventKind.HYPOTENSION_SYNCOPE, 1.51, 1.33, 1.67, -np.log(1.0 - 0.028) / 3.26),
        (EventKind.ACUTE_KIDNEY_INJURY, 1.64, 1.30, 2.10, -np.log(1.0 - 0.023) / 3.26),
    ):
        h_standard, h_intensive = _hazard(standard, kind).mean(), _hazard(intensive, kind).mean()
        assert low < h_intensive / h_standard < high, (kind.name, h_intensive / h_standard)
        assert h_intensive / h_standard == pytest.approx(published_hr, rel=0.12)
        assert 0.5 < h_standard / standard_rate < 2.0, (kind.name, h_standard, standard_rate)
    falls_hr = _hazard(intensive, EventKind.INJURIOUS_FALL).mean() / _hazard(standard, EventKind.INJURIOUS_FALL).mean()
    assert falls_hr < 1.3  # SPRINT: injurious falls not higher (HR 0.95)


def test_harm_events_are_deterministic() -> None:
    runs = []
    for _ in range(2):
        state, _ = sample_population(3_000, 17, min_age=60, max_age=90)
        simulator = TwinSimulator()
        start_drug(state, np.arange(0, 3_000, 2), DRUGS["ramipril"], 1.0, PARAMS)
        kinds = np.stack([simulator.step(state, MONTH).kind for _ in range(12)])
        runs.append((kinds, state))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1].equals(runs[1][1])
    assert np.isin(runs[0][0], list(range(EventKind.HYPOTENSION_SYNCOPE, EventKind.STATIN_MUSCLE_SYMPTOMS + 1))).any()


def test_a_patient_meets_the_same_harms_alone_as_in_the_batch() -> None:
    state, _ = sample_population(2_000, 19, min_age=65, max_age=90)
    start_drug(state, np.arange(state.n), DRUGS["ramipril"], 1.0, PARAMS)
    start_drug(state, np.arange(state.n), DRUGS["indapamide"], 1.0, PARAMS)
    alone = [state.take(np.array([i])) for i in range(0, state.n, 97)]
    simulator = TwinSimulator()
    batch_kinds = np.stack([simulator.step(state, MONTH).kind for _ in range(12)])
    for i, single in zip(range(0, state.n, 97), alone):
        kinds = np.stack([simulator.step(single, MONTH).kind for _ in range(12)])[:, 0]
        np.testing.assert_array_equal(kinds, batch_kinds[:, i])
        assert single.equals(state.take(np.array([i])))
    harm_kinds = list(range(EventKind.HYPOTENSION_SYNCOPE, EventKind.STATIN_MUSCLE_SYMPTOMS + 1))
    assert np.isin(batch_kinds, harm_kinds).sum() > 20


def test_every_bp_class_is_counted() -> None:
    state = _patients(1)
    for name in BP_DRUG_CLASSES:
        state.columns[f"dose_{name}"][:] = 1.0
    apply_treatment_effects(state, PARAMS)
    one = _patients(1)
    ratio = _hazard(state, EventKind.HYPOTENSION_SYNCOPE)[0] / _hazard(one, EventKind.HYPOTENSION_SYNCOPE)[0]
    lowering = (
        harms.drug_lowering_below_mmhg(state.sbp_untreated_mmhg, state.sbp_mmhg, PARAMS["harm_sbp_threshold_mmhg"])[0]
        / 10.0
    )
    expected = (
        PARAMS["syncope_hr_per_drug_class"] ** len(BP_DRUG_CLASSES)
        * PARAMS["syncope_hr_per_10mmhg_drug_lowering_below_threshold"] ** lowering
    )
    assert ratio == pytest.approx(expected)


@pytest.mark.slow
def test_sprint_like_arms_simulated_reproduce_the_harm_hazard_ratios() -> None:
    """20,000 per arm aged 60-80, untreated SBP held near 155, simulated for 3.26 years (SPRINT's median).

    Achieved about 137 vs 124 mmHg (SPRINT 136 vs 121); no generic stopping (a trial titrates back).
    """
    params = PARAMS.replace(stop_per_year_antihypertensive=0.0)
    counts = {}
    for arm, doses in (
        ("standard", {"ramipril": 1.0, "indapamide": 1.0}),
        ("intensive", {"ramipril": 2.0, "indapamide": 1.0, "amlodipine": 2.0}),
    ):
        state, _ = sample_population(20_000, 41, min_age=60, max_age=80)
        state.sbp_shift_mmhg = 155.0 - (state.sbp_untreated_mmhg - state.sbp_shift_mmhg)
        state.sbp_untreated_mmhg = 155.0
        state.adherence = 1.0
        for field in TREATMENT_FIELDS:
            state.columns[field][:] = 0.0
        for name, dose in doses.items():
            state.columns[DRUGS[name].field][:] = dose
        apply_treatment_effects(state, PARAMS)
        simulator = TwinSimulator(params)
        kinds = np.stack([simulator.step(state, MONTH).kind for _ in range(39)])
        counts[arm] = {
            k: int((kinds == k).sum()) for k in (EventKind.HYPOTENSION_SYNCOPE, EventKind.ACUTE_KIDNEY_INJURY)
        }
    syncope_hr = counts["intensive"][EventKind.HYPOTENSION_SYNCOPE] / counts["standard"][EventKind.HYPOTENSION_SYNCOPE]
    aki_hr = counts["intensive"][EventKind.ACUTE_KIDNEY_INJURY] / counts["standard"][EventKind.ACUTE_KIDNEY_INJURY]
    assert 1.2 < syncope_hr < 1.9, counts  # SPRINT: hypotension 1.67, syncope 1.33, combined 1.51
    assert 1.30 < aki_hr < 2.10, counts  # SPRINT AKI HR 1.64 (1.30-2.10)
