"""The rule engine: judge proposed orders against the record snapshot, with evidence."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.safety.predicates import evaluate
from twin_env.safety.rules import Rule, RuleSet
from twin_env.vocab.orders import Order


@dataclasses.dataclass(frozen=True)
class Violation:
    """A rule that fired on an order; ``evidence``: ids of the record items read (ledger event ids)."""

    rule: Rule
    order: Order
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id, "version": self.rule.version, "severity": self.rule.severity, "cost": self.rule.cost,
            "order": dataclasses.asdict(self.order), "evidence": list(self.evidence),
        }  # fmt: skip


def judge(rules: RuleSet, orders: Iterable[Order], snap: RecordSnapshot) -> list[Violation]:
    """Every (rule, order) that fires, in rule-file order then order order."""
    out = []
    for order in orders:
        for rule in rules.rules:
            if rule.applies(order):
                evidence: list[str] = []
                if evaluate(rule.condition, snap, order, rules.vocab, evidence):
                    out.append(Violation(rule, order, tuple(dict.fromkeys(evidence))))
    return out
