"""Model-triggered env actions: deployed through the harness, thresholds, write-back, audit, masks."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.envs import model_actions
from twin_env.envs.actions import ACTION_INDEX, resolve_orders
from twin_env.envs.config import EnvConfig
from twin_env.envs.primary_care_env import PrimaryCareEnv
from twin_env.envs.wrappers.shield import SafetyShield
from twin_env.models.deployment import REFUSED, assess_by_day, eligible_on_record
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType
from twin_env.safety.audit import read_entries
from twin_env.safety.engine import judge
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order

Q, D = ACTION_INDEX["qrisk3_statin"], ACTION_INDEX["qdiabetes_dpp"]
AGED = {"min_age_years": 55.0, "max_age_years": 70.0, "horizon_years": 2.0}


def scored_qrisk3_env(**config: float) -> PrimaryCareEnv:
    """An env whose patient has the bloods and BP QRISK3 needs (review, lipids, then wait)."""
    env = PrimaryCareEnv({**AGED, **config})
    env.reset(seed=3)  # a patient whose bloods have no transcription error and whose QRISK3 is above 10%
    for a in ("book_review", "order_lipids", "do_nothing", "do_nothing"):
        env.step(ACTION_INDEX[a])
    return env


def test_qrisk3_action_runs_the_deployment_harness(monkeypatch: pytest.MonkeyPatch) -> None:
    env = scored_qrisk3_env()
    calls = []
    monkeypatch.setattr(model_actions, "assess_by_day", lambda *a, **k: calls.append((a, k)) or assess_by_day(*a, **k))
    obs, _, _, _, info = env.step(Q)
    ((args, _),) = calls
    # run once on the tracked inputs, without write-back: model_actions.write_back writes its scores
    assert args[0].contract.model_id == "qrisk3-2017"
    (entry,) = info["model_outputs"]
    assert entry["event"] == "model_deployment" and entry["model_id"] == "qrisk3-2017"
    assert "ClinRisk" in entry["disclaimer"]
    run = entry["patients"][0]
    assert run["status"] != REFUSED and set(run["inputs"]) >= {"sbp", "chol_hdl_ratio", "age", "egfr"}
    # written back into the GP record, and the observation reads it from there
    table = env.unwrapped.batch.table
    assert table.qrisk3[0] == pytest.approx(run["score_percent"], abs=1e-5)
    assert obs["qrisk3"][0] == pytest.approx(run["score_percent"] / 100, abs=1e-6) and obs["qrisk3"][1] == 0
    scores = env.unwrapped.record.gp_view(run["patient"], info["date"]).of(ItemType.RISK_SCORE)
    assert [round(x.value, 4) for x in scores] == [round(run["score_percent"], 4)]


def test_shielded_step_runs_the_model_once_and_executes_the_judged_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    env = SafetyShield(PrimaryCareEnv({**AGED, "qrisk3_statin_threshold_percent": 0.1}), mode="replace")
    env.reset(seed=3)  # as scored_qrisk3_env: bloods without a transcription error
    for a in ("book_review", "order_lipids", "do_nothing"):
        env.step(ACTION_INDEX[a])
    calls = []
    record = lambda *a, **k: calls.append(a[0].contract.model_id) or assess_by_day(*a, **k)  # noqa: E731
    monkeypatch.setattr(model_actions, "assess_by_day", record)
    env.step(ACTION_INDEX["do_nothing"])  # the next decision is judged here: QRISK3 runs once
    judged = env.decision.orders[Q]
    assert judged == (Order("model", "qrisk3"), Order("prescribe", "atorvastatin", 20.0))
    _, _, _, _, info = env.step(Q)  # executes the judged run (its scores written back), no second run
    assert calls.count("qrisk3-2017") == 1 and not env.action_masks()[Q]
    assert info["executed_action"] == Q and info["model_outputs"][0]["trigger"]["patients"]


def test_a_resolution_taken_on_fewer_rows_is_a_fresh_resolution_of_those_rows() -> None:
    from twin_env.envs import actions as act  # noqa: PLC0415
    from twin_env.envs.vector_env import PrimaryCareVectorEnv  # noqa: PLC0415

    env = PrimaryCareVectorEnv(6, {**AGED, "qrisk3_statin_threshold_percent": 5.0})
    env.reset(seed=0)
    for a in ("book_review", "order_lipids", "do_nothing", "do_nothing"):
        env.step(np.full(6, ACTION_INDEX[a]))
    rows = np.flatnonzero(env.action_masks()[:, Q])
    assert len(rows) >= 2
    whole = env.batch.resolve(Q, rows)
    some = rows[::2]
    taken, fresh = whole.take(some), act.resolve(env.batch.context(), Q, some)
    assert [r.result.to_audit() for r in taken.runs] == [r.result.to_audit() for r in fresh.runs]
    assert [taken.orders_of(int(i)) for i in some] == [fresh.orders_of(int(i)) for i in some]
    assert env.batch.resolve(Q, some).orders_of(int(some[0])) == whole.orders_of(int(some[0]))


@pytest.mark.parametrize(("threshold", "statin"), [(0.1, True), (99.0, False)])
def test_qrisk3_threshold_is_respected(threshold: float, statin: bool) -> None:
    env = scored_qrisk3_env(qrisk3_statin_threshold_percent=threshold)
    orders = resolve_orders(Q, env.unwrapped.batch.context())
    assert orders[0] == Order("model", "qrisk3") and (Order("prescribe", "atorvastatin", 20.0) in orders) is statin
    obs, _, _, _, info = env.step(Q)
    trigger = info["model_outputs"][0]["trigger"]
    assert trigger["threshold_percent"] == threshold and bool(trigger["patients"]) is statin
    assert bool(obs["medications"][7] > 0) is statin  # atorvastatin


@pytest.mark.parametrize(("threshold", "refer"), [(0.1, True), (99.0, False)])
def test_qdiabetes_action_refers_to_the_dpp_at_the_threshold(threshold: float, refer: bool) -> None:
    env = PrimaryCareEnv({**AGED, "qdiabetes_dpp_threshold_percent": threshold})
    _, info = env.reset(seed=0)
    assert info["action_mask"][D]
    obs, _, _, _, info = env.step(D)
    (entry,) = info["model_outputs"]
    assert entry["model_id"] == "qdiabetes-2018-a" and entry["patients"][0]["status"] != REFUSED
    assert bool(entry["trigger"]["patients"]) is refer and bool(obs["referred_recently"][-1]) is refer
    assert bool(info["action_mask"][D]) is not refer  # a DPP referral is not repeated within 90 days


def test_refused_run_does_nothing_and_says_why() -> None:
    env = PrimaryCareEnv({**AGED, "qrisk3_statin_threshold_percent": 0.1})
    env.reset(seed=0)  # no SBP recorded yet: QRISK3 refuses
    n = len(env.unwrapped.batch.sim.ledger)
    assert resolve_orders(Q, env.unwrapped.batch.context()) == [Order("model", "qrisk3")]
    obs, _, _, _, info = env.step(Q)
    run = info["model_outputs"][0]["patients"][0]
    assert run["status"] == REFUSED and run["reason"] == "sbp missing" and run["score_percent"] is None
    assert info["model_outputs"][0]["trigger"]["patients"] == [] and obs["qrisk3"][1] == 1
    led = env.unwrapped.batch.sim.ledger.columns
    kind, concept = led["kind"][n:], led["concept"][n:]
    assert not (kind == LedgerKind.RISK_SCORE).any() and obs["medications"][7] == 0
    assert not ((kind == LedgerKind.PRESCRIPTION) & (concept == Concept.ATORVASTATIN_20MG)).any()


def test_audit_log_records_the_model_output(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    env = SafetyShield(PrimaryCareEnv(AGED), mode="replace", audit_path=str(path))
    env.reset(seed=0)
    _, _, _, _, info = env.step(D)
    env.close()
    last = read_entries(path)[-1]
    assert last["executed"]["name"] == "qdiabetes_dpp"
    assert last["model_outputs"] == info["model_outputs"] and last["model_outputs"][0]["model_id"] == "qdiabetes-2018-a"


def test_masks_follow_contract_eligibility_and_agree_with_the_rules() -> None:
    env = SafetyShield(
        PrimaryCareEnv(
            {"min_age_years": 78.0, "max_age_years": 90.0, "horizon_years": 1.0, "decision_interval_months": 3}
        ),
        mode="mask",
    )
    checked = {"qrisk3": [], "qdiabetes": []}
    for seed in range(6):
        env.reset(seed=seed)
        done = False
        while not done:
            d = env.decision
            batch = env.unwrapped.batch
            ctx = batch.context()
            for action, model in ((Q, "qrisk3"), (D, "qdiabetes")):
                eligible = bool(
                    eligible_on_record(
                        model,
                        ctx.record,
                        [0],
                        np.datetime64(ctx.day, "D"),
                        registration=ctx.registration,
                        first_seq=ctx.table.episode_seq,
                    )[0]
                )
                fired = judge(env.rules, [Order("model", model)], d.snapshot)
                fires = any(v.rule.id == f"{model}_outside_licence" for v in fired)
                assert fires is not eligible
                if d.env_mask[action]:
                    assert eligible and d.safe_mask[action]
                checked[model].append(eligible)
            _, _, term, trunc, _ = env.step(ACTION_INDEX["book_review"])
            done = term or trunc
    assert all(True in v and False in v for v in checked.values())  # both sides of age 85 were seen


def test_thresholds_are_validated() -> None:
    for name in ("qrisk3_statin_threshold_percent", "qdiabetes_dpp_threshold_percent"):
        for bad in (0, -1.0, 101.0, float("nan"), True, "10"):
            with pytest.raises(ValueError, match=name):
                EnvConfig(**{name: bad})
    assert EnvConfig().qrisk3_statin_threshold_percent == 10.0 and EnvConfig().qdiabetes_dpp_threshold_percent == 5.6
