"""Steps in which nobody is due: care's early returns still take the tests ordered for patients at home."""

from __future__ import annotations

import numpy as np

from twin_env.record import LedgerKind
from twin_env.simulation import Simulation
from twin_env.vocab.panels import Test


def test_an_ordered_test_is_taken_in_a_step_without_a_consultation() -> None:
    sim = Simulation.from_population(1, 3, min_age_years=50, max_age_years=60)
    without_consultation = 0
    for _ in range(12):
        at_home = bool(sim.state.alive[0] and sim.care.care.admission[0] < 0)
        sim.order_test(np.array([0]), "hba1c")
        start = len(sim.ledger)
        sim.step()
        new = sim.ledger.since(start)
        consulted = bool((new["kind"] == LedgerKind.CONSULTATION).any())
        without_consultation += not consulted
        orders = (new["kind"] == LedgerKind.TEST_ORDER) & (new["concept"] == int(Test.HBA1C))
        assert orders.any() == (at_home and bool(sim.state.alive[0])), "an ordered HbA1c is taken at home, only there"
    assert without_consultation > 0, "expected a step without a consultation (the early-return path)"
