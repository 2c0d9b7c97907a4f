"""The predicate vocabulary rule conditions are written in, its validation and its evaluation.

A condition is a JSON object with exactly one key, the predicate name, whose value holds its
arguments. Combinators: ``{"all": [c, ...]}``, ``{"any": [c, ...]}``, ``{"not": c}``. Record
predicates read a :class:`~twin_env.record.gp.snapshot.RecordSnapshot` and cite what they read;
order predicates read the proposed :class:`~twin_env.vocab.orders.Order`. Drug lists may name a
class of the rule file as ``"@class"``.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping
from typing import Any

from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.record.store import ItemType
from twin_env.vocab.concepts import OBSERVATIONS, Concept
from twin_env.vocab.drugs import DRUGS
from twin_env.vocab.orders import Order
from twin_env.vocab.services import SERVICES

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
#: Predicate name -> what its argument must be (shown in validation errors).
PREDICATES: dict[str, str] = {
    "all": "a non-empty list of conditions",
    "any": "a non-empty list of conditions",
    "not": "a condition",
    "latest": '{"concept": <observation>, "op": <op>, "value": <number>}',
    "recorded_within": '{"concepts": [<concept>, ...], "days": <number>}',
    "problem": "a non-empty list of condition concepts",
    "on_drug": 'a non-empty list of drugs or "@class"',
    "order_drug": 'a non-empty list of drugs or "@class"',
    "order_is_new": "true",
    "order_continues": "true",
    "order_dose_above_max": "true",
    "referred_within_days": "a number of days",
    "death_recorded": "true",
    "age_years": '{"op": <op>, "value": <number>}',
}
REFERRAL_CONCEPTS: dict[str, Concept] = {s.name: s.referral for s in SERVICES.values()}
REGISTRATION_AGE = "registration:age_years"


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """What conditions may refer to besides the record: drug classes and extra maximum doses."""

    drug_classes: Mapping[str, tuple[str, ...]]
    max_doses: Mapping[str, float]

    def drugs(self, names: list[str], where: str) -> frozenset[str]:
        out: set[str] = set()
        for n in names:
            if n.startswith("@"):
                if n[1:] not in self.drug_classes:
                    raise ValueError(
                        f"{where}: unknown drug class {n!r}; allowed: {sorted('@' + c for c in self.drug_classes)}"
                    )
                out.update(self.drug_classes[n[1:]])
            else:
                out.add(n)
        return frozenset(out)

    def max_dose(self, drug: str) -> float | None:
        if drug in DRUGS:
            return max(DRUGS[drug].products)
        return self.max_doses.get(drug)


def _concept(name: Any, where: str, allowed: tuple[Concept, ...] | None = None) -> Concept:
    pool = allowed or tuple(Concept)
    if not isinstance(name, str) or name not in {c.name for c in pool}:
        raise ValueError(f"{where}: unknown concept {name!r}; allowed: {sorted(c.name for c in pool)}")
    return Concept[name]


def _compare(args: Any, where: str) -> tuple[str, float]:
    if (
        not isinstance(args, Mapping)
        or args.get("op") not in OPS
        or not isinstance(args.get("value"), (int, float))
        or isinstance(args.get("value"), bool)
    ):
        raise ValueError(f"{where}: needs op in {sorted(OPS)} and a numeric value, got {args!r}")
    return args["op"], float(args["value"])


def validate(cond: Any, vocab: Vocabulary, where: str) -> None:
    """Raise ValueError naming ``where`` (e.g. ``rule x: condition.all[1]``) on a malformed condition."""
    if not isinstance(cond, Mapping) or len(cond) != 1:
        raise ValueError(f"{where}: a condition is an object with one key; allowed: {sorted(PREDICATES)}, got {cond!r}")
    ((name, args),) = cond.items()
    here = f"{where}.{name}"
    if name not in PREDICATES:
        raise ValueError(f"{where}: unknown predicate {name!r}; allowed: {sorted(PREDICATES)}")
    bad = ValueError(f"{here}: argument must be {PREDICATES[name]}, got {args!r}")
    if name in ("all", "any"):
        if not isinstance(args, list) or not args:
            raise bad
        for i, c in enumerate(args):
            validate(c, vocab, f"{here}[{i}]")
    elif name == "not":
        validate(args, vocab, here)
    elif name == "latest":
        _compare(args, here)
        _concept(args.get("concept"), here, OBSERVATIONS)
    elif name == "recorded_within":
        if (
            not isinstance(args, Mapping)
            or not isinstance(args.get("concepts"), list)
            or not isinstance(args.get("days"), (int, float))
        ):
            raise bad
        for c in args["concepts"]:
            _concept(c, here)
    elif name == "problem":
        if not isinstance(args, list) or not args:
            raise bad
        for c in args:
            _concept(c, here)
    elif name in ("on_drug", "order_drug"):
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            raise bad
        vocab.drugs(args, here)
    elif name in ("order_is_new", "order_continues", "order_dose_above_max", "death_recorded"):
        if args is not True:
            raise bad
    elif name == "referred_within_days":
        if isinstance(args, bool) or not isinstance(args, (int, float)) or args < 0:
            raise bad
    elif name == "age_years":
        _compare(args, here)


def evaluate(
    cond: Mapping[str, Any], snap: RecordSnapshot, order: Order, vocab: Vocabulary, evidence: list[str]
) -> bool:
    """True if ``cond`` holds; appends the ids of the record items it read to ``evidence``."""
    ((name, args),) = cond.items()
    if name == "all":
        return all(evaluate(c, snap, order, vocab, evidence) for c in args)
    if name == "any":
        return any(evaluate(c, snap, order, vocab, evidence) for c in args)
    if name == "not":
        return not evaluate(args, snap, order, vocab, evidence)
    if name == "latest":
        item = snap.latest(Concept[args["concept"]])
        if item is None:
            return False
        evidence.append(item.id)
        return OPS[args["op"]](item.value, float(args["value"]))
    if name == "recorded_within":
        found = snap.recorded_within(frozenset(Concept[c] for c in args["concepts"]), args["days"])
        evidence.extend(i.id for i in found)
        return bool(found)
    if name == "problem":
        found = snap.of(ItemType.PROBLEM, frozenset(Concept[c] for c in args))
        evidence.extend(i.id for i in found)
        return bool(found)
    if name == "on_drug":
        found = [it for d, it in snap.current_drugs.items() if d in vocab.drugs(args, name)]
        evidence.extend(i.id for i in found)
        return bool(found)
    if name == "order_drug":
        return order.name in vocab.drugs(args, name)
    if name == "order_is_new":
        current = snap.current_drugs.get(order.name)
        if current is not None:
            evidence.append(current.id)
        return current is None
    if name == "order_continues":
        current = snap.current_drugs.get(order.name)
        if current is None:
            return False
        evidence.append(current.id)
        return order.dose is not None and current.value == order.dose
    if name == "order_dose_above_max":
        top = vocab.max_dose(order.name)
        return top is not None and order.dose is not None and order.dose > top
    if name == "referred_within_days":
        concept = REFERRAL_CONCEPTS.get(order.name)
        found = (
            []
            if concept is None
            else [i for i in snap.of(ItemType.REFERRAL, frozenset((concept,))) if i.day >= snap.day - args]
        )
        evidence.extend(i.id for i in found)
        return bool(found)
    if name == "death_recorded":
        death = snap.death()
        if death is not None:
            evidence.append(death.id)
        return death is not None
    if name == "age_years":
        evidence.append(REGISTRATION_AGE)
        return OPS[args["op"]](snap.age_years, float(args["value"]))
    raise ValueError(f"unknown predicate {name!r}; allowed: {sorted(PREDICATES)}")
