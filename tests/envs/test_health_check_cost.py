"""The NHS Health Check in the reward's care costs: one payment per check (its bloods included), not a consultation."""

from __future__ import annotations

import numpy as np

from twin_env.envs.config import EnvConfig
from twin_env.envs.core import ENV_PARAMETERS, Batch
from twin_env.record.ledger import LedgerKind
from twin_env.twin.economics import to_cost_year_gbp
from twin_env.vocab.concepts import Concept


def test_a_check_costs_its_payment_and_its_bloods_nothing_more() -> None:
    n = 300
    batch = Batch(EnvConfig(horizon_years=1.0, min_age_years=40.0, max_age_years=74.0), n)
    batch.reset(0, np.zeros(n, dtype=np.int64))
    params = batch.sim.care.params
    check_gbp = to_cost_year_gbp(params["health_check_cost_gbp"], int(params["health_check_cost_price_year"]), "check")
    assert check_gbp > params["health_check_cost_gbp"]  # 2013 prices inflated to the cost year
    seen = bloods = 0
    for _ in range(12):
        before = len(batch.sim.ledger)
        _, _, _, comps, _ = batch.step(np.zeros(n, dtype=np.int64))
        new = batch.sim.ledger.since(before)
        row = new["patient"] - batch.sim.record.first_id
        check = (new["kind"] == LedgerKind.CONSULTATION) & (new["concept"] == Concept.NHS_HEALTH_CHECK)
        key = new["patient"].astype(np.int64) << 32
        linked = np.isin(key | new["link"], key[check] | new["seq"][check]) & (new["kind"] == LedgerKind.TEST_ORDER)
        for r in np.unique(row[check]):
            mine = row == r
            others = mine & ~check & ~linked
            if np.isin(new["kind"][others], (LedgerKind.CONSULTATION, LedgerKind.TEST_ORDER)).any():
                continue  # other care in the step: costed on top
            seen += 1
            bloods += int((mine & linked).sum())
            assert comps["cost_consultations_gbp"][r] == np.float64(check_gbp) * (mine & check).sum()
            assert comps["cost_tests_gbp"][r] == 0.0
    assert seen > 10 and bloods > seen  # checks with bloods (a lipid profile each) were costed once
    assert check_gbp != ENV_PARAMETERS["cost_gp_consultation_gbp"]
