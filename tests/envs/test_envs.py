"""PrimaryCare envs, MiniGrid style: every registered id through the checkers and contracts."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest

import twin_env
from tests.care.test_no_oracle import truth_flipped_during_care
from tests.nested import same
from twin_env.envs import ENV_IDS
from twin_env.envs.primary_care_env import PrimaryCareEnv

SHORT = {"horizon_years": 1.0}


def _rollout(env: gym.Env, seed: int, steps: int = 15) -> list:
    obs, info = env.reset(seed=seed)
    out = [(obs, info["action_mask"].tolist())]
    for t in range(steps):
        mask = env.unwrapped.action_masks()
        action = int(np.flatnonzero(mask)[t % mask.sum()])
        obs, r, term, trunc, info = env.step(action)
        out.append((obs, r, term, trunc, info["reward_components"], info["action_mask"].tolist()))
        if term or trunc:
            obs, info = env.reset()
    return out


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_checkers_pass_without_warnings(env_id: str) -> None:
    from gymnasium.utils.env_checker import check_env

    pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")
    from stable_baselines3.common.env_checker import check_env as sb3_check

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Gymnasium warns that a retired id (v0) "is out of date": expected, and not the checkers' concern
        warnings.filterwarnings("ignore", message=".*is out of date.*", category=DeprecationWarning)
        check_env(gym.make(env_id, config=SHORT).unwrapped, skip_render_check=True)
        sb3_check(gym.make(env_id, config=SHORT).unwrapped)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_seeded_determinism_pickle_and_spec_round_trip(env_id: str) -> None:
    a, b = gym.make(env_id, config=SHORT), gym.make(env_id, config=SHORT)
    assert same(_rollout(a, 7), _rollout(b, 7))
    c = pickle.loads(pickle.dumps(gym.make(env_id, config=SHORT)))
    assert same(_rollout(c, 7), _rollout(a, 7))
    d = gym.make(a.spec)
    assert same(_rollout(d, 7), _rollout(a, 7))


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("mode", ["ansi", "rgb_array"])
def test_render_modes(env_id: str, mode: str) -> None:
    env = gym.make(env_id, render_mode=mode)
    env.reset(seed=1)
    env.step(1)
    out = env.render()
    assert isinstance(out, str) if mode == "ansi" else (out.dtype == np.uint8 and out.ndim == 3)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_native_vector_env_matches_sync(env_id: str) -> None:
    """Several episodes per row (old patients die at different steps): same observations, rewards and infos."""
    n, config = 4, {"horizon_years": 0.5, "min_age_years": 90.0, "max_age_years": 100.0}
    native = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", config=config)
    sync = gym.make_vec(env_id, num_envs=n, vectorization_mode="sync", config=config)
    on, info_n = native.reset(seed=5)
    os_, info_s = sync.reset(seed=5)
    assert same(on, os_) and same(info_n["action_mask"], info_s["action_mask"])
    ended = 0
    for t in range(30):
        actions = np.full(n, t % 8)
        on, rn, tn, un, info_n = native.step(actions)
        os_, rs, ts, us, info_s = sync.step(actions)
        assert same(on, os_) and np.array_equal(rn, rs) and np.array_equal(tn, ts) and np.array_equal(un, us)
        assert same(info_n["action_mask"], info_s["action_mask"]) and same(
            info_n["patient_index"], info_s["patient_index"]
        )
        stepped = info_s.get("_reward_components", np.zeros(n, dtype=bool))
        for key, value in info_s.get("reward_components", {}).items():
            if key.startswith("_"):
                continue
            assert np.array_equal(info_n["reward_components"][key][stepped], value[stepped])
        ended += int((tn | un).sum())
    assert ended > 2 * n and (info_n["patient_index"] >= 2 * 2**20).any()


def test_vector_env_autoresets_rows() -> None:
    venv = gym.make_vec(
        "twin_env/PrimaryCare-v0", num_envs=4, vectorization_mode="vector_entry_point", config={"horizon_years": 0.25}
    )
    venv.reset(seed=0)
    for _ in range(8):
        obs, r, term, trunc, info = venv.step(np.zeros(4, dtype=np.int64))
        assert venv.observation_space.contains(obs)
    assert (info["patient_index"] >= 2**20).all()


def test_record_mode_never_reads_the_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    """The truth is changed BEFORE the record is written (hidden conditions flipped while care acts,
    tests/care/test_no_oracle.py): observations and masks stay the same over an episode. Then the
    encoder itself: the truth changed after the record is written leaves the observation as it was."""

    def episode() -> list:
        env = PrimaryCareEnv({"horizon_years": 2.0})
        obs, info = env.reset(seed=2)
        seen = [(obs, info["action_mask"].tolist())]
        for t in range(24):
            mask = env.unwrapped.action_masks()
            obs, _, term, trunc, info = env.step(int(np.flatnonzero(mask)[t % mask.sum()]))
            seen.append((obs, info["action_mask"].tolist()))
            if term or trunc:
                break
        return seen

    plain = episode()
    with truth_flipped_during_care(monkeypatch):
        flipped = episode()
    assert same(plain, flipped)

    env = PrimaryCareEnv(SHORT)
    obs, _ = env.reset(seed=2)
    state = env.unwrapped.batch.sim.state
    for field in ("sbp_mmhg", "hba1c_mmol_mol", "egfr_ml_min_1_73m2", "ldl_mmol_l", "total_chol_mmol_l"):
        state.columns[field][:] *= 1.5
    state.type2_diabetes[:] = True
    again = env.unwrapped.batch.observe()
    assert same(obs, {k: v[0] for k, v in again.items()})


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="observation_mode 'x'.*record"):
        PrimaryCareEnv({"observation_mode": "x"})
    with pytest.raises(ValueError, match="unknown config key.*'bogus'"):
        PrimaryCareEnv({"bogus": 1})
    env = PrimaryCareEnv(SHORT)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"invalid action 99.*\[0, 19\]"):
        env.step(99)
    venv = gym.make_vec("twin_env/PrimaryCare-v0", num_envs=2, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        venv.step(np.zeros(3, dtype=np.int64))


@pytest.mark.parametrize("mode", ["truth", "record+truth"])
def test_research_observation_modes(mode: str) -> None:
    env = gym.make("twin_env/PrimaryCare-v0", config={"observation_mode": mode, **SHORT})
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert ("problems" in obs) == (mode == "record+truth")


def test_register_envs_is_idempotent_and_record_exports() -> None:
    twin_env.envs.register_envs()
    gym.register_envs(twin_env)
    env = gym.make("twin_env/PrimaryCare-v0")
    env.reset(seed=0)
    assert env.unwrapped.record.ledger is not None
    pytest.importorskip("twin_env.formats.export")
    assert env.unwrapped.record.to_fhir()["resourceType"] == "Bundle"


@pytest.mark.slow
def test_sb3_algorithms_train() -> None:
    from sb3_contrib import MaskablePPO
    from stable_baselines3 import DQN, PPO

    from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv

    env = gym.make("twin_env/PrimaryCare-v0", config=SHORT)
    PPO("MultiInputPolicy", env, n_steps=256, batch_size=64, n_epochs=1, seed=0).learn(512)
    DQN("MultiInputPolicy", env, learning_starts=100, buffer_size=1000, seed=0).learn(512)
    MaskablePPO("MultiInputPolicy", env, n_steps=256, batch_size=64, n_epochs=1, seed=0).learn(512)
    venv = PrimaryCareSB3VecEnv(8, SHORT)
    MaskablePPO("MultiInputPolicy", venv, n_steps=64, batch_size=128, n_epochs=1, seed=0).learn(1024)


def test_pickle_after_reset_and_steps_continues_identically() -> None:
    env = gym.make("twin_env/PrimaryCare-v0", config=SHORT)
    env.reset(seed=3)
    for checkpoint in (0, 4):
        for _ in range(checkpoint):
            env.step(1)
        copy = pickle.loads(pickle.dumps(env))
        for action in (1, 3, 4, 7, 18, 0, 9):
            assert same(env.step(action), copy.step(action))


def test_the_id_sets_the_catalogue_and_refuses_the_other_one() -> None:
    v0, v1 = gym.make("twin_env/PrimaryCare-v0", config=SHORT), gym.make("twin_env/PrimaryCare-v1", config=SHORT)
    assert (v0.action_space.n, v1.action_space.n) == (20, 36)
    assert (v0.unwrapped.config.action_set, v1.unwrapped.config.action_set) == ("v0", "v1")
    assert v1.unwrapped.config.to_dict()["action_set"] == "v1" and "action_set" not in v0.unwrapped.config.to_dict()
    with pytest.raises(ValueError, match=r"^action_set 'v1' in the config, but this env id's catalogue is 'v0'"):
        gym.make("twin_env/PrimaryCare-v0", config={**SHORT, "action_set": "v1"})
    with pytest.raises(ValueError, match=r"^action_set 'v2'; allowed: \['v0', 'v1'\]$"):
        gym.make("twin_env/PrimaryCare-v1", config={**SHORT, "action_set": "v2"})
    v1.reset(seed=0)
    with pytest.raises(ValueError, match=r"allowed: an integer in \[0, 35\]"):
        v1.step(36)


def test_v1_masks_extend_v0s_unchanged() -> None:
    """The same patients on v0 and v1: v1's first 20 mask columns are v0's, observations differ only by gliclazide."""
    v0, v1 = gym.make("twin_env/PrimaryCare-v0", config=SHORT), gym.make("twin_env/PrimaryCare-v1", config=SHORT)
    (o0, i0), (o1, i1) = v0.reset(seed=4), v1.reset(seed=4)
    for _ in range(6):
        assert np.array_equal(i1["action_mask"][:20], i0["action_mask"])
        assert np.array_equal(o1["medications"][:10], o0["medications"])
        a = int(np.flatnonzero(i0["action_mask"])[-1])
        o0, _, _, _, i0 = v0.step(a)
        o1, _, _, _, i1 = v1.step(a)
