"""Baseline policies for the PrimaryCare envs, batched over patient rows.

Every policy implements ``act(PolicyInput) -> (actions (N,), reasons)``; use
:func:`twin_env.policies.adapters.policy_inputs` to build the input from a single, vector or
SB3 env, and :class:`~twin_env.policies.adapters.PolicyReasonWrapper` for ``info["policy_reason"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from twin_env.policies.adapters import PolicyReasonWrapper, policy_inputs
from twin_env.policies.base import Policy, PolicyInput
from twin_env.policies.nice_guideline import NiceGuidelinePolicy, bp_target_mmhg, ng136_step1_is_acei
from twin_env.policies.pretrained import PRETRAINED, pretrained_dir
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


def make_policy(name_or_path: str, seed: int = 0) -> Policy:
    """A baseline by name (:data:`POLICIES`), a shipped agent (:data:`PRETRAINED`, needs the ``sb3`` extra)
    or a trained model from a ``twin-env train`` directory."""
    if name_or_path in POLICIES:
        return POLICIES[name_or_path](seed)
    path = pretrained_dir() / name_or_path if name_or_path in PRETRAINED else Path(name_or_path)
    if path.exists():
        from twin_env.policies.sb3_model import SB3ModelPolicy  # noqa: PLC0415 (needs stable-baselines3)

        return SB3ModelPolicy.load(path)
    raise ValueError(
        f"unknown policy {name_or_path!r}; allowed: {sorted(POLICIES)}, {list(PRETRAINED)} or a trained model directory"
    )


__all__ = [
    "POLICIES",
    "PRETRAINED",
    "DoNothingPolicy",
    "NiceGuidelinePolicy",
    "Policy",
    "PolicyInput",
    "PolicyReasonWrapper",
    "Qrisk3ThresholdPolicy",
    "RandomMaskedPolicy",
    "UsualCarePolicy",
    "bp_target_mmhg",
    "make_policy",
    "ng136_step1_is_acei",
    "policy_inputs",
]
