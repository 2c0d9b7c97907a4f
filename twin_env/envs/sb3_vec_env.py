"""An SB3 ``VecEnv`` over the native vector env (SB3 does not accept Gymnasium ``VectorEnv`` s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import VectorEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from twin_env.envs.vector_env import PrimaryCareVectorEnv


class PrimaryCareSB3VecEnv(VecEnv):
    """N patients stepped together; auto-resets SB3-style (``terminal_observation`` in infos).

    ``action_masks()`` gives the env's (N, n_actions) bool mask for sb3-contrib ``MaskablePPO``.
    ``wrapper`` wraps the native vector env before SB3 sees it, e.g. in a
    :class:`~twin_env.envs.wrappers.vector_shield.VectorSafetyShield`: in replace or block mode the mask
    stays the env's, in mask mode it is the shield's safe mask (the env's minus hard-forbidden actions;
    the shield judges all rows once a step and, after the auto-reset here, only the reset rows again);
    the wrapper must pass ``reset_rows`` on. ``env_id`` builds the native vector env through
    a registered id's vector entry point (``config`` then overrides that id's EnvConfig, e.g. a training id's).
    """

    def __init__(
        self,
        num_envs: int = 8,
        config: dict[str, Any] | None = None,
        wrapper: Callable[[PrimaryCareVectorEnv], VectorEnv] | None = None,
        env_id: str | None = None,
    ) -> None:
        if env_id is None:
            base = PrimaryCareVectorEnv(num_envs, config)
        else:
            base = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", config=config)
        self.venv = base if wrapper is None else wrapper(base)
        self._mask_source = _safe_mask_source(self.venv)
        super().__init__(num_envs, base.single_observation_space, base.single_action_space)
        self._seed: int | None = None
        self._actions = np.zeros(num_envs, dtype=np.int64)

    def reset(self) -> dict[str, np.ndarray]:
        obs, _ = self.venv.reset(seed=self._seed)
        self._seed = None
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)

    def step_wait(self) -> tuple[dict, np.ndarray, np.ndarray, list[dict]]:
        obs, reward, terminated, truncated, info = self.venv.step(self._actions)
        done = terminated | truncated
        # with a terminal value the horizon's reward already holds the rest of life: SB3 must not bootstrap too
        bootstrap = truncated & ~terminated & (not self.venv.unwrapped.config.terminal_value)
        infos: list[dict] = [{"TimeLimit.truncated": bool(bootstrap[i])} for i in range(self.num_envs)]
        rows = np.flatnonzero(done)
        if rows.size:
            for i in rows.tolist():
                infos[i]["terminal_observation"] = {k: v[i].copy() for k, v in obs.items()}
                if "episode_cost" in info:  # behind a shield: the finished episode's safety cost (LagrangeCallback)
                    infos[i]["episode_cost"] = float(info["episode_cost"][i])
            self.venv.reset_rows(rows)
            obs = self.venv.unwrapped.batch.observe()
        return obs, reward.astype(np.float32), done, infos

    def action_masks(self) -> np.ndarray:
        return self._mask_source.action_masks()

    def close(self) -> None:
        pass

    def seed(self, seed: int | None = None) -> list[int | None]:
        self._seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self._holder(attr_name), attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self._holder(attr_name), attr_name, value)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
        if method_name == "action_masks":
            return list(self.action_masks()[self._indices(indices)])
        return [getattr(self._holder(method_name), method_name)(*args, **kwargs)] * len(self._indices(indices))

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _holder(self, name: str) -> Any:
        """The outermost of wrapper and native env that has ``name`` (wrapper attributes win)."""
        return self.venv if hasattr(self.venv, name) else self.venv.unwrapped

    def _indices(self, indices: Any) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)


def _safe_mask_source(venv: VectorEnv) -> Any:
    """The mask-mode shield in ``venv``'s wrapper chain (its ``action_masks`` drop hard-forbidden actions), else
    the native env (its own mask)."""
    env = venv
    while env is not env.unwrapped:
        if getattr(env, "mode", None) == "mask" and hasattr(env, "action_masks"):
            return env
        env = env.env
    return env
