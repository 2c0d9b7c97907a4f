"""The NICE guideline policy against hand-worked cases, built as record contexts (no sampled patients)."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.envs.actions import ACTION_INDEX, RecordContext, action_masks, qrisk3_from_record
from twin_env.envs.core import ENV_PARAMETERS
from twin_env.envs.observation import MEDICATIONS, PROBLEMS
from twin_env.policies import NiceGuidelinePolicy, PolicyInput, bp_target_mmhg, ng136_step1_is_acei
from twin_env.record.gp import GpRecordTable
from twin_env.vocab.concepts import OBSERVATION_COLUMN, Concept

DAY = 10_000
WHITE, BLACK_AFRICAN = 1, 7


def record(
    age: float,
    ethnicity: int = WHITE,
    problems: tuple[str, ...] = (),
    values: dict[Concept, float] | None = None,
    drugs: dict[str, float] | None = None,
) -> PolicyInput:
    """One patient's GP record as of DAY: values measured 10 days ago, drugs issued 10 days ago."""
    t = GpRecordTable(1, 0)
    for name in problems:
        t.problem[0, list(PROBLEMS).index(name)] = True
    for concept, v in (values or {}).items():
        t.value[0, int(OBSERVATION_COLUMN[concept])], t.value_day[0, int(OBSERVATION_COLUMN[concept])] = v, DAY - 10
    for drug, dose in (drugs or {}).items():
        t.dose[0, MEDICATIONS.index(drug)], t.issued_day[0, MEDICATIONS.index(drug)] = dose, DAY - 10
    t.review_day[0] = DAY - 30
    ctx = RecordContext(
        t, np.array([age]), np.array([False]), np.array([ethnicity]), np.array([0.0]), DAY, ENV_PARAMETERS
    )
    mask = action_masks(ctx, np.array([True]))
    return PolicyInput({}, mask, ctx, np.array([0]), 1 / 12)


FRESH = {
    Concept.EGFR: 85.0,
    Concept.POTASSIUM: 4.2,
    Concept.URINE_ACR: 1.0,
    Concept.HBA1C: 38.0,
    Concept.TOTAL_CHOLESTEROL: 4.0,
    Concept.HDL_CHOLESTEROL: 1.6,
}

ON_STATIN = {"atorvastatin": 20.0}  # isolates the rule under test from the (higher-priority) statin rules


def decide(inputs: PolicyInput) -> tuple[str, str]:
    actions, reasons = NiceGuidelinePolicy().act(inputs)
    return [k for k, v in ACTION_INDEX.items() if v == actions[0]][0], reasons[0]


@pytest.mark.parametrize(
    ("age", "ethnicity", "t2d", "acei"),
    [
        (45, WHITE, False, True),  # under 55: ACEi/ARB
        (54.9, WHITE, False, True),
        (55, WHITE, False, False),  # 55 and over: CCB
        (70, WHITE, True, True),  # T2DM at any age: ACEi/ARB
        (45, BLACK_AFRICAN, False, False),  # Black African, no T2DM: CCB even under 55
        (45, BLACK_AFRICAN, True, True),  # Black African with T2DM: ACEi/ARB
    ],
)
def test_ng136_step1_choice(age: float, ethnicity: int, t2d: bool, acei: bool) -> None:
    assert ng136_step1_is_acei(np.array([age]), np.array([ethnicity]), np.array([t2d]))[0] == acei
    problems = ("hypertension", "type2_diabetes") if t2d else ("hypertension",)
    action, reason = decide(
        record(age, ethnicity, problems, {**FRESH, Concept.SBP: 165.0, Concept.DBP: 95.0}, ON_STATIN)
    )
    assert action == "step_up_antihypertensive"
    assert ("ACEi/ARB" in reason) == acei and ("CCB" in reason) == (not acei)


@pytest.mark.parametrize(
    ("age", "sbp", "dbp", "target"),
    [
        (79, 139.0, 85.0, True),
        (79, 141.0, 85.0, False),
        (79, 130.0, 91.0, False),
        (80, 145.0, 85.0, True),
        (80, 151.0, 85.0, False),
        (85, 149.0, 89.0, True),
    ],
)
def test_bp_target_by_age(age: float, sbp: float, dbp: float, target: bool) -> None:
    s, d = bp_target_mmhg(np.array([age]))
    assert ((sbp < s[0]) & (dbp < d[0])) == target
    action, _ = decide(
        record(
            age,
            WHITE,
            ("hypertension",),
            {**FRESH, Concept.SBP: sbp, Concept.DBP: dbp},
            {**ON_STATIN, "amlodipine": 10.0},
        )
    )
    assert (action == "step_up_antihypertensive") == (not target)


def test_metformin_stopped_below_egfr_30() -> None:
    values = {**FRESH, Concept.EGFR: 28.0, Concept.HBA1C: 60.0}
    action, reason = decide(record(60, WHITE, ("type2_diabetes",), values, {"metformin": 1000.0}))
    assert action == "stop_metformin" and "eGFR < 30" in reason


def test_metformin_kept_and_not_titrated_at_egfr_30_to_45() -> None:
    values = {**FRESH, Concept.EGFR: 40.0, Concept.HBA1C: 52.0, Concept.URINE_ACR: 1.0}
    action, _ = decide(record(60, WHITE, ("type2_diabetes",), values, {"metformin": 1000.0}))
    assert action not in ("stop_metformin", "start_or_titrate_metformin")


def test_metformin_started_at_hba1c_48() -> None:
    action, reason = decide(
        record(
            60,
            WHITE,
            ("type2_diabetes",),
            {**FRESH, Concept.HBA1C: 50.0, Concept.SBP: 120.0, Concept.DBP: 70.0},
            ON_STATIN,
        )
    )
    assert action == "start_or_titrate_metformin" and "start metformin" in reason


@pytest.mark.parametrize(("sbp", "statin"), [(180.0, True), (110.0, False)])
def test_statin_at_qrisk3_10_percent(sbp: float, statin: bool) -> None:
    # above: man of 68, TC/HDL 6.0, SBP 180; below: man of 45, TC/HDL 2.5, SBP 110.
    age, ratio = (68, (6.0, 1.0)) if statin else (45, (4.0, 1.6))
    values = {
        **FRESH,
        Concept.TOTAL_CHOLESTEROL: ratio[0],
        Concept.HDL_CHOLESTEROL: ratio[1],
        Concept.SBP: sbp,
        Concept.DBP: 70.0,
    }
    inputs = record(age, WHITE, (), values)
    score = qrisk3_from_record(inputs.context)[0]
    assert (score >= 10.0) == statin
    action, reason = decide(inputs)
    assert (action == "start_or_intensify_statin") == statin
    if statin:
        assert "QRISK3" in reason and ">= 10%" in reason


def test_sglt2_waits_for_a_recent_egfr() -> None:
    """SGLT2 inhibitors are renally relevant: without an eGFR in the last year, order U&E first."""
    values = {k: v for k, v in FRESH.items() if k != Concept.EGFR}
    values.update({Concept.SBP: 120.0, Concept.DBP: 70.0})
    drugs = {"atorvastatin": 80.0, "metformin": 1000.0}
    action, _ = decide(record(66, WHITE, ("type2_diabetes", "angina"), values, drugs))
    assert action == "order_renal"
    action, reason = decide(record(66, WHITE, ("type2_diabetes", "angina"), {**values, Concept.EGFR: 80.0}, drugs))
    assert action == "add_sglt2" and "SGLT2" in reason


def test_a_coded_ckd_with_albuminuria_is_ckd_for_the_statin_rule() -> None:
    # NG203 1.1: CKD stage 1/2 (ACR >= 3 persisting, eGFR >= 60) is CKD, so NG238's CKD statin applies
    plain = record(50, values=FRESH)
    assert decide(plain)[0] != "start_or_intensify_statin"
    coded = record(50, values=FRESH)
    coded.context.table.ckd_albuminuria[0] = True
    assert decide(coded) == ("start_or_intensify_statin", "NG238 1.6.9: CKD, atorvastatin 20 mg")
    assert not coded.context.table.problem.any()  # not the ckd_3_5 problem column (nor the observation's)
