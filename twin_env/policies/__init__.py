"""Baseline policies for the PrimaryCare envs, batched over patient rows.

Every policy implements ``act(PolicyInput) -> (actions (N,), reasons)``; use
:func:`twin_env.policies.adapters.policy_inputs` to build the input from a single, vector or
SB3 env, and :class:`~twin_env.policies.adapters.PolicyReasonWrapper` for ``info["policy_reason"]``.
:func:`make_policy` builds any policy by name or specification (:mod:`twin_env.policies.registry`).
"""

from __future__ import annotations

from twin_env.policies.adapters import PolicyReasonWrapper, policy_inputs
from twin_env.policies.base import Policy, PolicyInput
from twin_env.policies.nice_guideline import NiceGuidelinePolicy, bp_target_mmhg, ng136_step1_is_acei
from twin_env.policies.pretrained import AGENT, PRETRAINED, SHIPPED_AGENT, pretrained_dir
from twin_env.policies.qrisk3_threshold import Qrisk3ThresholdPolicy
from twin_env.policies.registry import POLICIES, make_policy
from twin_env.policies.simple import DoNothingPolicy, RandomMaskedPolicy
from twin_env.policies.usual_care import UsualCarePolicy

__all__ = [
    "AGENT",
    "POLICIES",
    "PRETRAINED",
    "DoNothingPolicy",
    "NiceGuidelinePolicy",
    "Policy",
    "PolicyInput",
    "PolicyReasonWrapper",
    "Qrisk3ThresholdPolicy",
    "RandomMaskedPolicy",
    "SHIPPED_AGENT",
    "UsualCarePolicy",
    "bp_target_mmhg",
    "make_policy",
    "ng136_step1_is_acei",
    "policy_inputs",
    "pretrained_dir",
]
