"""Python policies named ``module:callable`` on the command line, as :class:`~twin_env.policies.base.Policy`.

``callable`` may be:

- a function ``fn(observation, mask)``: ``observation`` is the env's observation dict, each value (N, ...),
  ``mask`` (N, 19) bool the action mask; it returns (N,) integer actions, or ``(actions, reasons)``;
- a class following the policy protocol (:class:`~twin_env.policies.base.Policy`: ``act(PolicyInput)`` returning
  ``(actions, reasons)``, optional ``reset(seed)``), built with ``seed=`` when its constructor takes one;
- an object with such an ``act`` method.

The module is imported as Python imports it, with the current directory searched first.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from twin_env.policies.base import Policy, PolicyInput

#: ``package.module:attribute`` (dotted names on both sides).
SPEC_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def is_callable_spec(spec: str) -> bool:
    """Whether ``spec`` has the form ``module:callable``."""
    return bool(SPEC_PATTERN.match(spec))


def checked_actions(spec: str, actions: Any, mask: np.ndarray) -> np.ndarray:
    """``actions`` as (N,) int64 in range, else ``ValueError`` naming the policy and what is allowed."""
    a = np.asarray(actions)
    n, k = mask.shape
    if a.shape != (n,) or not (a.dtype.kind in "iu" or (a.dtype.kind == "f" and np.all(a == np.round(a)))):
        raise ValueError(
            f"policy {spec!r} returned actions of shape {a.shape} dtype {a.dtype}; allowed: ({n},) integers"
        )
    if ((a < 0) | (a >= k)).any():
        raise ValueError(f"policy {spec!r} returned an action outside [0, {k - 1}]: {int(a[(a < 0) | (a >= k)][0])}")
    return a.astype(np.int64)


class CallablePolicy(Policy):
    """A function ``fn(observation, mask) -> actions | (actions, reasons)`` as a batched policy named ``name``."""

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        self.fn, self.name = fn, name

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        out = self.fn(inputs.observation, inputs.mask)
        actions, reasons = out if isinstance(out, tuple) and len(out) == 2 else (out, [""] * inputs.n)
        return checked_actions(self.name, actions, inputs.mask), list(reasons)


class ProtocolPolicy(Policy):
    """An object with ``act(PolicyInput) -> (actions, reasons)`` (and maybe ``reset(seed)``), actions checked."""

    def __init__(self, inner: Any, name: str) -> None:
        self.inner, self.name = inner, name

    def reset(self, seed: int | None = None) -> None:
        if callable(getattr(self.inner, "reset", None)):
            self.inner.reset(seed)

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        out = self.inner.act(inputs)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise ValueError(f"policy {self.name!r}: act() must return (actions, reasons), got {type(out).__name__}")
        return checked_actions(self.name, out[0], inputs.mask), list(out[1])


def _import(spec: str) -> Any:
    module_name, attr = spec.split(":", 1)
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"policy {spec!r}: cannot import module {module_name!r} ({exc})") from None
    finally:
        sys.path.remove(os.getcwd())
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"policy {spec!r}: module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _name(obj: Any, spec: str) -> str:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) and name and name != Policy.name else spec


def load_callable_policy(spec: str, seed: int = 0) -> Policy:
    """The policy ``module:callable`` names (see the module docstring); ``ValueError`` in one line if unusable."""
    obj = _import(spec)
    if inspect.isclass(obj):
        if not callable(getattr(obj, "act", None)):
            raise ValueError(f"policy {spec!r}: class {obj.__name__} has no act(inputs) method (see policies/base.py)")
        takes_seed = "seed" in inspect.signature(obj).parameters
        try:
            obj = obj(seed=seed) if takes_seed else obj()
        except TypeError as exc:
            raise ValueError(f"policy {spec!r}: cannot build {obj.__name__}() ({exc})") from None
    if isinstance(obj, Policy):
        obj.name = _name(obj, spec)
        return ProtocolPolicy(obj, obj.name)
    if callable(getattr(obj, "act", None)):
        return ProtocolPolicy(obj, _name(obj, spec))
    if callable(obj):
        return CallablePolicy(obj, spec)
    raise ValueError(f"policy {spec!r} is a {type(obj).__name__}; allowed: a function, a policy class or object")
