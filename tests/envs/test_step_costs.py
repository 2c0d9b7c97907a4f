"""The step's care costs from the ledger (one bincount over part and row) against a per-part reference."""

from __future__ import annotations

import numpy as np

from twin_env.envs import actions as act
from twin_env.envs.config import EnvConfig
from twin_env.envs.core import Batch
from twin_env.envs.step_value import ENV_PARAMETERS, ISSUE_COST_GBP, TEST_COST_GBP
from twin_env.record.ledger import LedgerKind
from twin_env.twin.economics import to_cost_year_gbp
from twin_env.vocab.concepts import Concept
from twin_env.vocab.drugs import DRUGS
from twin_env.vocab.services import COMMUNITY_REFERRALS


def _reference_costs_gbp(new: dict[str, np.ndarray], row: np.ndarray, counted: np.ndarray, n: int, check_gbp: float):
    """The costs as one masked bincount per part (the code the single bincount replaced)."""
    kind, concept = new["kind"], new["concept"].astype(np.intp)

    def per_row(mask: np.ndarray, weight: np.ndarray | float) -> np.ndarray:
        w = np.broadcast_to(np.asarray(weight, dtype=np.float64), mask.shape)
        return np.bincount(row[mask & counted], w[mask & counted], minlength=n)

    e = ENV_PARAMETERS
    consulted = kind == LedgerKind.CONSULTATION
    check = consulted & (concept == Concept.NHS_HEALTH_CHECK)
    consults = per_row(consulted & ~check, e["cost_gp_consultation_gbp"]) + per_row(check, check_gbp)
    check_key = new["patient"][check].astype(np.int64) << 32 | new["seq"][check].astype(np.int64)
    order_key = new["patient"].astype(np.int64) << 32 | new["link"].astype(np.int64)
    tests = per_row((kind == LedgerKind.TEST_ORDER) & ~np.isin(order_key, check_key), TEST_COST_GBP[concept])
    referrals = per_row(kind == LedgerKind.OUTPATIENT_ATTENDANCE, e["cost_outpatient_first_attendance_gbp"]) + per_row(
        (kind == LedgerKind.REFERRAL) & np.isin(concept, COMMUNITY_REFERRALS), e["cost_community_referral_gbp"]
    )
    drugs = per_row(kind == LedgerKind.PRESCRIPTION, ISSUE_COST_GBP["v1"][concept])
    return consults, tests, referrals, drugs


def test_the_step_costs_equal_one_bincount_per_part_to_the_bit() -> None:
    n = 64
    batch = Batch(EnvConfig(horizon_years=2.0, min_age_years=40.0, max_age_years=74.0, action_set="v1"), n)
    batch.reset(0, np.zeros(n, dtype=np.int64))
    params = batch.sim.care.params
    check_gbp = to_cost_year_gbp(params["health_check_cost_gbp"], int(params["health_check_cost_price_year"]), "check")
    rng = np.random.default_rng(1)
    seen = {k: 0.0 for k in ("cost_consultations_gbp", "cost_tests_gbp", "cost_referrals_gbp", "cost_drugs_gbp")}
    for _ in range(18):
        masks = batch.masks()
        alive0 = batch.sim.state.alive.copy()
        before = len(batch.sim.ledger)
        _, _, _, comps, _ = batch.step((rng.random(masks.shape) * masks).argmax(axis=1))
        new = batch.sim.ledger.since(before)
        row = new["patient"] - batch.sim.record.first_id
        consults, tests, referrals, drugs = _reference_costs_gbp(new, row, alive0[row], n, check_gbp)
        home_bp = (batch.last_action == act.ACTION_INDEX["bp_check"]) * ENV_PARAMETERS["cost_home_bp_series_gbp"]
        np.testing.assert_array_equal(comps["cost_consultations_gbp"], consults + home_bp)
        np.testing.assert_array_equal(comps["cost_tests_gbp"], tests)
        np.testing.assert_array_equal(comps["cost_referrals_gbp"], referrals)
        np.testing.assert_array_equal(comps["cost_drugs_gbp"], drugs)
        for k in seen:
            seen[k] += comps[k].sum()
    assert all(v > 0 for v in seen.values()), seen  # every part was costed at least once


def test_a_titration_mask_is_a_dose_below_the_top_licensed_dose() -> None:
    for drug in (*act.TITRATED_DRUGS, "gliclazide"):
        steps = np.array(sorted(DRUGS[drug].products))
        doses = np.concatenate([[0.0, np.nan], steps, steps - 0.25, steps + 0.25])
        top = steps[-1]
        np.testing.assert_array_equal(act.next_dose(drug, doses) > 0, doses < top)
