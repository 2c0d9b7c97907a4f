"""A saved stable-baselines3 / sb3-contrib model as a batched :class:`Policy`.

:meth:`SB3ModelPolicy.load` reads a ``twin-env train`` output directory (``model.zip`` and ``config.json``) or
any saved ``.zip``: with a ``config.json`` next to it, its algorithm and EnvConfig come from there; without,
the algorithm comes from ``algo`` or from the zip's own ``data`` (:func:`infer_algo`) and the evaluation's
EnvConfig must match the model's observation space.
"""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.policies.base import Policy, PolicyInput

ALGOS = ("ppo", "maskable_ppo", "dqn")


def load_algo(algo: str):  # noqa: ANN201 (an SB3 algorithm class)
    """The SB3 / sb3-contrib class for ``algo`` (one of :data:`ALGOS`)."""
    if algo == "ppo":
        from stable_baselines3 import PPO

        return PPO
    if algo == "dqn":
        from stable_baselines3 import DQN

        return DQN
    if algo == "maskable_ppo":
        from sb3_contrib import MaskablePPO

        return MaskablePPO
    raise ValueError(f"algo {algo!r}; allowed: {list(ALGOS)}")


def _serialized(entry: Any) -> bytes:
    """The pickled bytes SB3 stores for an object (never unpickled here: only searched for class paths)."""
    if isinstance(entry, dict) and isinstance(entry.get(":serialized:"), str):
        try:
            return base64.b64decode(entry[":serialized:"])
        except ValueError:
            return b""
    return b""


def infer_algo(zip_path: str | Path) -> str:
    """The algorithm (one of :data:`ALGOS`) that saved ``zip_path``, read from its ``data`` member.

    MaskablePPO: a policy class of ``sb3_contrib.common.maskable``; DQN: exploration and target-update
    settings; PPO: an actor-critic with ``clip_range``. ``ValueError`` when the zip is unreadable or another
    algorithm (pass ``algo`` then, or use a supported one).
    """
    try:
        with zipfile.ZipFile(zip_path) as archive:
            data = json.loads(archive.read("data"))
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{zip_path} is not a saved SB3 model (no readable 'data' member: {exc})") from None
    policy = _serialized(data.get("policy_class"))
    if b"sb3_contrib.common.maskable" in policy:
        return "maskable_ppo"
    if b"sb3_contrib" not in policy:
        if b"stable_baselines3.dqn" in policy or "target_update_interval" in data:
            return "dqn"
        if "clip_range" in data:
            return "ppo"
    raise ValueError(f"cannot tell which algorithm saved {zip_path}; allowed: --algo one of {list(ALGOS)}")


def _train_config(path: Path) -> dict[str, Any] | None:
    """The ``twin-env train`` ``config.json`` next to a model (``None`` if there is none)."""
    config_path = path / "config.json"
    if not config_path.is_file():
        return None
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{config_path} is not readable JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("algo") not in ALGOS:
        raise ValueError(f"{config_path}: 'algo' must be one of {list(ALGOS)}")
    return config


class SB3ModelPolicy(Policy):
    """Deterministic actions of a stable-baselines3 model; MaskablePPO gets the env's action masks.

    Args:
        model: the SB3 model (``predict`` is called on batched observations).
        algo: one of :data:`ALGOS`.
        env_config: the EnvConfig dict it was trained with (``None`` when unknown: a bare ``.zip``).
        name: the policy's name in tables.
    """

    #: torch evaluates the network on the whole batch, and a matrix product's rounding depends on the batch size,
    #: so a near-tie between two actions can break differently for a row in a smaller batch.
    batch_dependent = True

    def __init__(self, model: Any, algo: str, env_config: dict | None, name: str) -> None:
        if algo not in ALGOS:
            raise ValueError(f"algo {algo!r}; allowed: {list(ALGOS)}")
        self.model, self.algo, self.name = model, algo, name
        #: The EnvConfig it was trained with (evaluation keeps its decision interval and observation mode).
        self.env_config = env_config

    @property
    def observation_space(self) -> Any:
        """The model's observation space (the evaluation env must give the same)."""
        return self.model.observation_space

    @classmethod
    def load(cls, path: str | Path, algo: str | None = None, name: str | None = None) -> SB3ModelPolicy:
        """The model at ``path``: a ``twin-env train`` directory (its ``model.zip``) or a saved ``.zip``.

        ``algo`` (one of :data:`ALGOS`) is needed only when neither a ``config.json`` next to the zip nor the
        zip itself says which algorithm saved it. ``ValueError`` / ``FileNotFoundError`` in one line otherwise.
        """
        path = Path(path)
        zip_path = path / "model.zip" if path.is_dir() else path
        if not zip_path.is_file():
            raise FileNotFoundError(f"{path} has no model.zip (allowed: a `twin-env train` directory or a .zip)")
        if algo is not None and algo not in ALGOS:
            raise ValueError(f"algo {algo!r}; allowed: {list(ALGOS)}")
        config = _train_config(zip_path.parent)
        if config is not None and algo is not None and algo != config["algo"]:
            raise ValueError(f"--algo {algo} contradicts {zip_path.parent / 'config.json'} (algo {config['algo']})")
        algo = config["algo"] if config is not None else algo or infer_algo(zip_path)
        try:
            model = load_algo(algo).load(zip_path, device="cpu")
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 (SB3 raises many kinds on a foreign or damaged zip)
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(f"cannot load {zip_path} as {algo} ({detail})") from None
        label = zip_path.parent.name if zip_path.stem == "model" else zip_path.stem
        env_config = None if config is None else config.get("env_config", {})
        return cls(model, algo, env_config, name or f"{algo}:{label}")

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        kwargs = {"action_masks": inputs.mask} if self.algo == "maskable_ppo" else {}
        actions, _ = self.model.predict(inputs.observation, deterministic=True, **kwargs)
        return np.asarray(actions, dtype=np.int64).reshape(inputs.n), [self.algo] * inputs.n
