"""Gymnasium wrappers over the envs: the safety shields and the safe-RL cost wrappers.

The shields judge each action's orders (:meth:`twin_env.envs.core.Batch.resolve`) with the rules
of :mod:`twin_env.safety`, which knows nothing of the envs. ``lagrangian.LagrangeCallback`` (SB3)
is imported from its module (it needs stable-baselines3).
"""

from __future__ import annotations

from twin_env.envs.wrappers.costs import CostTuple, LagrangianReward, VectorLagrangianReward
from twin_env.envs.wrappers.shield import MODES, SafetyShield, SafetyViolationError, make_shielded_env, shield_rules
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield

__all__ = [
    "MODES", "CostTuple", "LagrangianReward", "SafetyShield", "SafetyViolationError", "VectorLagrangianReward",
    "VectorSafetyShield", "make_shielded_env", "shield_rules",
]  # fmt: skip
