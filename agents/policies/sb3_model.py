"""A trained stable-baselines3 model (``agents.train`` output) as a batched :class:`Policy`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from agents.policies.base import Policy, PolicyInput

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
    """Deterministic actions of a saved model; MaskablePPO gets the env's action masks.

    Args:
        run_dir: a ``twin-env train`` output directory (``model.zip``, ``config.json``) or a
            ``model.zip`` beside its ``config.json``.
    """

    def __init__(self, run_dir: str | Path) -> None:
        path = Path(run_dir)
        run = path if path.is_dir() else path.parent
        if not (run / "config.json").is_file() or not (run / "model.zip").is_file():
            raise FileNotFoundError(f"{run} has no model.zip and config.json (a `twin-env train` output directory)")
        self.config = json.loads((run / "config.json").read_text())
        self.algo = self.config["algo"]
        #: The EnvConfig it was trained with (evaluation keeps its decision interval and observation mode).
        self.env_config: dict = self.config["env_config"]
        self.model = load_algo(self.algo).load(run / "model.zip", device="cpu")
        self.name = f"{self.algo}:{run.name}"

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        kwargs = {"action_masks": inputs.mask} if self.algo == "maskable_ppo" else {}
        actions, _ = self.model.predict(inputs.observation, deterministic=True, **kwargs)
        return np.asarray(actions, dtype=np.int64).reshape(inputs.n), [self.algo] * inputs.n
