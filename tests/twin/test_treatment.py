"""The twin's treatment API: starting and stopping drugs changes the twin's current levels."""

from __future__ import annotations

import numpy as np

from twin_env.twin import TwinParameters, sample_population
from twin_env.twin.treatment import start_drug, stop_drug, update_effects
from twin_env.vocab.drugs import DRUGS


def test_start_and_stop_drug_change_current_levels() -> None:
    state, _ = sample_population(50, 3, min_age=50, max_age=80)
    params = TwinParameters.default()
    rows = np.flatnonzero(state.alive & (state.dose_ccb == 0))[:10]
    before = state.sbp_mmhg[rows].copy()
    start_drug(state, rows, DRUGS["amlodipine"], 1.0, params)
    assert (state.dose_ccb[rows] == 1.0).all()
    assert (state.sbp_mmhg[rows] < before).all()
    stop_drug(state, rows, DRUGS["amlodipine"], params)
    assert (state.dose_ccb[rows] == 0.0).all()
    np.testing.assert_array_equal(state.sbp_mmhg[rows], before)


def test_at_least_keeps_a_higher_dose_and_statins_set_the_ldl_reduction() -> None:
    state, _ = sample_population(20, 4, min_age=50, max_age=80)
    params = TwinParameters.default()
    rows = np.arange(4)
    start_drug(state, rows[:2], DRUGS["bisoprolol"], 2.0, params)
    start_drug(state, rows, DRUGS["bisoprolol"], 1.0, params, at_least=True)
    np.testing.assert_array_equal(state.dose_beta_blocker[rows], [2.0, 2.0, 1.0, 1.0])
    start_drug(state, rows, DRUGS["atorvastatin"], 80.0, params)
    assert (state.statin_ldl_reduction[rows] == params.statin_ldl_reduction[("atorvastatin", 80)]).all()


def test_update_effects_is_idempotent() -> None:
    state, _ = sample_population(200, 5, min_age=40, max_age=85)
    params = TwinParameters.default()
    update_effects(state, params)
    once = state.copy()
    update_effects(state, params)
    assert state.equals(once)
