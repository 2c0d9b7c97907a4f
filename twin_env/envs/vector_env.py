"""The native vector env: N patients stepped together in one Simulation batch (NumPy)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from twin_env.envs.actions import n_actions
from twin_env.envs.config import EnvConfig, with_action_set
from twin_env.envs.core import Batch
from twin_env.envs.info import zero_components
from twin_env.envs.observation import observation_space

#: Most parallel patients one vector env steps (each holds its whole simulated record in memory).
MAX_NUM_ENVS = 65_536


class PrimaryCareVectorEnv(VectorEnv):
    """``num_envs`` rows of :class:`~twin_env.envs.primary_care_env.PrimaryCareEnv` dynamics.

    Seeded ``s``, row ``i`` meets the patients the single env seeded ``s + i`` meets (as in
    ``SyncVectorEnv``). Auto-reset: NEXT_STEP (the step after a row ends returns its reset
    observation, reward 0). A row's later patients reuse its patient id in the rolling record and
    start on ``config.start_date``, as in the single env.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        config: EnvConfig | dict[str, Any] | None = None,
        render_mode: str | None = None,
        action_set: str | None = None,
        **_: Any,
    ) -> None:
        self.config = with_action_set(EnvConfig.from_value(config), action_set)
        n = num_envs
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 1 <= n <= MAX_NUM_ENVS:
            raise ValueError(f"num_envs must be an integer in [1, {MAX_NUM_ENVS:,}], got {num_envs!r}")
        self.num_envs = int(num_envs)
        self.render_mode = None
        self.single_observation_space = observation_space(self.config.observation_mode, self.config.action_set)
        self.n_actions = n_actions(self.config.action_set)
        self.single_action_space = gym.spaces.Discrete(self.n_actions)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._batch = Batch(self.config, self.num_envs)
        self._done = np.zeros(self.num_envs, dtype=bool)
        self._base: int | None = None

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        if isinstance(seed, list):
            seed = seed[0]
        super().reset(seed=seed)
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"reset options must be a dict (empty: none are allowed), got {type(options).__name__}")
        if options:
            raise ValueError(f"unknown reset option(s) {sorted(map(str, options))}; allowed: none")
        if seed is not None or self._base is None:
            self._base = int(seed) if seed is not None else int(self.np_random.integers(0, 2**20))
            episode = np.zeros(self.num_envs, dtype=np.int64)
        else:
            episode = self._batch.episode + 1
        self._batch.reset(self._base, episode)
        self._done[:] = False
        return self._batch.observe(), self._info()

    def step(self, actions: np.ndarray) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, dict]:
        a = np.asarray(actions)
        if a.shape != (self.num_envs,) or a.dtype.kind not in "iu" or ((a < 0) | (a >= self.n_actions)).any():
            raise ValueError(
                f"invalid actions {actions!r}: need shape ({self.num_envs},) integers in [0, {self.n_actions - 1}], "
                f"got shape {a.shape}"
            )
        done = np.flatnonzero(self._done)
        a = np.where(self._done, 0, a)
        reward, terminated, truncated, comps, executed = self._batch.step(a)
        if done.size:  # these rows return their reset step: reward 0 and the reset info (as SyncVectorEnv does)
            self._batch.reset_rows(done)
            reward[done], terminated[done], truncated[done] = 0.0, False, False
            comps = {k: np.where(self._done, 0.0, v) for k, v in comps.items()}
            executed = executed & ~self._done
        self._done = terminated | truncated
        info = self._info(comps, executed)
        return self._batch.observe(), reward, terminated, truncated, info

    def reset_rows(self, rows: np.ndarray) -> None:
        """Start the next patient on ``rows`` now (same-step auto-reset, as SB3 expects), not on the next step."""
        self._batch.reset_rows(rows)
        self._done[rows] = False

    @property
    def batch(self) -> Batch:
        """The batched core (``num_envs`` rows): what shields and policies read (see ``PrimaryCareEnv.batch``)."""
        return self._batch

    def action_masks(self) -> np.ndarray:
        """(num_envs, 20) bool."""
        return self._batch.masks()

    def _info(self, comps: dict[str, np.ndarray] | None = None, executed: np.ndarray | None = None) -> dict[str, Any]:
        """The single env's info keys (:mod:`twin_env.envs.info`) less ``date``, with a leading ``num_envs`` axis."""
        n = self.num_envs
        return {
            "action_mask": self.action_masks(),
            "patient_index": self._batch.patient_index(np.arange(n)),
            "reward_components": (
                zero_components(self.config, n)
                if comps is None
                else {k: v.astype(np.float64) for k, v in comps.items()}
            ),
            "action_executed": np.zeros(n, dtype=bool) if executed is None else executed,
            "model_outputs": [] if comps is None else self._batch.model_outputs,
        }
