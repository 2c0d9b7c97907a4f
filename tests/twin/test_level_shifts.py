"""What-if level shifts persist through the twin's level updates; a zero shift changes nothing."""

from __future__ import annotations

import numpy as np

from twin_env.twin.cohort import sample_population
from twin_env.twin.level_shifts import shift_levels
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.simulator import TwinSimulator


def test_shifts_move_levels_and_survive_steps() -> None:
    params = TwinParameters.default()
    state, _ = sample_population(500, 11, min_age=50, max_age=70)
    base = state.copy()
    rows = np.arange(0, 500, 2)
    shift_levels(state, rows, params, sbp_mmhg=-10.0, ldl_mmol_l=-1.0, hba1c_mmol_mol=-5.0)
    assert np.allclose(state.sbp_untreated_mmhg[rows], base.sbp_untreated_mmhg[rows] - 10.0)
    assert np.allclose(state.ldl_untreated_mmol_l[rows], np.maximum(base.ldl_untreated_mmol_l[rows] - 1.0, 0.5))
    assert np.array_equal(state.sbp_mmhg[1::2], base.sbp_mmhg[1::2])  # other rows untouched
    simulator = TwinSimulator(params)
    for _ in range(6):
        simulator.step(state, 1.0 / 12.0)
        simulator.step(base, 1.0 / 12.0)
    both = rows[state.alive[rows] & base.alive[rows]]
    assert np.allclose(state.sbp_untreated_mmhg[both], base.sbp_untreated_mmhg[both] - 10.0)
    assert (state.hba1c_mmol_mol[both] <= base.hba1c_mmol_mol[both]).all()


def test_zero_shift_is_bitwise_identical() -> None:
    params = TwinParameters.default()
    state, _ = sample_population(300, 4, min_age=40, max_age=80)
    base = state.copy()
    shift_levels(state, np.arange(300), params)
    state.qrisk3_h10[:], base.qrisk3_h10[:] = np.nan, np.nan  # shifting asks for a re-evaluation
    state.qdiabetes_h10[:], base.qdiabetes_h10[:] = np.nan, np.nan
    assert state.equals(base)
