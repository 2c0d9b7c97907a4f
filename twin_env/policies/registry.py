"""Policies by name or specification: what ``twin-env evaluate --policy`` and :func:`make_policy` accept.

- a baseline name (:data:`POLICIES`);
- ``agent`` (the shipped agent, :data:`~twin_env.policies.pretrained.AGENT`) or a shipped agent's own name;
- a saved SB3 / sb3-contrib model: a ``twin-env train`` directory or a ``.zip`` (needs the ``sb3`` extra);
- ``module:callable``: a Python policy (:mod:`twin_env.policies.callable_policy`);
- a :class:`Policy` object (Python callers), used as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from twin_env.policies.base import Policy
from twin_env.policies.callable_policy import is_callable_spec, load_callable_policy
from twin_env.policies.nice_guideline import NiceGuidelinePolicy
from twin_env.policies.pretrained import AGENT, PRETRAINED, SHIPPED_AGENT, pretrained_dir
from twin_env.policies.qrisk3_threshold import Qrisk3ThresholdPolicy
from twin_env.policies.simple import DoNothingPolicy, RandomMaskedPolicy
from twin_env.policies.usual_care import UsualCarePolicy

#: Baseline policies by name (each factory takes a seed).
POLICIES: dict[str, Callable[[int], Policy]] = {
    "do_nothing": lambda seed: DoNothingPolicy(),
    "random": lambda seed: RandomMaskedPolicy(seed),
    "usual_care": lambda seed: UsualCarePolicy(seed),
    "nice_guideline": lambda seed: NiceGuidelinePolicy(),
    "qrisk3_threshold": lambda seed: Qrisk3ThresholdPolicy(),
}
#: What a policy specification may be, for error messages.
ALLOWED = (
    f"a baseline {sorted(POLICIES)}, {AGENT!r} or a shipped agent {list(PRETRAINED)}, "
    "a saved SB3 model (.zip or a `twin-env train` directory) or module:callable"
)


def make_policy(spec: str | Policy, seed: int = 0, algo: str | None = None) -> Policy:
    """The policy ``spec`` names (see the module docstring); ``algo`` is for a ``.zip`` that does not say.

    Raises ``ValueError`` (or ``FileNotFoundError``) in one line naming the policy and what is allowed;
    ``ImportError`` when a model needs the ``sb3`` extra.
    """
    if isinstance(spec, Policy):
        return spec
    if spec in POLICIES:
        return POLICIES[spec](seed)
    if spec in (AGENT, *PRETRAINED):
        from twin_env.policies.sb3_model import SB3ModelPolicy  # noqa: PLC0415 (needs stable-baselines3)

        name = AGENT if spec == AGENT else None
        return SB3ModelPolicy.load(pretrained_dir() / (SHIPPED_AGENT if spec == AGENT else spec), name=name)
    if Path(spec).exists():
        from twin_env.policies.sb3_model import SB3ModelPolicy  # noqa: PLC0415 (needs stable-baselines3)

        return SB3ModelPolicy.load(spec, algo=algo)
    if is_callable_spec(spec):
        return load_callable_policy(spec, seed)
    raise ValueError(f"unknown policy {spec!r}; allowed: {ALLOWED}")
