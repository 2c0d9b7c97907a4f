"""The safety harness: declarative rules judged on the GP record, the audit log, metrics, FHIR export.

It judges orders (:class:`twin_env.vocab.orders.Order`) and knows nothing of the envs: the
Gymnasium shields that apply it to actions are in :mod:`twin_env.envs.wrappers` (see
``docs/safety.md``; ``twin_env/PrimaryCare-Shielded-v0`` is the shielded env).
"""

from __future__ import annotations

from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.safety.audit import AuditLog, VerifyResult, canonical_json, read_entries, verify
from twin_env.safety.engine import RowJudge, Violation, judge
from twin_env.safety.fhir import audit_to_fhir
from twin_env.safety.metrics import SafetyMetrics
from twin_env.safety.row_facts import RowFacts
from twin_env.safety.rules import Rule, RuleSet

__all__ = [
    "AuditLog", "RecordSnapshot", "RowFacts", "RowJudge", "Rule", "RuleSet", "SafetyMetrics", "VerifyResult",
    "Violation", "audit_to_fhir", "canonical_json", "judge", "read_entries", "verify",
]  # fmt: skip
