"""The safety rules judge the v1 orders (titration, gliclazide) as they judge any prescription, on the GP record."""

from __future__ import annotations

import numpy as np
import pytest

from tests.envs.test_catalogue_effects import _fork
from twin_env.envs.actions import ACTION_INDEX, resolve
from twin_env.envs.wrappers.shield import row_snapshot
from twin_env.safety.engine import judge
from twin_env.safety.rules import RuleSet
from twin_env.vocab.concepts import OBSERVATION_COLUMN, Concept

RULES = RuleSet.packaged()
pytestmark = pytest.mark.slow  # the prepared v1 cohort of test_catalogue_effects (about 20 s)


def _judged(action: str) -> list[tuple[int, set[str]]]:
    """(row, fired rule ids) for every row of the prepared v1 cohort where ``action`` is valid."""
    env = _fork()
    batch, a = env._batch, ACTION_INDEX[action]
    ctx = batch.context()
    rows = np.flatnonzero(env.action_masks()[:, a])
    resolution = resolve(ctx, a, rows)
    return [
        (row, {v.rule.id for v in judge(RULES, resolution.orders_of(row), row_snapshot(batch, ctx, row))})
        for row in rows.tolist()
    ]


def test_raising_an_acei_needs_an_egfr_in_the_last_year() -> None:
    env = _fork()
    table, days = env._batch.table, env._batch.sim.days
    judged = _judged("titrate_ramipril")
    assert judged
    for row, fired in judged:
        assert ("renal_drug_without_recent_egfr" in fired) == (
            days[row] - table.value_day[row, _column(Concept.EGFR)] > 365
        ), (row, fired)


def test_gliclazide_warns_at_75_and_over_only() -> None:
    env = _fork()
    age = env._batch.sim.state.age_years
    judged = _judged("start_or_titrate_gliclazide")
    assert judged
    for row, fired in judged:
        assert ("sulfonylurea_older_person" in fired) == (age[row] >= 75), (row, age[row], fired)
        assert not fired & {r.id for r in RULES.rules if r.hard} - {"renal_drug_without_recent_egfr"}


def _column(concept: Concept) -> int:
    return int(OBSERVATION_COLUMN[concept])
