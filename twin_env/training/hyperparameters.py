"""Hyperparameters per algorithm from ``hyperparams/<algo>.yml`` (RL Zoo style), with ``key=value`` overrides.

A file holds the run's ``n_timesteps`` (env steps, summed over rows), ``n_envs`` (patients stepped together) and
``policy`` (the SB3 policy class name), and keyword arguments of the algorithm's class. Overrides are typed as
RL Zoo types them, but without ``eval``: ``ast.literal_eval`` (``3e-4``, ``1_000``, ``True``, ``None``, lists,
dicts such as ``policy_kwargs={'net_arch': [64, 64]}``), else the plain string (``policy=MlpPolicy``).
Each value is checked against the type of the class's default and a few ranges; a bad one is a one-line
``ValueError`` naming the key and what is allowed.
"""

from __future__ import annotations

import ast
import inspect
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from twin_env.policies.sb3_model import ALGOS, load_algo

#: Where the per-algorithm files live (package data).
HYPERPARAMS_DIR = Path(__file__).resolve().parent / "hyperparams"
#: Keys of a file that set the run, not the algorithm: ``(type, low, high)`` (inclusive).
RUN_KEYS: dict[str, tuple[type, int, int]] = {"n_timesteps": (int, 1, 10**11), "n_envs": (int, 1, 4096)}
#: Arguments of the algorithm that training sets itself, or that take a class (not writable as a literal).
TRAINER_ARGS = frozenset(
    {"env", "seed", "device", "verbose", "tensorboard_log", "_init_setup_model"}
    | {"rollout_buffer_class", "replay_buffer_class"}
)
#: Ranges of common hyperparameters: ``(low, high, low_open)``; others only need the default's type.
RANGES: dict[str, tuple[float, float, bool]] = {
    "gamma": (0.0, 1.0, True),
    "gae_lambda": (0.0, 1.0, False),
    "learning_rate": (0.0, float("inf"), True),
    "ent_coef": (0.0, float("inf"), False),
    "vf_coef": (0.0, float("inf"), False),
    "clip_range": (0.0, float("inf"), True),
    "max_grad_norm": (0.0, float("inf"), True),
    "n_steps": (1, float("inf"), False),
    "batch_size": (1, float("inf"), False),
    "n_epochs": (1, float("inf"), False),
    "buffer_size": (1, float("inf"), False),
    "learning_starts": (0, float("inf"), False),
    "train_freq": (1, float("inf"), False),
    "target_update_interval": (1, float("inf"), False),
    "tau": (0.0, 1.0, True),
    "exploration_fraction": (0.0, 1.0, False),
    "exploration_initial_eps": (0.0, 1.0, False),
    "exploration_final_eps": (0.0, 1.0, False),
}
#: SB3 policy class names an override of ``policy`` may give (the observation is a dict).
POLICIES = ("MultiInputPolicy",)


def hyperparams_file(algo: str) -> Path:
    """``hyperparams/<algo>.yml``."""
    if algo not in ALGOS:
        raise ValueError(f"algo {algo!r}; allowed: {list(ALGOS)}")
    return HYPERPARAMS_DIR / f"{algo}.yml"


def load_hyperparameters(algo: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The file's settings for ``algo`` under ``overrides`` (typed values), each key and value checked."""
    path = hyperparams_file(algo)
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path.name} must be a mapping of hyperparameter names to values")
    for key, value in loaded.items():
        check_hyperparameter(algo, key, value, source=path.name)
    for key, value in (overrides or {}).items():
        check_hyperparameter(algo, key, value, source="--hyperparams")
    return {**loaded, **(overrides or {})}


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``["gamma=0.995", "n_steps=128"]`` -> ``{"gamma": 0.995, "n_steps": 128}`` (values typed, keys unchecked)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"--hyperparams {item!r}: expected key=value, e.g. learning_rate=1e-4")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        out[key] = value
    return out


def allowed_keys(algo: str) -> list[str]:
    """The keys a file or an override may set for ``algo``: the run's and the algorithm's arguments."""
    return sorted({*RUN_KEYS, *_algo_defaults(algo)})


def check_hyperparameter(algo: str, key: Any, value: Any, source: str) -> None:
    """Raises a one-line ``ValueError`` if ``key`` is not a setting of ``algo`` or ``value`` does not fit it."""
    defaults = _algo_defaults(algo)
    if not isinstance(key, str) or (key not in RUN_KEYS and key not in defaults):
        raise ValueError(f"{source}: unknown hyperparameter {key!r} for {algo}; allowed: {allowed_keys(algo)}")
    if key in RUN_KEYS:
        _, lo, hi = RUN_KEYS[key]
        if not _is_int(value) or not lo <= value <= hi:
            raise ValueError(f"{source}: {key} must be an integer in [{lo:,}, {hi:,}], got {value!r}")
        return
    if key == "policy":
        if value not in POLICIES:
            raise ValueError(f"{source}: policy {value!r}; allowed: {list(POLICIES)} (the observation is a dict)")
        return
    default = defaults[key]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{source}: {key} must be True or False, got {value!r}")
    elif isinstance(default, numbers.Integral) and not _is_int(value):
        raise ValueError(f"{source}: {key} must be an integer, got {value!r}")
    elif isinstance(default, float) and not _is_real(value):
        raise ValueError(f"{source}: {key} must be a number, got {value!r}")
    if key in RANGES:
        lo, hi, lo_open = RANGES[key]
        inside = _is_real(value) and (lo < value if lo_open else lo <= value) and value <= hi
        if not inside:
            interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
            raise ValueError(f"{source}: {key} must be a number in {interval}, got {value!r}")


def _algo_defaults(algo: str) -> dict[str, Any]:
    """The algorithm class's keyword arguments and defaults (``policy``'s default: None), less the trainer's."""
    signature = inspect.signature(load_algo(algo).__init__)
    return {
        name: (None if p.default is inspect.Parameter.empty else p.default)
        for name, p in signature.parameters.items()
        if name != "self" and name not in TRAINER_ARGS and p.kind is not inspect.Parameter.VAR_KEYWORD
    }


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
