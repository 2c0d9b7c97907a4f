"""The env's per-row model eligibility and one-read deployment give what a fresh gathering gives."""

from __future__ import annotations

import json

import numpy as np

from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.models.deployment import deploy, deploy_by_day, eligible_on_record
from twin_env.models.eligibility import EligibilityTracker
from twin_env.models.gather import gather_record


def _random_masked(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return (rng.random(mask.shape) * mask).argmax(axis=1)


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
            assert isinstance(tracker, EligibilityTracker)
            fresh = eligible_on_record(
                model, ctx.record, ctx.record.first_id + np.arange(n), np.asarray(ctx.day),
                registration=ctx.registration, first_seq=ctx.table.episode_seq,
            )  # fmt: skip
            np.testing.assert_array_equal(tracker.eligible(ctx.registration, ctx.day), fresh)
            answers |= set(fresh.tolist())
    assert answers == {True, False}  # both answers were compared


def test_items_folded_in_as_they_become_visible_equal_a_fresh_gathering() -> None:
    n = 16
    env = PrimaryCareVectorEnv(n, {"horizon_years": 1.0, "min_age_years": 60.0})
    env.reset(seed=2)
    rng = np.random.default_rng(2)
    folded = 0
    for _ in range(16):  # past the horizon: rows get new patients
        env.step(_random_masked(env.action_masks(), rng))
        ctx = env.batch.context()
        for tracker in env.batch.eligibility.values():
            tracker.eligible(ctx.registration, ctx.day)
            cache, patients = tracker._cache, ctx.record.first_id + np.arange(n)
            fresh = gather_record(tracker._raw, ctx.record, ctx.registration, patients, ctx.day, ctx.table.episode_seq)
            for part in ("value", "status", "day", "seq", "count"):
                for name, column in getattr(fresh, part).items():
                    np.testing.assert_array_equal(getattr(cache, part)[name], column, err_msg=f"{part} {name}")
            folded += int((fresh.count["egfr"] > 0).sum()) if "egfr" in fresh.count else 0
    assert folded > 0  # items were found and compared, not only empty rows


def test_deploy_by_day_equals_one_deploy_per_day() -> None:
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
