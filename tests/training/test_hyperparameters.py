"""The per-algorithm hyperparameter files and their ``key=value`` overrides (typed, checked, one-line errors)."""

from __future__ import annotations

import pytest

pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")
yaml = pytest.importorskip("yaml")

from twin_env.policies.sb3_model import ALGOS  # noqa: E402
from twin_env.training.hyperparameters import (  # noqa: E402
    allowed_keys,
    hyperparams_file,
    load_hyperparameters,
    parse_overrides,
)


@pytest.mark.parametrize("algo", ALGOS)
def test_every_algorithm_has_a_file_whose_settings_are_typed(algo: str) -> None:
    raw = yaml.safe_load(hyperparams_file(algo).read_text())
    hp = load_hyperparameters(algo)
    assert hp == raw and set(hp) <= set(allowed_keys(algo))
    assert isinstance(hp["n_timesteps"], int) and isinstance(hp["n_envs"], int)
    assert isinstance(hp["learning_rate"], float) and hp["gamma"] == 0.99 and hp["policy"] == "MultiInputPolicy"


def test_overrides_are_typed_like_literals_and_win_over_the_file() -> None:
    overrides = parse_overrides(
        ["learning_rate=1e-4", "n_steps=1_024", "normalize_advantage=False", "policy_kwargs={'net_arch': [64, 64]}"]
    )
    assert overrides == {
        "learning_rate": 1e-4,
        "n_steps": 1024,
        "normalize_advantage": False,
        "policy_kwargs": {"net_arch": [64, 64]},
    }
    hp = load_hyperparameters("maskable_ppo", overrides)
    assert (hp["learning_rate"], hp["n_steps"], hp["gae_lambda"]) == (1e-4, 1024, 0.8)
    assert parse_overrides(["policy=MultiInputPolicy"]) == {"policy": "MultiInputPolicy"}


@pytest.mark.parametrize(
    ("algo", "items", "message"),
    [
        ("ppo", ["gama=0.9"], r"unknown hyperparameter 'gama' for ppo; allowed: \['batch_size'"),
        ("dqn", ["gae_lambda=0.9"], r"unknown hyperparameter 'gae_lambda' for dqn"),
        ("ppo", ["gamma=1.5"], r"gamma must be a number in \(0, 1\], got 1.5"),
        ("ppo", ["learning_rate=0"], r"learning_rate must be a number in \(0, inf\], got 0"),
        ("maskable_ppo", ["n_steps=2.5"], r"n_steps must be an integer, got 2.5"),
        ("maskable_ppo", ["n_steps=0"], r"n_steps must be a number in \[1, inf\], got 0"),
        ("maskable_ppo", ["normalize_advantage=1"], r"normalize_advantage must be True or False, got 1"),
        ("maskable_ppo", ["learning_rate=fast"], r"learning_rate must be a number, got 'fast'"),
        ("maskable_ppo", ["n_envs=0"], r"n_envs must be an integer in \[1, 4,096\], got 0"),
        ("maskable_ppo", ["policy=CnnPolicy"], r"policy 'CnnPolicy'; allowed: \['MultiInputPolicy'\]"),
        ("maskable_ppo", ["rollout_buffer_class=x"], r"unknown hyperparameter 'rollout_buffer_class'"),
    ],
)
def test_bad_overrides_are_one_line_errors_naming_the_key(algo: str, items: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        load_hyperparameters(algo, parse_overrides(items))
    assert "\n" not in str(info.value) and str(info.value).startswith("--hyperparams: ")


@pytest.mark.parametrize("item", ["junk", "=1", "two words=1"])
def test_an_override_without_key_and_value_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match=r"expected key=value"):
        parse_overrides([item])


def test_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match=r"algo 'sac'; allowed: \['ppo', 'maskable_ppo', 'dqn'\]"):
        hyperparams_file("sac")
