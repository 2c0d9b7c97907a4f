"""The rule engine: judge proposed orders against one record snapshot, with evidence (:func:`judge`), or on
every row of a batch at once, without (:class:`RowJudge`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np

from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.safety import row_predicates
from twin_env.safety.predicates import evaluate
from twin_env.safety.row_predicates import RowsNow
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


class RowJudge:
    """The rules judged on all N rows of ``now`` at once, per proposed order (the vector shield's judge).

    :meth:`fired` gives, for one order, which rules fire on which rows; :meth:`violations` turns one row's
    into :class:`Violation` s (no evidence: see :mod:`twin_env.safety.row_predicates`), in rule-file order
    as :func:`judge` gives them for that order.
    """

    def __init__(self, rules: RuleSet, now: RowsNow) -> None:
        self.rules, self.now = rules, now
        self._hard = np.array([r.hard for r in rules.rules], dtype=bool)
        self._fired: dict[Order, np.ndarray] = {}
        self._any_hard: dict[Order, np.ndarray] = {}

    def fired(self, order: Order) -> np.ndarray:
        """(N, n_rules) bool: rule j fires on row i for ``order`` (computed once per order)."""
        out = self._fired.get(order)
        if out is None:
            out = np.zeros((len(self.now.day), len(self.rules.rules)), dtype=bool)
            for j, rule in enumerate(self.rules.rules):
                if rule.applies(order):
                    out[:, j] = row_predicates.evaluate(rule.condition, self.now, order, self.rules.vocab)
            self._fired[order] = out
        return out

    def any_hard(self, order: Order) -> np.ndarray:
        """(N,) bool: a hard rule fires on the row for ``order``."""
        out = self._any_hard.get(order)
        if out is None:
            out = self._any_hard[order] = self.fired(order)[:, self._hard].any(axis=1)
        return out

    def violations(self, orders: Iterable[Order], row: int) -> tuple[Violation, ...]:
        """What :func:`judge` gives for ``orders`` on ``row``'s record: order by order, rules in file order."""
        rules = self.rules.rules
        return tuple(
            Violation(rules[j], order, ()) for order in orders for j in np.flatnonzero(self.fired(order)[row]).tolist()
        )
