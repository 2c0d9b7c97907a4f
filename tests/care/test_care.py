"""Care layer: secondary prevention, actions, repeats."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.record import Concept, LedgerKind
from twin_env.simulation import Simulation
from twin_env.twin import EventKind


def _sim(n: int = 200) -> Simulation:
    return Simulation.from_population(n, 5, min_age_years=50, max_age_years=85)


def test_secondary_prevention_after_mi_reaches_the_twin() -> None:
    sim = _sim(3000)
    admitted: list[int] = []
    with_raas: list[bool] = []
    for _ in range(24):
        seen = len(sim.ledger)
        sim.step()
        led = sim.ledger.columns
        new = np.arange(len(led["kind"])) >= seen
        mi = new & (led["kind"] == LedgerKind.ACUTE_EVENT) & (led["concept"] == Concept.ACUTE_MI)
        admissions = new & (led["kind"] == LedgerKind.ADMISSION)
        rows = np.intersect1d(led["patient"][mi], led["patient"][admissions])
        if rows.size:
            assert (sim.state.dose_beta_blocker[rows] > 0).all()
            assert (sim.state.statin_ldl_reduction[rows] >= 0.55).all()
            with_raas.extend(((sim.state.dose_acei[rows] > 0) | (sim.state.dose_arb[rows] > 0)).tolist())
            admitted.extend(rows.tolist())
    assert admitted, "expected at least one MI admission"
    # the ACE inhibitor is withheld at discharge when the pre-discharge bloods break a limit (K+ > 5.0)
    assert np.mean(with_raas) > 0.8


def test_prescribe_sets_twin_and_repeats_until_stopped() -> None:
    sim = _sim()
    rows = np.flatnonzero(sim.state.alive & (sim.state.dose_ccb == 0))[:20]
    before = sim.state.sbp_mmhg[rows].copy()
    sim.prescribe(rows, "amlodipine", 1.0)
    assert (sim.state.dose_ccb[rows] == 1.0).all()
    assert (sim.state.sbp_mmhg[rows] < before).all()
    for _ in range(3):
        sim.step()
    led = sim.ledger.columns
    issues = (led["kind"] == LedgerKind.PRESCRIPTION) & (led["concept"] == Concept.AMLODIPINE_5MG)
    assert np.count_nonzero(issues & (led["patient"] == rows[0])) >= 3
    sim.stop(rows, "amlodipine")
    n = np.count_nonzero(issues)
    sim.step()
    led = sim.ledger.columns
    after = (
        (led["kind"] == LedgerKind.PRESCRIPTION)
        & (led["concept"] == Concept.AMLODIPINE_5MG)
        & np.isin(led["patient"], rows)
    )
    assert np.count_nonzero(after) == np.count_nonzero(issues & np.isin(led["patient"][: len(issues)], rows))
    assert n > 0


def test_ordered_test_and_referral_are_logged() -> None:
    sim = _sim()
    rows = np.arange(10)
    sim.order_test(rows, "hba1c")
    sim.refer(rows, "cardiology")
    sim.step()
    led = sim.ledger.columns
    assert np.isin(rows, led["patient"][led["concept"] == Concept.HBA1C]).sum() == sim.state.alive[rows].sum()
    assert np.count_nonzero(led["kind"] == LedgerKind.REFERRAL) == 10


def test_bad_action_arguments_raise() -> None:
    sim = _sim(5)
    with pytest.raises(ValueError, match="unknown drug"):
        sim.prescribe(np.arange(2), "aspirin", 75)
    with pytest.raises(ValueError, match="allowed"):
        sim.prescribe(np.arange(2), "ramipril", 3.0)
    with pytest.raises(ValueError, match="unknown test"):
        sim.order_test(np.arange(2), "xray")
    with pytest.raises(ValueError, match="unknown service"):
        sim.refer(np.arange(2), "dermatology")
    assert EventKind.MYOCARDIAL_INFARCTION  # the twin's kinds drive admissions
