"""The rows' judge (per-row facts, vectorised predicates) equals the snapshot judge, item by item and row by row."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.envs.actions import n_actions
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.shield import DO_NOTHING, row_snapshot
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.record.gp.table import GpRecordTable
from twin_env.record.store import ItemType, SystemStore
from twin_env.safety import predicates, row_predicates
from twin_env.safety.engine import judge
from twin_env.safety.row_facts import RowFacts
from twin_env.safety.row_predicates import RowsNow, concepts_read
from twin_env.safety.rules import RuleSet
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order

#: A user rule reading what the packaged rules do not (another observation, a problem, a drug class).
EXTRA_RULE = {
    "id": "test_hba1c_or_hypertension", "version": 1, "severity": "soft", "cost": 0.5, "description": "test",
    "source": "test", "applies_to": {"kind": "prescribe"}, "fallback": None,
    "condition": {"any": [
        {"all": [{"latest": {"concept": "HBA1C", "op": ">=", "value": 58}}, {"not": {"on_drug": ["metformin"]}}]},
        {"problem": ["ESSENTIAL_HYPERTENSION"]},
    ]},
}  # fmt: skip
WINDOW = 56.0
RAMIPRIL = (Concept.RAMIPRIL_2_5MG, Concept.RAMIPRIL_5MG, Concept.RAMIPRIL_10MG)
CONDITIONS = [
    {"latest": {"concept": "EGFR", "op": "<", "value": 45}},
    {"latest": {"concept": "EGFR", "op": ">=", "value": 45}},
    {"recorded_within": {"concepts": ["EGFR", "MEDICATION_REVIEW"], "days": 90}},
    {"problem": ["HEART_FAILURE", "TIA"]},
    {"on_drug": ["ramipril"]},
    {"order_is_new": True},
    {"order_continues": True},
    {"referred_within_days": 90},
    {"death_recorded": True},
    {"not": {"all": [{"order_drug": ["ramipril"]}, {"age_years": {"op": ">=", "value": 60}}]}},
]
VOCAB = RuleSet.packaged().vocab
ORDERS = [Order("prescribe", "ramipril", 5.0), Order("prescribe", "metformin", 500.0), Order("refer", "nephrology")]


def test_facts_follow_the_snapshot_order_item_by_item() -> None:
    """Random items arriving late and out of order, same-day ties, issues and ends in one event, a new patient."""
    rng = np.random.default_rng(5)
    store, n = SystemStore("gp"), 3
    table = GpRecordTable(n, 0)
    facts = RowFacts(table, **concepts_read(CONDITIONS))
    kinds = [
        (ItemType.OBSERVATION, [Concept.EGFR]), (ItemType.ENCOUNTER, [Concept.MEDICATION_REVIEW]),
        (ItemType.PROBLEM, [Concept.HEART_FAILURE, Concept.TIA]), (ItemType.MEDICATION, RAMIPRIL),
        (ItemType.MEDICATION_END, RAMIPRIL), (ItemType.REFERRAL, [Concept.REFERRAL_NEPHROLOGY]),
        (ItemType.DEATH, [Concept.NONE]),
    ]  # fmt: skip
    seq, seen = np.zeros(n, dtype=np.int64), set()
    for day in range(100, 400, 7):
        k = int(rng.integers(0, 10))
        patient = rng.integers(0, n, k)
        for p in patient.tolist():
            kind, concepts = kinds[int(rng.integers(0, len(kinds) - (day < 380)))]
            event = day - int(rng.integers(0, 20))
            s = int(seq[p]) if rng.random() < 0.3 else int(seq[p]) + 1  # a second item of the same event
            seq[p] = s
            store.append(
                np.array([p]), np.array([s]), kind, int(rng.choice(concepts)), np.array([event]),
                np.array([event + int(rng.integers(0, 30))]), float(rng.choice([30.0, 50.0, 5.0, 2.5])),
            )  # fmt: skip
        if day == 240:  # row 1 gets a new patient
            table.update(store, day)
            table.clear(np.array([1]), seq[[1]] + 1)
            seq[1] += 1
        table.update(store, day)
        now = RowsNow(facts, np.full(n, day), np.array([50.0, 61.0, 75.0]), WINDOW)
        shown = GpRecordTable(n, 0)
        shown.episode_seq[:] = table.episode_seq
        shown.update(store, day)
        fresh = RowFacts(shown, **concepts_read(CONDITIONS))  # a late listener: the rows' facts read at once
        for row in range(n):
            snap = RecordSnapshot.from_store(store, row, day, now.age_years[row], WINDOW, int(table.episode_seq[row]))
            for c, cond in enumerate(CONDITIONS):
                for order in ORDERS:
                    expected = predicates.evaluate(cond, snap, order, VOCAB, [])
                    for rows_now in (now, RowsNow(fresh, now.day, now.age_years, WINDOW)):
                        got = row_predicates.evaluate(cond, rows_now, order, VOCAB)
                        assert bool(np.broadcast_to(got, (n,))[row]) == expected, (day, row, cond, order)
                        seen.add((c, expected))
    assert seen == {(c, b) for c in range(len(CONDITIONS)) for b in (False, True)}  # every condition both ways


@pytest.mark.parametrize("rules", [None, {"add": [EXTRA_RULE]}])
def test_rows_judge_as_snapshots_every_valid_action_across_auto_resets(rules: dict | None) -> None:
    n, steps = 12, 9
    env = VectorSafetyShield(PrimaryCareVectorEnv(n, {"horizon_years": 0.5}), mode="replace", rules=rules)
    env.reset(seed=4)
    batch, rng, judged = env.unwrapped.batch, np.random.default_rng(0), 0
    for _ in range(steps):
        state, ctx = env._judged(), batch.context()
        safe = env.action_masks()
        for action in range(n_actions(batch.config.action_set)):
            rows = np.flatnonzero(state.mask[:, action])
            if action == DO_NOTHING or not rows.size:
                continue
            resolution = batch.resolve(action, rows)
            for row in rows.tolist():
                orders = resolution.orders_of(row)
                expected = judge(env.rules, orders, row_snapshot(batch, ctx, row))
                got = state.judge.violations(orders, row)
                assert [(v.rule.id, v.order) for v in got] == [(v.rule.id, v.order) for v in expected]
                assert safe[row, action] == (not any(v.rule.hard for v in expected))
                judged += 1
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in safe])
        _, _, term, trunc, _ = env.step(actions)
        if (term | trunc).any():
            env.reset_rows(np.flatnonzero(term | trunc))
    assert judged > 1_000 and batch.episode.max() >= 1  # rows restarted with new patients


def test_safe_mask_after_reset_rows_equals_a_fresh_one() -> None:
    env = VectorSafetyShield(PrimaryCareVectorEnv(8, {"horizon_years": 0.25}), mode="mask")
    _, info = env.reset(seed=2)
    rng = np.random.default_rng(1)
    for _ in range(6):
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in info["action_mask"]])
        _, _, term, trunc, info = env.step(actions)
        if (term | trunc).any():
            env.reset_rows(np.flatnonzero(term | trunc))
            kept = env.action_masks()
            env._state.safe = None
            np.testing.assert_array_equal(kept, env.action_masks())
            info["action_mask"] = kept
