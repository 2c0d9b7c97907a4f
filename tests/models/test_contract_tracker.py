"""The env's per-row contract items (masks and model runs) and one-read deployment give what a fresh gathering gives."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.models.deployment import assess_by_day, deploy, deploy_by_day, eligible_on_record
from twin_env.models.gather import Gathered, gather_record
from twin_env.models.tracker import ContractTracker
from twin_env.record.gp.table import GpRecordTable

_PARTS = ("value", "status", "day", "seq", "count")


def _random_masked(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (rng.random(mask.shape) * mask).argmax(axis=1)


def _assert_same(tracked: Gathered, fresh: Gathered, where: str) -> None:
    np.testing.assert_array_equal(tracked.patients, fresh.patients)
    for part in _PARTS:
        assert getattr(tracked, part).keys() == getattr(fresh, part).keys()
        for name, column in getattr(fresh, part).items():
            got = getattr(tracked, part)[name]
            assert got.dtype == column.dtype, f"{where}: {part} {name} dtype"
            np.testing.assert_array_equal(got, column, err_msg=f"{where}: {part} {name}")


def test_tracked_items_equal_a_fresh_gathering_of_every_row_each_step_across_auto_resets() -> None:
    n = 16
    env = PrimaryCareVectorEnv(n, {"horizon_years": 1.0, "min_age_years": 55.0})
    env.reset(seed=2)
    rng = np.random.default_rng(2)
    found: dict[str, int] = {}
    for step in range(20):  # past the horizon: rows get new patients
        env.step(_random_masked(env.action_masks(), rng))
        ctx = env.batch.context()
        rows = np.arange(n)
        for model, tracker in env.batch.eligibility.items():
            assert isinstance(tracker, ContractTracker)
            fresh = gather_record(
                tracker.contract, ctx.record, ctx.registration, ctx.record.first_id + rows, ctx.day,
                ctx.table.episode_seq,
            )  # fmt: skip
            _assert_same(tracker.gather(rows, ctx.day, ctx.registration), fresh, f"{model} step {step}")
            some = rng.permutation(n)[: n // 3]  # a few rows, in any order
            days = np.broadcast_to(np.asarray(ctx.day), (n,))[some]
            one = gather_record(
                tracker.contract, ctx.record, ctx.registration, ctx.record.first_id + some, days,
                ctx.table.episode_seq[some],
            )  # fmt: skip
            _assert_same(tracker.gather(some, days, ctx.registration), one, f"{model} step {step} rows {some}")
            for name, count in fresh.count.items():
                found[name] = found.get(name, 0) + int((count > 0).sum())
    # every kind of record item was found and compared, not only empty rows
    for name in ("sbp", "sbp_sd", "bmi", "chol_hdl_ratio", "smoking", "egfr", "treated_hypertension", "statins"):
        assert found[name] > 0, name


def test_tracked_eligibility_equals_gathering_every_row_each_step_across_auto_resets() -> None:
    n = 8
    env = PrimaryCareVectorEnv(n, {"horizon_years": 0.5, "min_age_years": 55.0})
    env.reset(seed=4)
    rng = np.random.default_rng(0)
    answers = set()
    for _ in range(14):  # past the horizon: rows get new patients
        env.step(_random_masked(env.action_masks(), rng))
        ctx = env.batch.context()
        for model, tracker in env.batch.eligibility.items():
            fresh = eligible_on_record(
                model, ctx.record, ctx.record.first_id + np.arange(n), np.asarray(ctx.day),
                registration=ctx.registration, first_seq=ctx.table.episode_seq,
            )  # fmt: skip
            np.testing.assert_array_equal(tracker.eligible(ctx.registration, ctx.day), fresh)
            answers |= set(fresh.tolist())
    assert answers == {True, False}  # both answers were compared


def test_a_tracker_made_after_the_table_was_filled_starts_from_the_items_it_shows() -> None:
    n = 12
    env = PrimaryCareVectorEnv(n, {"horizon_years": 0.5, "min_age_years": 60.0})
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    for _ in range(9):  # past the horizon: rows hold new patients, and earlier patients' items
        env.step(_random_masked(env.action_masks(), rng))
    ctx = env.batch.context()
    late = ContractTracker("qrisk3", ctx.record, ctx.table)
    rows = np.arange(n)
    fresh = gather_record(
        late.contract, ctx.record, ctx.registration, ctx.record.first_id + rows, ctx.day, ctx.table.episode_seq
    )
    assert int(fresh.count["sbp_sd"].sum()) > 0
    _assert_same(late.gather(rows, ctx.day, ctx.registration), fresh, "late tracker")


def test_a_table_given_no_items_yet_replays_nothing() -> None:
    table = GpRecordTable(3, 0)
    table.listen(lambda row, items: pytest.fail("no items were shown"), lambda rows: None)


def test_deploy_by_day_equals_one_deploy_per_day_and_the_tracked_assessment_equals_it() -> None:
    n = 8
    env = PrimaryCareVectorEnv(n, {"min_age_years": 55.0})
    env.reset(seed=1)
    rng = np.random.default_rng(1)
    for _ in range(6):
        env.step(_random_masked(env.action_masks(), rng))
    ctx = env.batch.context()
    patients = ctx.record.first_id + np.arange(n)
    days = np.full(n, int(np.max(ctx.day)), dtype=np.int64) - np.arange(n) % 3 * 40
    for model in ("qrisk3", "qdiabetes"):
        runs = deploy_by_day(model, ctx.record, patients, days, registration=ctx.registration)
        assert [int(days[i[0]]) for i, _ in runs] == sorted(set(days.tolist()))
        for index, result in runs:
            one = deploy(
                model, ctx.record, patients[index], np.datetime64(int(days[index[0]]), "D"),
                registration=ctx.registration, write_back=False,
            )  # fmt: skip
            assert json.dumps(result.to_audit(), sort_keys=True) == json.dumps(one.to_audit(), sort_keys=True)
        tracker = env.batch.eligibility[model]
        today = np.broadcast_to(np.asarray(ctx.day), (n,))
        tracked = assess_by_day(tracker.model, tracker.gather(np.arange(n), today, ctx.registration), today)
        fresh = deploy_by_day(model, ctx.record, patients, today, registration=ctx.registration)
        assert [json.dumps(r.to_audit(), sort_keys=True) for _, r in tracked] == [
            json.dumps(r.to_audit(), sort_keys=True) for _, r in fresh
        ]
