"""Baseline policies for the PrimaryCare envs, batched over patient rows.

Every policy implements ``act(PolicyInput) -> (actions (N,), reasons)``; use
:func:`agents.policies.adapters.policy_inputs` to build the input from a single, vector or
SB3 env, and :class:`~agents.policies.adapters.PolicyReasonWrapper` for ``info["policy_reason"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agents.policies.adapters import PolicyReasonWrapper, policy_inputs
from agents.policies.base import Policy, PolicyInput
from agents.policies.nice_guideline import NiceGuidelinePolicy, bp_target_mmhg, ng136_step1_is_acei
from agents.policies.qrisk3_threshold import Qrisk3ThresholdPolicy
from agents.policies.simple import DoNothingPolicy, RandomMaskedPolicy
from agents.policies.usual_care import UsualCarePolicy

#: Baseline policies by name (each factory takes a seed).
POLICIES: dict[str, Callable[[int], Policy]] = {
    "do_nothing": lambda seed: DoNothingPolicy(),
    "random": lambda seed: RandomMaskedPolicy(seed),
    "usual_care": lambda seed: UsualCarePolicy(seed),
    "nice_guideline": lambda seed: NiceGuidelinePolicy(),
    "qrisk3_threshold": lambda seed: Qrisk3ThresholdPolicy(),
}
#: Trained agents shipped with the package, by name: ``twin-env train`` output directories
#: (``agents/pretrained/<name>/``; provenance in its ``config.json`` and ``docs/report.md`` section 6).
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
PRETRAINED: tuple[str, ...] = ("maskable_ppo_30min",)


def make_policy(name_or_path: str, seed: int = 0) -> Policy:
    """A baseline by name (:data:`POLICIES`), a shipped agent (:data:`PRETRAINED`, needs the ``sb3`` extra)
    or a trained model from a ``twin-env train`` directory."""
    if name_or_path in POLICIES:
        return POLICIES[name_or_path](seed)
    path = PRETRAINED_DIR / name_or_path if name_or_path in PRETRAINED else Path(name_or_path)
    if path.exists():
        from agents.policies.sb3_model import SB3ModelPolicy  # noqa: PLC0415 (needs stable-baselines3)

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
