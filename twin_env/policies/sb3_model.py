"""A trained stable-baselines3 model (``twin_env.training.train`` output) as a batched :class:`Policy`."""

from __future__ import annotations

import json
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


class SB3ModelPolicy(Policy):
    """Deterministic actions of a stable-baselines3 model; MaskablePPO gets the env's action masks.

    Args:
        model: the SB3 model (``predict`` is called on batched observations).
        algo: one of :data:`ALGOS`.
        env_config: the EnvConfig dict it was trained with.
        name: the policy's name in tables.

    :meth:`load` reads a ``twin-env train`` output directory.
    """

    def __init__(self, model: Any, algo: str, env_config: dict, name: str) -> None:
        if algo not in ALGOS:
            raise ValueError(f"algo {algo!r}; allowed: {list(ALGOS)}")
        self.model, self.algo, self.name = model, algo, name
        #: The EnvConfig it was trained with (evaluation keeps its decision interval and observation mode).
        self.env_config = env_config

    @classmethod
    def load(cls, run_dir: str | Path) -> SB3ModelPolicy:
        """The model saved in ``run_dir`` (``model.zip`` and ``config.json``; or a ``model.zip`` path)."""
        path = Path(run_dir)
        run = path if path.is_dir() else path.parent
        if not (run / "config.json").is_file() or not (run / "model.zip").is_file():
            raise FileNotFoundError(f"{run} has no model.zip and config.json (a `twin-env train` output directory)")
        config = json.loads((run / "config.json").read_text())
        model = load_algo(config["algo"]).load(run / "model.zip", device="cpu")
        return cls(model, config["algo"], config["env_config"], f"{config['algo']}:{run.name}")

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        kwargs = {"action_masks": inputs.mask} if self.algo == "maskable_ppo" else {}
        actions, _ = self.model.predict(inputs.observation, deterministic=True, **kwargs)
        return np.asarray(actions, dtype=np.int64).reshape(inputs.n), [self.algo] * inputs.n
