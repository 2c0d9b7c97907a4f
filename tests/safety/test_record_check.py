"""Every executed prescription judged on the record, by issuer; repeats judged as continuations."""

from __future__ import annotations

import numpy as np

from tests.safety.conftest import egfr, on, snapshot
from twin_env.record.ledger import LedgerKind
from twin_env.safety.engine import judge
from twin_env.safety.record_check import ISSUERS, issuer_of, judge_prescriptions
from twin_env.safety.rules import RuleSet
from twin_env.simulation import Simulation
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order

RULES = RuleSet.packaged()


def test_issuer_is_read_from_the_ledger_kind_and_link() -> None:
    kind = np.array(
        [LedgerKind.PRESCRIPTION, LedgerKind.PRESCRIPTION, LedgerKind.HOSPITAL_PRESCRIPTION, LedgerKind.TEST_RESULT]
    )
    link = np.array([-1, 12, 7, 3])
    assert issuer_of(kind, link).tolist() == [0, 1, 2, -1]
    assert ISSUERS == ("agent", "repeats", "hospital")


def test_a_repeat_at_the_current_dose_continues_and_a_titration_does_not() -> None:
    stale = snapshot(egfr(80.0, days_ago=400), on(Concept.RAMIPRIL_5MG, 1.0))
    hard = lambda order: {v.rule.id for v in judge(RULES, [order], stale)}  # noqa: E731
    assert "renal_drug_without_recent_egfr" not in hard(Order("prescribe", "ramipril", 1.0))
    assert "renal_drug_without_recent_egfr" in hard(Order("prescribe", "ramipril", 2.0))
    assert "renal_drug_without_recent_egfr" in hard(Order("prescribe", "losartan", 1.0))


def _metformin_at_low_egfr(check: bool) -> Simulation:
    sim = Simulation.from_population(40, 5, min_age_years=50, max_age_years=85, artefacts=False)
    if not check:
        sim.care.results = None  # care no longer reads the record before issuing
    rows = np.flatnonzero(sim.state.alive & (sim.state.metformin_mg_day == 0))[:6]
    sim.prescribe(rows, "metformin", 1000.0)
    sim.state.egfr_ml_min_1_73m2[rows] = 20.0
    sim.order_test(rows, "renal")
    for _ in range(4):
        sim.step()
    return sim


def test_the_judge_counts_repeats_that_break_a_rule_and_care_issues_none() -> None:
    unchecked = _metformin_at_low_egfr(check=False)
    found = judge_prescriptions(unchecked.record, RULES, unchecked.ledger.columns, unchecked.state.age_years, 56)
    repeats = {(v.rule, v.drug) for v in found if v.issuer == "repeats"}
    assert repeats == {("metformin_egfr_below_30", "metformin")}
    assert all(v.evidence for v in found if v.issuer == "repeats")
    # the direct prescriptions (no eGFR in the record yet) are the agent's
    assert {v.rule for v in found if v.issuer == "agent"} == {"renal_drug_without_recent_egfr"}
    checked = _metformin_at_low_egfr(check=True)
    found = judge_prescriptions(checked.record, RULES, checked.ledger.columns, checked.state.age_years, 56)
    assert [v for v in found if v.issuer != "agent"] == []
