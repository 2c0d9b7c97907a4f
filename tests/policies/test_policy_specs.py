"""Every form of policy specification: baseline, agent, saved .zip (with or without config.json), module:callable;
bad forms get one-line errors."""

from __future__ import annotations

import base64
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from twin_env.policies import AGENT, POLICIES, SHIPPED_AGENT, DoNothingPolicy, make_policy, pretrained_dir
from twin_env.policies.callable_policy import CallablePolicy, ProtocolPolicy, is_callable_spec
from twin_env.policies.sb3_model import ALGOS, infer_algo

MODULE = """
import numpy as np
from twin_env.policies.base import Policy

def bp_checks(observation, mask):
    return np.where(mask[:, 2], 2, 0)

def with_reasons(observation, mask):
    return np.zeros(len(mask), dtype=int), ["nothing"] * len(mask)

def wrong_shape(observation, mask):
    return np.zeros(3)

class Seeded(Policy):
    name = "seeded"
    def __init__(self, seed):
        self.seed = seed
    def act(self, inputs):
        return np.zeros(inputs.n, dtype=np.int64), [""] * inputs.n

class Plain:
    def act(self, inputs):
        return np.zeros(inputs.n, dtype=np.int64), [""] * inputs.n

NOT_A_POLICY = 3
"""


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "my_policies_for_test.py").write_text(MODULE)
    monkeypatch.chdir(tmp_path)  # the current directory is searched, as for `twin-env evaluate` run there
    return "my_policies_for_test"


def test_baselines_and_policy_objects() -> None:
    assert {make_policy(n).name for n in POLICIES} == set(POLICIES)
    p = DoNothingPolicy()
    assert make_policy(p) is p


def test_module_callable_forms(user_module: str) -> None:
    f = make_policy(f"{user_module}:bp_checks")
    assert isinstance(f, CallablePolicy) and f.name == f"{user_module}:bp_checks"
    seeded = make_policy(f"{user_module}:Seeded", seed=5)
    assert isinstance(seeded, ProtocolPolicy) and seeded.name == "seeded" and seeded.inner.seed == 5
    assert make_policy(f"{user_module}:Plain").name == f"{user_module}:Plain"
    assert is_callable_spec("a.b:c.d") and not is_callable_spec("runs/model.zip") and not is_callable_spec("a:")


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("NOT_A_POLICY", "is a int; allowed: a function, a policy class or object"),
        ("missing", "has no attribute 'missing'"),
    ],
)
def test_bad_module_callable_is_one_line(user_module: str, attr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        make_policy(f"{user_module}:{attr}")
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="cannot import module 'no_such_module_xyz'"):
        make_policy("no_such_module_xyz:f")


def test_unknown_spec_lists_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"unknown policy 'nope'; allowed: a baseline .* module:callable"):
        make_policy("nope")


def _fake_zip(path: Path, data: dict) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data", json.dumps(data))
    return path


def _serialized(text: bytes) -> dict:
    return {":type:": "<class 'abc.ABCMeta'>", ":serialized:": base64.b64encode(text).decode()}


def test_algo_is_read_from_the_zip(tmp_path: Path) -> None:
    ppo = _serialized(b"\x80\x05stable_baselines3.common.policies\x94MultiInputActorCriticPolicy")
    dqn = _serialized(b"\x80\x05stable_baselines3.dqn.policies\x94MultiInputPolicy")
    recurrent = _serialized(b"\x80\x05sb3_contrib.common.recurrent.policies\x94RecurrentActorCriticPolicy")
    assert infer_algo(_fake_zip(tmp_path / "a.zip", {"policy_class": ppo, "clip_range": {}})) == "ppo"
    assert infer_algo(_fake_zip(tmp_path / "b.zip", {"policy_class": dqn})) == "dqn"
    with pytest.raises(ValueError, match=r"cannot tell which algorithm saved .*c.zip; allowed: --algo one of"):
        infer_algo(_fake_zip(tmp_path / "c.zip", {"policy_class": recurrent, "clip_range": {}}))
    (tmp_path / "d.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="is not a saved SB3 model"):
        infer_algo(tmp_path / "d.zip")
    assert ALGOS == ("ppo", "maskable_ppo", "dqn")


def test_shipped_agent_by_alias_and_as_a_bare_zip(tmp_path: Path) -> None:
    pytest.importorskip("sb3_contrib", reason="the sb3 extra is not installed")
    assert infer_algo(pretrained_dir() / SHIPPED_AGENT / "model.zip") == "maskable_ppo"
    agent = make_policy(AGENT)
    assert agent.name == AGENT and agent.env_config["decision_interval_months"] == 3
    bare = tmp_path / "my_agent.zip"
    shutil.copy(pretrained_dir() / SHIPPED_AGENT / "model.zip", bare)
    policy = make_policy(str(bare))
    assert policy.name == "maskable_ppo:my_agent" and policy.env_config is None
    with pytest.raises(ValueError, match="cannot load .*my_agent.zip as dqn"):
        make_policy(str(bare), algo="dqn")
    obs = {k: np.zeros((1, *v.shape), dtype=v.dtype) for k, v in policy.observation_space.spaces.items()}
    assert policy.model.predict(obs, deterministic=True)[0].shape == (1,)
