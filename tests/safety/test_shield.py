"""The shielded env under random and adversarial actions, judged by an independent re-check of the record."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twin_env  # noqa: F401 (registers the ids)
from tests.safety.conftest import SHORT
from twin_env.envs.actions import ACTION_INDEX, resolve_orders
from twin_env.envs.wrappers import CostTuple, LagrangianReward, SafetyShield, SafetyViolationError
from twin_env.record.store import ItemType
from twin_env.safety.engine import judge
from twin_env.simulation import Simulation
from twin_env.vocab.concepts import Concept
from twin_env.vocab.drugs import DRUGS

ID = "twin_env/PrimaryCare-Shielded-v0"
RISKY = [
    ACTION_INDEX[n]
    for n in (
        "step_up_antihypertensive",
        "start_or_titrate_metformin",
        "add_sglt2",
        "qrisk3_statin",
        "refer_cardiology",
    )
]
_DRUG = {c: d.name for d in DRUGS.values() for c in d.products.values()}
_CVD = {Concept.ACUTE_MI, Concept.MYOCARDIAL_INFARCTION, Concept.ANGINA, Concept.STROKE, Concept.TIA}


def independent_violations(view, age: float, prescriptions: list[tuple[str, float]], qrisk3_run: bool) -> list[str]:
    """Hard rules re-derived by hand from ``Record.gp_view`` (not the shield's snapshot or engine)."""
    obs = [i for i in view.items if i.item == ItemType.OBSERVATION]
    latest = {
        c: next((i.value for i in reversed(obs) if i.concept == c), None) for c in (Concept.EGFR, Concept.POTASSIUM)
    }
    recent_egfr = any(i.concept == Concept.EGFR and (view.as_of - i.date).days <= 365 for i in obs)
    current: dict[str, object] = {}
    for i in view.items:
        if i.concept in _DRUG and i.item == ItemType.MEDICATION:
            current[_DRUG[i.concept]] = i
        elif i.concept in _DRUG and i.item == ItemType.MEDICATION_END:
            current.pop(_DRUG[i.concept], None)
    current = {d: i for d, i in current.items() if (view.as_of - i.date).days <= 56}
    dead = any(i.item == ItemType.DEATH for i in view.items)
    bad = []
    for drug, dose in prescriptions:
        egfr, k = latest[Concept.EGFR], latest[Concept.POTASSIUM]
        bad += ["metformin<30"] * (drug == "metformin" and egfr is not None and egfr < 30)
        bad += ["acei+arb"] * (
            (drug == "ramipril" and "losartan" in current) or (drug == "losartan" and "ramipril" in current)
        )
        bad += ["raas K"] * (drug in ("ramipril", "losartan") and drug not in current and k is not None and k > 5.0)
        bad += ["spiro K"] * (drug == "spironolactone" and k is not None and k > 4.5)
        bad += ["no eGFR"] * (
            drug in ("ramipril", "losartan", "indapamide", "spironolactone", "metformin", "dapagliflozin")
            and not recent_egfr
        )
        bad += ["dead"] * dead + ["dose"] * (dose > max(DRUGS[drug].products))
    if qrisk3_run:
        cvd = any(i.item == ItemType.PROBLEM and i.concept in _CVD for i in view.items)
        egfr = latest[Concept.EGFR]
        bad += ["qrisk3"] * (age < 25 or age >= 85 or cvd or (egfr is not None and egfr < 60))
    return bad


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Every prescription that reaches the simulator."""
    calls: list[tuple[str, float]] = []
    original = Simulation.prescribe

    def prescribe(self, rows, drug, dose):  # noqa: ANN001, ANN202
        if len(self.living(np.asarray(rows))):
            calls.append((drug, float(dose)))
        return original(self, rows, drug, dose)

    monkeypatch.setattr(Simulation, "prescribe", prescribe)
    return calls


def drive(mode: str, seed: int, actions: list[int], spy: list) -> list[dict]:
    env = gym.make(ID, config=SHORT, mode=mode)
    env.reset(seed=seed)
    base = env.unwrapped
    infos = []
    for a in actions:
        batch = base.batch
        view = base.record.gp_view(batch.sim.record.first_id, batch.sim.date)
        age, day = float(batch.sim.state.age_years[0]), batch.sim.day
        d, before = env.get_wrapper_attr("decision"), len(spy)
        # the mask agrees with the rules, re-judged here from the record before the step
        hard = {
            b
            for b in range(19)
            if d.env_mask[b]
            and any(v.rule.hard for v in judge(shield_rules(env), resolve_orders(b, d.ctx), d.snapshot))
        }
        assert set(np.flatnonzero(d.env_mask & ~d.safe_mask)) == hard
        _, _, term, trunc, info = env.step(a)
        ran_qrisk3 = bool(base.batch.table.qrisk3_day[0] == day)
        assert independent_violations(view, age, spy[before:], ran_qrisk3) == [], (mode, seed, a, info)
        if a in hard:
            assert info["executed_action"] != a and info["shield_intervened"] and info["cost"] > 0
            if mode in ("block", "mask"):
                assert info["executed_action"] == ACTION_INDEX["do_nothing"]
        else:
            assert info["executed_action"] == a
        infos.append(info)
        if term or trunc:
            break
    assert env.get_wrapper_attr("metrics").summary()["executed_hard_violations"] == 0
    return infos


def shield_rules(env: gym.Env):  # noqa: ANN201
    return env.get_wrapper_attr("rules")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(["mask", "replace", "block"]),
    seed=st.integers(0, 5000),
    actions=st.lists(st.integers(0, 18), min_size=4, max_size=14),
)
def test_random_actions_never_execute_a_hard_violation(spy: list, mode: str, seed: int, actions: list[int]) -> None:
    drive(mode, seed, actions, spy)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(["mask", "replace", "block"]),
    seed=st.integers(0, 5000),
    actions=st.lists(st.sampled_from(RISKY), min_size=4, max_size=14),
)
def test_adversarial_actions_never_execute_a_hard_violation(
    spy: list, mode: str, seed: int, actions: list[int]
) -> None:
    drive(mode, seed, actions, spy)


def _first_blocked(seed_range=range(40)) -> tuple[int, int]:
    for seed in seed_range:
        env = gym.make(ID, config=SHORT, mode="mask")
        _, info = env.reset(seed=seed)
        d = env.get_wrapper_attr("decision")
        forbidden = np.flatnonzero(d.env_mask & ~d.safe_mask)
        if len(forbidden):
            return seed, int(forbidden[0])
    raise AssertionError("no seed with a hard-forbidden action at reset")


def test_modes_on_a_forbidden_action() -> None:
    seed, a = _first_blocked()
    out = {}
    for mode in ("mask", "replace", "block"):
        env = gym.make(ID, config=SHORT, mode=mode)
        _, info = env.reset(seed=seed)
        assert not info["action_mask"][a]
        _, _, _, _, info = env.step(a)
        out[mode] = info["executed_action"]
        assert info["cost"] > 0 and info["episode_cost"] == info["cost"] and info["violations"]
    assert out["mask"] == out["block"] == 0 and out["replace"] in (
        0,
        ACTION_INDEX["order_renal"],
        ACTION_INDEX["stop_metformin"],
    )
    env = gym.make(ID, config=SHORT, mode="raise")
    env.reset(seed=seed)
    with pytest.raises(SafetyViolationError, match="breaks hard safety rule"):
        env.step(a)


def test_costs_are_deterministic_and_follow_the_convention() -> None:
    def run() -> list[tuple]:
        env = gym.make(ID, config=SHORT)
        env.reset(seed=11)
        out = []
        for t in range(12):
            _, r, _, _, info = env.step(RISKY[t % len(RISKY)])
            keys = sorted(k for k in info if k.startswith("cost_"))
            assert info["cost"] == sum(info[k] for k in keys) and len(keys) == len(env.get_wrapper_attr("rules").rules)
            out.append((r, info["cost"], info["episode_cost"], info["executed_action"]))
        return out

    assert run() == run()


def test_checkers_spec_round_trip_and_wrapping_an_existing_env() -> None:
    from gymnasium.utils.env_checker import check_env

    pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")
    from stable_baselines3.common.env_checker import check_env as sb3_check

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings(
            "ignore", message=".*different from the unwrapped version"
        )  # the shield is a wrapper by design
        warnings.filterwarnings("ignore", message=".*is out of date.*", category=DeprecationWarning)  # v0 is retired
        check_env(gym.make(ID, config=SHORT).env.env, skip_render_check=True)
        sb3_check(gym.make(ID, config=SHORT).env.env)
    env = gym.make(ID, config=SHORT, mode="block")
    again = gym.make(env.spec)
    assert again.get_wrapper_attr("mode") == "block"
    wrapped = SafetyShield(gym.make("twin_env/PrimaryCare-v0", config=SHORT), mode="mask")
    rebuilt = gym.make(wrapped.spec)
    assert rebuilt.get_wrapper_attr("mode") == "mask"
    with pytest.raises(ValueError, match="mode 'soft'"):
        gym.make(ID, mode="soft")
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        gym.make(ID, rules={"disable": ["nope"]})


def test_cost_tuple_and_lagrangian_reward() -> None:
    seed, a = _first_blocked()
    six = CostTuple(gym.make(ID, config=SHORT))
    six.reset(seed=seed)
    obs, r, cost, term, trunc, info = six.step(a)
    assert cost == info["cost"] > 0
    lag = LagrangianReward(gym.make(ID, config=SHORT), lagrange_multiplier=2.0)
    lag.reset(seed=seed)
    _, r2, _, _, info2 = lag.step(a)
    assert r2 == pytest.approx(info2["reward_unpenalised"] - 2.0 * info2["cost"])


def test_rule_fallbacks_are_checked_against_the_action_catalogue() -> None:
    from twin_env.envs.wrappers.shield import shield_rules as checked  # noqa: PLC0415

    rule = {
        "id": "odd",
        "version": 1,
        "severity": "hard",
        "cost": 1.0,
        "description": "d",
        "source": "s",
        "applies_to": {"kind": "refer"},
        "condition": {"death_recorded": True},
        "fallback": "fly",
    }
    with pytest.raises(ValueError, match="fallback 'fly'; allowed: null or an action"):
        checked({"add": [rule]})
