"""The action mask inside the observation (RLlib's masking convention), the record features flattened or not.

``ActionMaskObservation(env)`` turns the observation into ``{"action_mask": Box(0, 1, (n_actions,), float32),
"observations": ...}``, the layout RLlib's action-masking RLModule reads (Ray 2.60,
``ray.rllib.examples.rl_modules.classes.action_masking_rlm``). The mask is the outermost ``info["action_mask"]``,
so under a :class:`~twin_env.envs.wrappers.shield.SafetyShield` it is the shield's safe mask.

With ``flatten=True`` (default; RLlib's default encoders take a ``Box``, not a ``Dict``) ``"observations"``
is one ``Box(float32)`` of ``gymnasium.spaces.flatten_space(env.observation_space)``: the Dict's entries
concatenated in the order of ``env.observation_space.spaces`` (:func:`flat_layout` gives each key's slice),
every value in [0, 1]. With ``flatten=False`` it is the env's own ``Dict``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import RecordConstructorArgs


def flat_layout(space: gym.spaces.Dict) -> dict[str, slice]:
    """``{key: slice}`` of each Dict entry in the flattened vector (``gymnasium.spaces.flatdim`` per entry)."""
    out, start = {}, 0
    for key, sub in space.spaces.items():
        size = gym.spaces.flatdim(sub)
        out[key] = slice(start, start + size)
        start += size
    return out


class ActionMaskObservation(gym.Wrapper, RecordConstructorArgs):
    """Observation ``{"action_mask": (n_actions,) float32 of 0/1, "observations": flat (D,) float32 or the Dict}``.

    Args:
        env: a ``PrimaryCare-v0`` env, shielded or not (its info carries ``action_mask``).
        flatten: flatten the record features into one Box (see the module docstring for the layout).
    """

    def __init__(self, env: gym.Env, flatten: bool = True) -> None:
        RecordConstructorArgs.__init__(self, flatten=flatten)
        gym.Wrapper.__init__(self, env)
        if not isinstance(env.action_space, gym.spaces.Discrete):
            raise ValueError(f"ActionMaskObservation needs a Discrete action space, got {env.action_space}")
        self.flatten = bool(flatten)
        inner = env.observation_space
        features = gym.spaces.flatten_space(inner) if self.flatten else inner
        if self.flatten:
            features = gym.spaces.Box(0.0, 1.0, features.shape, np.float32)
        n = int(env.action_space.n)
        self.observation_space = gym.spaces.Dict(
            {"action_mask": gym.spaces.Box(0.0, 1.0, (n,), np.float32), "observations": features}
        )

    def _wrap(self, obs: Any, info: dict[str, Any]) -> dict[str, Any]:
        features = gym.spaces.flatten(self.env.observation_space, obs).astype(np.float32) if self.flatten else obs
        return {"action_mask": np.asarray(info["action_mask"], dtype=np.float32), "observations": features}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        return self._wrap(obs, info), info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._wrap(obs, info), reward, terminated, truncated, info
