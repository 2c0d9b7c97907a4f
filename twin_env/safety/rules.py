"""Safety rules as data: the versioned rule file, its validation, and user configuration.

``RuleSet.packaged()`` reads ``twin_env/data/safety_rules.json``; ``RuleSet.configure`` adds user
rules (same schema) and turns rules off by id. See ``docs/safety.md`` for the schema. A number in
a condition may be a named clinical limit, ``{"limit": "<name>"}`` (``clinical_limits.csv``,
shared with the action masks): it is replaced by the figure on loading. A rule's ``fallback`` is
an action name that the shield (which knows the action catalogue) checks.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from twin_env.safety.predicates import Vocabulary, validate
from twin_env.vocab.limits import limit
from twin_env.vocab.orders import Order

SEVERITIES: tuple[str, ...] = ("hard", "soft")
ORDER_KINDS: tuple[str, ...] = ("prescribe", "stop", "test", "refer", "review", "model")
RULE_FIELDS: tuple[str, ...] = (
    "id",
    "version",
    "severity",
    "cost",
    "description",
    "source",
    "applies_to",
    "condition",
    "fallback",
)
RULES_FILE = "safety_rules.json"


def with_limits(cond: Any) -> Any:
    """``cond`` with every ``{"limit": "<name>"}`` replaced by that clinical limit's value (a copy)."""
    if isinstance(cond, Mapping):
        if set(cond) == {"limit"}:
            return limit(cond["limit"])
        return {k: with_limits(v) for k, v in cond.items()}
    if isinstance(cond, list):
        return [with_limits(c) for c in cond]
    return cond


@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule: fires on a proposed order whose kind/name it applies to when ``condition`` holds.

    ``severity`` hard: never executed under the shield; soft: allowed, charged ``cost``. A hard
    rule's ``cost`` is charged when it is proposed. ``fallback``: the action name ``replace``
    mode executes instead (None: do nothing).
    """

    id: str
    version: int
    severity: str
    cost: float
    description: str
    source: str
    kind: str
    names: frozenset[str] | None
    condition: Mapping[str, Any]
    fallback: str | None

    @property
    def hard(self) -> bool:
        return self.severity == "hard"

    def applies(self, order: Order) -> bool:
        return order.kind == self.kind and (self.names is None or order.name in self.names)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], vocab: Vocabulary) -> Rule:
        """Parse and validate one rule; ValueError names the rule and the field."""
        rid = raw.get("id") if isinstance(raw, Mapping) else None
        where = f"rule {rid!r}"
        if not isinstance(raw, Mapping) or not isinstance(rid, str) or not rid.isidentifier():
            raise ValueError(f"{where}: id must be an identifier string (letters, digits, _)")
        missing = [f for f in RULE_FIELDS if f not in raw]
        unknown = sorted(set(raw) - set(RULE_FIELDS))
        if missing or unknown:
            raise ValueError(
                f"{where}: missing field(s) {missing}, unknown field(s) {unknown}; fields: {list(RULE_FIELDS)}"
            )
        if raw["severity"] not in SEVERITIES:
            raise ValueError(f"{where}: severity {raw['severity']!r}; allowed: {list(SEVERITIES)}")
        if isinstance(raw["version"], bool) or not isinstance(raw["version"], int) or raw["version"] < 1:
            raise ValueError(f"{where}: version must be an integer >= 1, got {raw['version']!r}")
        cost = raw["cost"]
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not 0 < cost < float("inf"):
            raise ValueError(f"{where}: cost must be a finite number > 0, got {cost!r}")
        for f in ("description", "source"):
            if not isinstance(raw[f], str) or not raw[f]:
                raise ValueError(f"{where}: {f} must be a non-empty string")
        applies = raw["applies_to"]
        if (
            not isinstance(applies, Mapping)
            or applies.get("kind") not in ORDER_KINDS
            or set(applies) - {"kind", "names"}
        ):
            raise ValueError(
                f"{where}: applies_to must be {{'kind': one of {list(ORDER_KINDS)}, 'names': [...] (optional)}}, "
                f"got {applies!r}"
            )
        names = applies.get("names")
        if names is not None and (not isinstance(names, list) or not names):
            raise ValueError(f"{where}: applies_to.names must be a non-empty list, got {names!r}")
        validate(raw["condition"], vocab, f"{where}: condition")
        fallback = raw["fallback"]
        if fallback is not None and (not isinstance(fallback, str) or not fallback.isidentifier()):
            raise ValueError(f"{where}: fallback {fallback!r}; allowed: null or an action name")
        return cls(
            rid,
            raw["version"],
            raw["severity"],
            float(cost),
            raw["description"],
            raw["source"],
            applies["kind"],
            None if names is None else vocab.drugs(names, f"{where}: applies_to.names"),
            raw["condition"],
            fallback,
        )


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """An ordered, validated set of rules plus the vocabulary (drug classes, maximum doses) they use."""

    version: str
    rules: tuple[Rule, ...]
    vocab: Vocabulary
    raw: Mapping[str, Any]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> RuleSet:
        for f in ("version", "drug_classes", "max_doses", "rules"):
            if f not in raw:
                raise ValueError(f"rule file: missing field {f!r}; fields: version, drug_classes, max_doses, rules")
        raw = {
            **raw,
            "rules": [
                dict(r, condition=with_limits(r["condition"])) if isinstance(r, Mapping) and "condition" in r else r
                for r in raw["rules"]
            ],
        }
        classes = {k: tuple(v) for k, v in raw["drug_classes"].items()}
        vocab = Vocabulary(classes, {k: float(v["dose"]) for k, v in raw["max_doses"].items()})
        rules = tuple(Rule.from_dict(r, vocab) for r in raw["rules"])
        dupes = sorted({r.id for r in rules if sum(q.id == r.id for q in rules) > 1})
        if dupes:
            raise ValueError(f"rule file: duplicate rule id(s) {dupes}")
        return cls(str(raw["version"]), rules, vocab, raw)

    @classmethod
    def load(cls, path: str | Path) -> RuleSet:
        return cls.from_mapping(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def packaged(cls) -> RuleSet:
        text = resources.files("twin_env.data").joinpath(RULES_FILE).read_text(encoding="utf-8")
        return cls.from_mapping(json.loads(text))

    def configure(self, *, disable: Iterable[str] = (), add: Sequence[Mapping[str, Any]] = ()) -> RuleSet:
        """A copy with rules ``add``-ed (rule dicts) and the rules with ids in ``disable`` removed."""
        disable = list(disable)
        unknown = sorted(set(disable) - {r.id for r in self.rules} - {r.get("id") for r in add})
        if unknown:
            raise ValueError(f"unknown rule id(s) to disable {unknown}; known: {sorted(r.id for r in self.rules)}")
        raw = dict(self.raw, rules=[*self.raw["rules"], *add])
        full = RuleSet.from_mapping(raw)
        kept = tuple(r for r in full.rules if r.id not in set(disable))
        return RuleSet(
            full.version if not (add or disable) else f"{full.version}+user",
            kept,
            full.vocab,
            dict(raw, rules=[r for r in raw["rules"] if r["id"] not in set(disable)]),
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RuleSet:
        """The packaged rules configured by ``{"disable": [ids], "add": [rules]}`` (None: as packaged)."""
        config = dict(config or {})
        unknown = sorted(set(config) - {"disable", "add"})
        if unknown:
            raise ValueError(f"unknown rules config key(s) {unknown}; allowed: ['add', 'disable']")
        return cls.packaged().configure(disable=config.get("disable", ()), add=config.get("add", ()))

    def get(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise ValueError(f"unknown rule id {rule_id!r}; known: {sorted(r.id for r in self.rules)}")

    def markdown_table(self) -> str:
        """The rules table of ``docs/safety.md``: id, severity, cost, source, description."""
        lines = ["| id | severity | cost | source | description |", "|---|---|---|---|---|"]
        lines += [f"| `{r.id}` | {r.severity} | {r.cost:g} | {r.source} | {r.description} |" for r in self.rules]
        return "\n".join(lines)
