"""twin_from_record: valid states, information from readings and codes, the prior without readings, determinism."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import twin_env
from twin_env.patient_twin.posterior import twin_from_record
from twin_env.patient_twin.record import Diagnosis, Measurement, PatientRecord, Prescription
from twin_env.twin.cohort import sample_population
from twin_env.twin.simulator import TwinSimulator

AS_OF = dt.date(2025, 6, 1)
BIRTH = dt.date(1962, 3, 15)
SAMPLES = 60


def _record(measurements=(), diagnoses=(), prescriptions=(), female=True) -> PatientRecord:
    return PatientRecord(
        birth_date=BIRTH,
        female=female,
        as_of=AS_OF,
        measurements=tuple(measurements),
        diagnoses=tuple(diagnoses),
        prescriptions=tuple(prescriptions),
    )


def _sbp(n: int, value: float = 152.0, setting: str = "clinic") -> list[Measurement]:
    """``n`` SBP readings a month apart, ending a week before as_of."""
    return [
        Measurement("sbp_mmhg", AS_OF - dt.timedelta(days=7 + 30 * i), value + (i % 3) - 1, setting) for i in range(n)
    ]


def _interval(twin, name: str) -> float:
    s = twin.summary()[name]
    return s["p95"] - s["p05"]


def test_every_sample_is_a_valid_alive_twin_state_the_twin_steps() -> None:
    record = _record(
        _sbp(4) + [Measurement("hba1c_mmol_mol", AS_OF - dt.timedelta(days=20), 52.0, "laboratory")],
        [Diagnosis("hypertension", None)],
        [Prescription("dose_ccb", 1.0, dt.date(2024, 1, 1), AS_OF)],
    )
    twin = twin_from_record(record, n_samples=SAMPLES, seed=1)
    state = twin.state
    assert state.n == SAMPLES and state.alive.all()
    assert np.allclose(state.age_years, record.age_years)
    assert (state.female == record.female).all() and (state.dose_ccb == 1.0).all()
    for name in ("sbp_mmhg", "sbp_untreated_mmhg", "egfr_ml_min_1_73m2", "hba1c_mmol_mol", "ldl_mmol_l", "bmi_kg_m2"):
        assert np.isfinite(state.columns[name]).all(), name
    assert (state.sbp_mmhg < state.sbp_untreated_mmhg).all()  # the CCB lowers it
    simulator = TwinSimulator()
    for _ in range(12):
        simulator.step(state)
    assert np.isfinite(state.sbp_mmhg).all()


def test_more_readings_narrow_the_sbp_interval() -> None:
    """Home readings (no white-coat effect: clinic readings alone leave its 10 mmHg SD in usual SBP)."""
    few = twin_from_record(_record(_sbp(2, 140.0, "home")), n_samples=SAMPLES, seed=2)
    many = twin_from_record(_record(_sbp(14, 140.0, "home")), n_samples=SAMPLES, seed=2)
    assert _interval(many, "sbp_mmhg") < 0.7 * _interval(few, "sbp_mmhg")
    # home readings are out-of-office: usual (clinic-scale) SBP is about 5 mmHg above them
    assert abs(many.summary()["sbp_mmhg"]["mean"] - 145.0) < 5.0


def test_hba1c_70_twice_makes_type_2_diabetes_near_certain() -> None:
    readings = [
        Measurement("hba1c_mmol_mol", AS_OF - dt.timedelta(days=d), 70.0, "laboratory", f"Observation/{d}")
        for d in (10, 100)
    ]
    twin = twin_from_record(_record(readings), n_samples=SAMPLES, seed=3)
    assert twin.summary()["type2_diabetes"]["mean"] >= 0.95
    assert twin_from_record(_record(), n_samples=SAMPLES, seed=3).summary()["type2_diabetes"]["mean"] < 0.3


def test_a_coded_condition_is_present_in_nearly_all_samples() -> None:
    twin = twin_from_record(_record(diagnoses=[Diagnosis("atrial_fibrillation", None)]), n_samples=SAMPLES, seed=4)
    assert twin.summary()["atrial_fibrillation"]["mean"] >= 0.9
    uncoded = twin_from_record(_record(), n_samples=SAMPLES, seed=4)
    assert uncoded.summary()["atrial_fibrillation"]["mean"] < 0.2


def test_no_readings_gives_the_prior() -> None:
    """HDL and BMI do not depend on which conditions are coded: without readings they follow the population
    prior at the record's age and sex."""
    twin = twin_from_record(_record(), n_samples=400, seed=5)
    prior, _ = sample_population(4000, 99, min_age=twin.record.age_years, max_age=twin.record.age_years)
    prior_female = prior.take(np.flatnonzero(prior.female))
    for name in ("hdl_mmol_l", "bmi_offset_kg_m2"):
        x, y = twin.state.columns[name].astype(float), prior_female.columns[name].astype(float)
        se = np.sqrt(x.var() / x.size + y.var() / y.size)
        assert abs(x.mean() - y.mean()) < 4 * se, name
        assert 0.8 < x.std() / y.std() < 1.25, name


def test_same_seed_same_ensemble_and_another_seed_another() -> None:
    record = _record(_sbp(3))
    a = twin_from_record(record, n_samples=SAMPLES, seed=6)
    b = twin_from_record(record, n_samples=SAMPLES, seed=6)
    c = twin_from_record(record, n_samples=SAMPLES, seed=7)
    assert a.state.equals(b.state) and a.summary() == b.summary()
    assert not a.state.equals(c.state)


def test_summary_has_levels_and_condition_probabilities() -> None:
    summary = twin_env.twin_from_record(_record(_sbp(2)), n_samples=20, seed=0).summary()
    for name in ("sbp_mmhg", "sbp_untreated_mmhg", "egfr_ml_min_1_73m2", "hba1c_mmol_mol", "ldl_mmol_l", "bmi_kg_m2"):
        assert set(summary[name]) == {"mean", "p05", "p95"}
        assert summary[name]["p05"] <= summary[name]["mean"] <= summary[name]["p95"]
    for name in ("hypertension", "type2_diabetes", "ckd_3_5", "atrial_fibrillation", "heart_failure", "chd"):
        assert 0.0 <= summary[name]["mean"] <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"n_samples": 2.5}, "n_samples must be an integer >= 1"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"n_candidates": 0}, "n_candidates must be an integer >= 1"),
    ],
)
def test_bad_arguments_get_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        twin_from_record(_record(), **kwargs)
    assert "\n" not in str(error.value)


def test_records_the_twin_cannot_hold_get_one_line_errors() -> None:
    child = PatientRecord(birth_date=dt.date(2015, 1, 1), female=False, as_of=AS_OF)
    with pytest.raises(ValueError, match=r"record age at as_of 10\.4 years .* allowed: 18 to 100 years"):
        twin_from_record(child)
    future = _record([Measurement("sbp_mmhg", AS_OF + dt.timedelta(days=1), 140.0, "clinic", "Observation/x")])
    with pytest.raises(ValueError, match="measurement sbp_mmhg \\(Observation/x\\) dated 2025-06-02; allowed"):
        twin_from_record(future)
    with pytest.raises(ValueError, match="record must be a PatientRecord"):
        twin_from_record({"resourceType": "Bundle"})  # type: ignore[arg-type]
