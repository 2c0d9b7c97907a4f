"""Treatment burden: regimens from the drug catalogue, and adherence falling with drugs and daily doses."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin import TwinParameters, sample_population
from twin_env.twin import treatment_burden as tb
from twin_env.twin.parameters import read_data_csv
from twin_env.twin.state import BP_DRUG_CLASSES, TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment import field_value, start_drug, update_effects
from twin_env.vocab.drugs import DRUG_FOR_FIELD, DRUGS

P = TwinParameters.default()
FOUR = ("ramipril", "amlodipine", "indapamide", "atorvastatin")


def _untreated(n: int, seed: int = 11) -> PatientState:
    state, _ = sample_population(n, seed, min_age=50, max_age=80)
    for field in TREATMENT_FIELDS:
        state.columns[field][:] = 0.0
    state.adherence = 0.9
    update_effects(state, P)
    return state


def test_every_catalogue_dose_has_a_regimen_and_varying_regimens_are_read_from_the_dose() -> None:
    for drug in DRUGS.values():
        times = {dose: drug.doses_per_day(dose) for dose in drug.products}
        assert all(t >= 1 for t in times.values()), drug.name
        if len(set(t for _, t in drug.regimen)) > 1:  # looked up by field value: the field must hold the dose
            assert all(field_value(drug, dose, P) == dose for dose in drug.products), drug.name
    assert DRUGS["metformin"].doses_per_day(500.0) == 1
    assert DRUGS["metformin"].doses_per_day(1000.0) == 2
    assert DRUGS["metformin"].doses_per_day(2000.0) == 3
    with pytest.raises(ValueError, match="above the largest"):
        DRUGS["metformin"].doses_per_day(3000.0)


def test_blood_pressure_classes_are_once_daily() -> None:
    """treatment_effects gives BP falls no frequency factor: true only while every class is once daily."""
    for name in BP_DRUG_CLASSES:
        assert {t for _, t in DRUG_FOR_FIELD[f"dose_{name}"].regimen} == {1}, name


def test_derived_parameters_follow_their_arithmetic() -> None:
    rows = {r["name"]: r for r in read_data_csv("treatment_burden_parameters.csv")}
    a1 = P["claxton_adherence_1_per_day"]
    for f in (2, 3, 4):
        assert P[f"adherence_multiplier_{f}_per_day"] == pytest.approx(P[f"claxton_adherence_{f}_per_day"] / a1, 1e-3)
    extra = (1.0 - (1.0 - a1) / P["bangalore_fdc_rr_non_compliance"]) / a1
    assert P["adherence_multiplier_per_extra_drug"] == pytest.approx(extra, 1e-3)
    assert P["pill_disutility_per_daily_dose"] == pytest.approx(1.0 - P["pill_utility_tto"])
    assert P["pill_disutility_per_daily_dose_low"] == pytest.approx(1.0 - P["pill_utility_healthcare_employees_tto"])
    assert {rows[n]["status"] for n in rows if n.startswith("adherence_multiplier")} == {"derived"}


def test_effective_adherence_falls_with_the_number_of_drugs() -> None:
    state = _untreated(8)
    one, four = np.arange(4), np.arange(4, 8)
    start_drug(state, one, DRUGS["ramipril"], 1.0, P)
    for name in FOUR:
        start_drug(state, four, DRUGS[name], min(DRUGS[name].products), P)
    assert (tb.drugs_taken(state)[one] == 1).all() and (tb.drugs_taken(state)[four] == 4).all()
    on_one = tb.effective_adherence(state, P, "dose_acei")[one]
    on_four = tb.effective_adherence(state, P, "dose_acei")[four]
    np.testing.assert_allclose(on_one, 0.9, rtol=1e-6)  # one once-daily drug: the propensity itself
    np.testing.assert_allclose(on_four, 0.9 * P["adherence_multiplier_per_extra_drug"] ** 3, rtol=1e-6)
    assert (on_four < on_one).all()


def test_more_daily_doses_lower_the_effect_of_metformin() -> None:
    state = _untreated(3)
    for row, mg in enumerate((500.0, 1000.0, 2000.0)):
        start_drug(state, np.array([row]), DRUGS["metformin"], mg, P)
    np.testing.assert_array_equal(tb.daily_dose_times(state, "metformin_mg_day"), [1, 2, 3])
    factor = tb.frequency_factor(state, P, "metformin_mg_day")
    np.testing.assert_allclose(factor, [1.0, P["adherence_multiplier_2_per_day"], P["adherence_multiplier_3_per_day"]])
    assert tb.total_daily_dose_times(state).tolist() == [1.0, 2.0, 3.0]


def test_a_second_drug_weakens_the_first_drugs_bp_fall() -> None:
    state = _untreated(6)
    rows = np.arange(6)
    start_drug(state, rows, DRUGS["amlodipine"], 1.0, P)
    fall_alone = state.sbp_untreated_mmhg - state.sbp_mmhg
    start_drug(state, rows[:3], DRUGS["atorvastatin"], 20.0, P)  # no BP effect of its own
    fall_with_statin = state.sbp_untreated_mmhg - state.sbp_mmhg
    np.testing.assert_allclose(
        fall_with_statin[:3], fall_alone[:3] * P["adherence_multiplier_per_extra_drug"], rtol=1e-6
    )
    np.testing.assert_array_equal(fall_with_statin[3:], fall_alone[3:])


def test_the_burden_is_read_from_the_state_only() -> None:
    """Same regimen, same factors, alone or in a batch (no dependence on other rows)."""
    state = _untreated(40, seed=5)
    rows = np.arange(0, 40, 3)
    start_drug(state, rows, DRUGS["metformin"], 1000.0, P)
    start_drug(state, rows[::2], DRUGS["ramipril"], 2.0, P)
    whole = tb.effective_adherence(state, P, "metformin_mg_day")
    alone = tb.effective_adherence(state.take(rows[3:4]), P, "metformin_mg_day")
    assert alone[0] == whole[rows[3]]
