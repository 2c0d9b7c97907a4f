"""The twin step's exact shortcuts equal the NumPy code they replaced: due-row and risk-factor row selections, and
the risk-equation refresh that gathers each column once per sex."""

from __future__ import annotations

import numpy as np

from twin_env.twin import TwinParameters, TwinSimulator, sample_population
from twin_env.twin.refresh_kernel import due_rows
from twin_env.twin.risk_equations import qdiabetes_hazard_10y, qrisk3_hazard_10y, risk_equations_10y
from twin_env.twin.risk_factor_kernels import recent_quitter_rows, yearly_update_rows

PARAMS = TwinParameters.default()


def _keys_and_counters(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    counters = rng.integers(0, 1_000, size=n, dtype=np.int64)
    # the edges: the uint32 fast path's limit, beyond it, the uint16 wrap, a negative counter
    counters[:6] = (2**32 - 257, 2**32 - 256, 2**40 + 5, 65_535, 65_536 + 3, -7)
    return keys, counters


def test_due_rows_equal_the_numpy_selection() -> None:
    keys, counters = _keys_and_counters(50_000, 1)
    held = np.where(np.random.default_rng(2).random(keys.size) < 0.05, np.nan, 0.1)
    for period in (1, 3, 12, 255, 1000):
        phase = (keys >> np.uint64(56)).astype(np.int64)
        expected = np.flatnonzero(((counters + phase) % period == 0) | np.isnan(held))
        assert np.array_equal(due_rows(keys, counters, held, period), expected), period


def test_yearly_update_rows_equal_the_numpy_selection() -> None:
    keys, counters = _keys_and_counters(50_000, 3)
    alive = np.random.default_rng(4).random(keys.size) < 0.9
    for period in (1, 4, 12, 365, 65_535):
        due = (counters.astype(np.uint16) + keys.astype(np.uint8)) % np.uint16(period) == 0
        assert np.array_equal(yearly_update_rows(keys, counters, alive, period), np.flatnonzero(due & alive)), period


def test_recent_quitter_rows_equal_the_numpy_selection() -> None:
    rng = np.random.default_rng(5)
    age = rng.uniform(16.0, 90.0, 50_000)
    quit_age = np.where(rng.random(age.size) < 0.5, np.nan, age - rng.uniform(-0.1, 3.0, age.size)).astype(np.float32)
    alive = rng.random(age.size) < 0.9
    limit = 48.0 / 52.0 + 1.0 / 12.0
    expected = np.flatnonzero((age - quit_age < limit) & alive)
    assert expected.size > 1_000
    assert np.array_equal(recent_quitter_rows(age, quit_age, alive, limit), expected)


def test_refresh_equals_the_two_equations_bit_for_bit() -> None:
    """Every row of a varied population (ages 18-95, both sexes, after a year of events), more rows than a chunk."""
    state, _ = sample_population(20_000, 7, min_age=18, max_age=95)
    simulator = TwinSimulator(PARAMS)
    for _ in range(13):
        simulator.step(state)
    rows = np.flatnonzero(state.alive)
    qrisk3_h10, qdiabetes_h10 = risk_equations_10y(state, rows, 0.5, PARAMS)
    view = state.view(rows)
    midpoint = view.age_years + 0.5
    assert np.array_equal(qrisk3_h10, qrisk3_hazard_10y(view, PARAMS, midpoint - PARAMS["qrisk3_age_offset_years"]))
    expected = qdiabetes_hazard_10y(view, PARAMS, midpoint - PARAMS["qdiabetes_age_offset_years"])
    assert np.array_equal(qdiabetes_h10, expected)
    assert np.isfinite(qrisk3_h10).all() and np.isfinite(qdiabetes_h10).all()


def test_ageing_and_onsets_equal_the_numpy_step() -> None:
    from twin_env.twin.ageing_kernels import age_patients, detect_onsets

    rng = np.random.default_rng(8)
    n = 50_000
    age = rng.uniform(0.0, 100.0, n)
    age[:3] = (17.999999, 18.0, 39.95)
    offset = rng.normal(0.0, 8.0, n).astype(np.float32)
    alive = rng.random(n) < 0.95
    sbp, dbp, egfr = rng.uniform(90.0, 190.0, n), rng.uniform(50.0, 110.0, n), rng.uniform(20.0, 110.0, n)
    hypertension, ckd, held = rng.random(n) < 0.3, rng.random(n) < 0.1, rng.random(n)
    for dt, drift in ((1.0 / 12.0, 0.0), (0.25, 0.7 * 0.25)):
        expected_age = age + dt * alive
        expected_offset = (offset + drift * (alive & (expected_age >= 40.0))).astype(np.float32)
        expected_adult = age >= 18.0
        got_age, got_offset = age.copy(), offset.copy()
        adult = age_patients(got_age, got_offset, alive, 18.0, dt, drift)
        assert np.array_equal(adult, expected_adult)
        assert np.array_equal(got_age, expected_age) and np.array_equal(got_offset, expected_offset)

        htn = alive & adult & ((sbp >= 140.0) | (dbp >= 90.0)) & ~hypertension
        ckd_new = alive & adult & (egfr < 60.0) & ~ckd
        got_htn, got_ckd, got_held = hypertension.copy(), ckd.copy(), held.copy()
        onsets = detect_onsets(alive, adult, sbp, dbp, egfr, got_htn, got_ckd, got_held)
        assert np.array_equal(onsets[0], htn) and np.array_equal(onsets[1], ckd_new)
        assert np.array_equal(got_htn, hypertension | htn) and np.array_equal(got_ckd, ckd | ckd_new)
        assert np.array_equal(np.isnan(got_held), ckd_new) and htn.any() and ckd_new.any()
