"""The safety harness: declarative rules judged on the GP record, the shield wrappers, costs, audit log, metrics.

See ``docs/safety.md``. ``twin_env/PrimaryCare-Shielded-v0`` is the shielded env.
"""

from __future__ import annotations

from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.safety.audit import AuditLog, VerifyResult, canonical_json, read_entries, verify
from twin_env.safety.costs import CostTuple, LagrangianReward, VectorLagrangianReward
from twin_env.safety.engine import Violation, judge
from twin_env.safety.fhir import audit_to_fhir
from twin_env.safety.metrics import SafetyMetrics
from twin_env.safety.rules import Rule, RuleSet
from twin_env.safety.shield import MODES, SafetyShield, SafetyViolationError, make_shielded_env
from twin_env.safety.vector_shield import VectorSafetyShield

__all__ = [
    "MODES", "AuditLog", "CostTuple", "LagrangianReward", "RecordSnapshot", "Rule", "RuleSet", "SafetyMetrics",
    "SafetyShield", "SafetyViolationError", "VectorLagrangianReward", "VectorSafetyShield", "VerifyResult", "Violation", "audit_to_fhir",
    "canonical_json", "judge", "make_shielded_env", "read_entries", "verify",
]  # fmt: skip
