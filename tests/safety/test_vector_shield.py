"""The vector shield: rows decide as the single-env shield; an independent re-check finds no executed hard violation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twin_env  # noqa: F401 (registers the ids)
from tests.safety.conftest import SHORT
from tests.safety.test_shield import RISKY, independent_violations
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers import SafetyViolationError
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.policies import make_policy, policy_inputs
from twin_env.safety.engine import RowJudge
from twin_env.simulation import Simulation

N = 4


@pytest.fixture
def row_spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str, float]]:
    """Every (row, drug, dose) prescription that reaches the simulator."""
    calls: list[tuple[int, str, float]] = []
    original = Simulation.prescribe

    def prescribe(self, rows, drug, dose):  # noqa: ANN001, ANN202
        calls.extend((int(r), drug, float(dose)) for r in self.living(np.asarray(rows)))
        return original(self, rows, drug, dose)

    monkeypatch.setattr(Simulation, "prescribe", prescribe)
    return calls


def _views(env: VectorSafetyShield) -> list:
    """Each row's GP view on its decision date, this episode's items only (row ids are reused after auto-reset)."""
    batch = env.unwrapped.batch
    out = []
    for row in range(N):
        view = batch.sim.record.gp_view(batch.sim.record.first_id + row, np.datetime64(int(batch.sim.days[row]), "D"))
        first = int(batch.table.episode_seq[row])
        out.append(
            dataclasses.replace(view, items=tuple(i for i in view.items if int(i.event_id.rsplit("-", 1)[1]) >= first))
        )
    return out


def drive(
    mode: str, seed: int, choose: Callable[[VectorSafetyShield, dict, int], np.ndarray], steps: int, spy: list
) -> None:
    """Step the shield with ``choose(env, obs, t)`` actions; re-check every row's prescriptions independently."""
    env = VectorSafetyShield(PrimaryCareVectorEnv(N, SHORT), mode=mode)
    obs, _ = env.reset(seed=seed)
    batch = env.unwrapped.batch
    for t in range(steps):
        views, ages = _views(env), batch.sim.state.age_years.copy()
        days, before = batch.sim.days.copy(), len(spy)
        obs, _, _, _, info = env.step(np.asarray(choose(env, obs, t), dtype=np.int64))
        for row in range(N):
            given_ = [(d, dose) for r, d, dose in spy[before:] if r == row]
            ran_qrisk3 = bool(batch.table.qrisk3_day[row] == days[row])
            found = independent_violations(views[row], float(ages[row]), given_, ran_qrisk3)
            assert found == [], (mode, seed, row, info)
        assert (info["executed_hard_violations"] == 0).all()
        assert np.allclose(info["cost"], sum(info[k] for k in info if k.startswith("cost_")))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(["mask", "replace", "block"]),
    seed=st.integers(0, 5000),
    actions=st.lists(st.lists(st.sampled_from(RISKY + [0, 5, 9]), min_size=N, max_size=N), min_size=4, max_size=16),
)
def test_adversarial_actions_never_execute_a_hard_violation(
    row_spy: list, mode: str, seed: int, actions: list[list[int]]
) -> None:
    drive(mode, seed, lambda env, obs, t: actions[t], len(actions), row_spy)


@pytest.mark.parametrize("name", ["random", "usual_care", "nice_guideline"])
def test_policies_under_the_shield_execute_no_hard_violation(row_spy: list, name: str) -> None:
    policy = make_policy(name, 0)
    drive("replace", 11, lambda env, obs, t: policy.act(policy_inputs(env.unwrapped, obs))[0], 14, row_spy)


@pytest.mark.parametrize("mode", ["replace", "block", "mask"])
def test_rows_decide_as_the_single_env_shield(mode: str) -> None:
    """Row i seeded s meets the patient of the single env seeded s + i: same masks, executed actions and costs."""
    seed, steps = 3, 8
    rng = np.random.default_rng(0)
    plan = rng.choice(RISKY, size=(steps, N))
    vec = VectorSafetyShield(PrimaryCareVectorEnv(N, SHORT), mode=mode)
    vec.reset(seed=seed)
    singles = [gym.make("twin_env/PrimaryCare-Shielded-v0", config=SHORT, mode=mode) for _ in range(N)]
    for i, s in enumerate(singles):
        s.reset(seed=seed + i)
    intervened = 0
    for t in range(steps):
        safe = vec.action_masks()
        _, _, term, trunc, info = vec.step(plan[t])
        for i, s in enumerate(singles):
            assert (safe[i] == s.get_wrapper_attr("decision").safe_mask).all()
            _, _, _, _, one = s.step(int(plan[t, i]))
            assert info["executed_action"][i] == one["executed_action"] and info["cost"][i] == pytest.approx(
                one["cost"]
            )
            assert info["episode_cost"][i] == pytest.approx(one["episode_cost"])
        intervened += int(info["shield_intervened"].sum())
        if (term | trunc).any():
            break
    assert intervened > 0


def test_do_nothing_rows_are_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    env = VectorSafetyShield(PrimaryCareVectorEnv(N, SHORT))
    env.reset(seed=0)

    def boom(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("judged a do-nothing row")

    monkeypatch.setattr(RowJudge, "fired", boom)
    for _ in range(3):
        _, _, _, _, info = env.step(np.zeros(N, dtype=np.int64))
        assert (info["cost"] == 0).all() and not info["shield_intervened"].any()


def test_episode_cost_restarts_after_auto_reset_and_bad_input() -> None:
    env = VectorSafetyShield(PrimaryCareVectorEnv(2, {"horizon_years": 0.25}), mode="block")
    env.reset(seed=1)
    done = np.zeros(2, dtype=bool)
    for _ in range(4):
        _, _, term, trunc, info = env.step(np.full(2, RISKY[0], dtype=np.int64))
        if done.any():
            assert (info["episode_cost"][done] == 0).all() and (info["executed_action"][done] == 0).all()
        done = term | trunc
    with pytest.raises(ValueError, match="invalid actions"):
        env.step(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="mode 'soft'"):
        VectorSafetyShield(PrimaryCareVectorEnv(2, SHORT), mode="soft")


def test_raise_mode_names_the_rule() -> None:
    env = VectorSafetyShield(PrimaryCareVectorEnv(16, SHORT), mode="raise")
    env.reset(seed=0)
    bad = np.flatnonzero(env.unwrapped.action_masks() & ~env.action_masks())
    assert bad.size, "no hard-forbidden action in 16 rows at reset"
    row, action = divmod(int(bad[0]), env.unwrapped.action_masks().shape[1])
    actions = np.zeros(16, dtype=np.int64)
    actions[row] = action
    with pytest.raises(SafetyViolationError, match="breaks hard safety rule"):
        env.step(actions)


def test_sb3_adapter_behind_the_shield_judges_the_first_action_after_a_reset() -> None:
    """SB3 resets rows in the same step: the shield must not treat the new patient's first action as ignored."""
    pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")
    from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv
    from twin_env.envs.wrappers import VectorLagrangianReward

    venv = PrimaryCareSB3VecEnv(
        4, {"horizon_years": 0.25}, lambda e: VectorLagrangianReward(VectorSafetyShield(e), 2.0)
    )
    venv.seed(1)
    venv.reset()
    shield = venv.venv.env
    risky = np.full(4, RISKY[0], dtype=np.int64)
    for _ in range(3):  # 0.25 years of monthly steps: every row ends at the third step and restarts at once
        venv.step_async(risky)
        _, _, done, infos = venv.step_wait()
    assert done.all() and all("terminal_observation" in i for i in infos) and not shield._resetting.any()
    assert (shield.episode_cost == 0).all()
    _, reward, _, _, info = venv.venv.step(risky)  # the wrapper's penalty: reward = raw - 2 x cost
    np.testing.assert_allclose(reward, info["reward_unpenalised"] - 2.0 * info["cost"])
    assert info["cost"].any()
    assert venv.has_attr("lagrange_multiplier") and venv.get_attr("lagrange_multiplier") == [2.0] * 4
    assert venv.has_attr("action_masks") and venv.action_masks().shape == (4, 20)


def test_vector_lagrangian_reward_rejects_a_negative_multiplier() -> None:
    from twin_env.envs.wrappers import VectorLagrangianReward

    with pytest.raises(ValueError, match="lagrange_multiplier must be >= 0, got -1"):
        VectorLagrangianReward(VectorSafetyShield(PrimaryCareVectorEnv(2, SHORT)), -1)
