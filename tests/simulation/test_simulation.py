"""The composition root: one way to sample, build and step a simulation."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.simulation import Simulation, sample_patients, simulate
from twin_env.vocab.orders import Order


def test_simulate_equals_building_and_running() -> None:
    a = simulate(60, 2, 1.0, min_age_years=40, max_age_years=85)
    b = Simulation.from_population(60, 2, min_age_years=40, max_age_years=85)
    steps: list[int] = []
    b.run(1.0, on_step=lambda sim, done: steps.append(done))
    assert steps == list(range(1, 13))
    assert a.state.equals(b.state)
    assert a.ledger.to_frame().equals(b.ledger.to_frame())
    assert a.day == b.day == int(np.datetime64("2021-04-01", "D").astype(np.int64))


def test_patient_ids_are_population_indices() -> None:
    sim = Simulation.from_population(5, 7, min_age_years=40, max_age_years=60, first_index=100)
    assert sim.record.first_id == 100
    state, _ = sample_patients(np.arange(100, 105), 7, min_age_years=40, max_age_years=60)
    np.testing.assert_array_equal(sim.state.patient_key, state.patient_key)


def test_execute_dispatches_every_order_kind() -> None:
    sim = Simulation.from_population(20, 5, min_age_years=50, max_age_years=80)
    rows = sim.living(np.arange(5))
    n = len(sim.ledger)
    sim.execute(rows, Order("prescribe", "amlodipine", 1.0))
    assert (sim.state.dose_ccb[rows] == 1.0).all()
    sim.execute(rows, Order("stop", "amlodipine"))
    assert (sim.state.dose_ccb[rows] == 0.0).all()
    sim.execute(rows, Order("refer", "cardiology"))
    sim.execute(rows, Order("test", "hba1c"))
    sim.execute(rows, Order("review", "review"))
    sim.execute(rows, Order("model", "qrisk3"))
    assert len(sim.ledger) == n + 3 * rows.size  # prescription, its end, referral
    with pytest.raises(ValueError, match="no dose"):
        sim.execute(rows, Order("prescribe", "amlodipine"))
    with pytest.raises(ValueError, match="unknown order kind"):
        sim.execute(rows, Order("admit", "x"))
