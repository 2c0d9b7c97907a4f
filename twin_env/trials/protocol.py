"""Trial protocols (schema version 1): a JSON file parsed into frozen dataclasses, or a one-line ``ProtocolError``.

Every key of the schema is required except the keys of ``eligibility`` (each optional) and the
offsets of a ``physiology`` strategy (at least one; the others are 0). Keys outside the schema are
errors. The dataclasses and units are in :mod:`twin_env.trials.schema`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from twin_env.trials import validation as v
from twin_env.trials.outcomes import OUTCOMES
from twin_env.trials.schema import (
    AGE_LIMITS,
    ALLOCATIONS,
    CONDITION_NAMES,
    FLAG_KEYS,
    MAX_FOLLOW_UP_YEARS,
    MAX_PATIENTS,
    MAX_SEED,
    OFFSET_LIMITS,
    RANGE_LIMITS,
    SCHEMA_VERSION,
    TARGET_SBP_LIMITS,
    VISIT_MONTHS_LIMITS,
    Arm,
    BpTargetStrategy,
    Criteria,
    DrugsStrategy,
    DrugStart,
    Eligibility,
    NoneStrategy,
    PhysiologyStrategy,
    PolicyStrategy,
    Population,
    Protocol,
    Range,
    Strategy,
)
from twin_env.trials.validation import ProtocolError
from twin_env.vocab.drugs import DRUGS

__all__ = [
    "Arm",
    "BpTargetStrategy",
    "Criteria",
    "DrugStart",
    "DrugsStrategy",
    "Eligibility",
    "NoneStrategy",
    "PhysiologyStrategy",
    "PolicyStrategy",
    "Population",
    "Protocol",
    "ProtocolError",
    "Range",
    "Strategy",
    "load_protocol",
    "parse_arm",
    "parse_protocol",
    "protocol_to_dict",
]

_TOP_KEYS = (
    "version",
    "name",
    "population",
    "eligibility",
    "allocation",
    "arms",
    "reference_arm",
    "follow_up_years",
    "outcomes",
)
_CRITERIA_KEYS = (*RANGE_LIMITS, "require_all", "exclude_any", *FLAG_KEYS)


def load_protocol(source: str | os.PathLike[str] | Mapping[str, Any]) -> Protocol:
    """A protocol from a JSON file path or an already-parsed mapping; ``ProtocolError`` if it is invalid."""
    if isinstance(source, Mapping):
        return parse_protocol(source)
    with open(source, encoding="utf-8") as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as error:
            raise ProtocolError(f"{os.fspath(source)}: not valid JSON: {error}") from None
    return parse_protocol(data)


def parse_protocol(data: Any) -> Protocol:
    """Validate a parsed JSON document against schema version 1."""
    if isinstance(data, Mapping) and "version" in data:
        version = data["version"]
        if isinstance(version, bool) or version != SCHEMA_VERSION or not isinstance(version, int):
            raise v.fail("version", f"{SCHEMA_VERSION} (the only schema version)", version)
    data = v.mapping(data, "", _TOP_KEYS)
    population = _population(data["population"], "population")
    eligibility = _eligibility(data["eligibility"], "eligibility", population)
    arms = _arms(data["arms"], "arms")
    arm_names = tuple(arm.name for arm in arms)
    reference = data["reference_arm"]
    if not isinstance(reference, str) or reference not in arm_names:
        raise v.fail("reference_arm", f"the name of an arm ({', '.join(arm_names)})", reference)
    return Protocol(
        version=SCHEMA_VERSION,
        name=v.text(data["name"], "name"),
        population=population,
        eligibility=eligibility,
        allocation=v.choice(data["allocation"], "allocation", ALLOCATIONS),
        arms=arms,
        reference_arm=reference,
        follow_up_years=v.number(data["follow_up_years"], "follow_up_years", 0.0, MAX_FOLLOW_UP_YEARS, open_low=True),
        outcomes=_outcomes(data["outcomes"], "outcomes"),
    )


def _population(data: Any, path: str) -> Population:
    data = v.mapping(data, path, ("n", "seed", "min_age", "max_age", "start_date"))
    min_age = v.number(data["min_age"], v.child(path, "min_age"), *AGE_LIMITS)
    max_age = v.number(data["max_age"], v.child(path, "max_age"), *AGE_LIMITS)
    if max_age < min_age:
        raise v.fail(v.child(path, "max_age"), f"at least min_age ({data['min_age']})", data["max_age"])
    return Population(
        n=v.integer(data["n"], v.child(path, "n"), 1, MAX_PATIENTS),
        seed=v.integer(data["seed"], v.child(path, "seed"), 0, MAX_SEED),
        min_age=min_age,
        max_age=max_age,
        start_date=v.iso_date(data["start_date"], v.child(path, "start_date")),
    )


def _range(data: Any, path: str, limits: tuple[float, float]) -> Range:
    lo, hi = limits
    allowed = f"[min, max] with numbers in [{v.bound_text(lo)}, {v.bound_text(hi)}] or null, min <= max"
    if not isinstance(data, list) or len(data) != 2:
        raise v.fail(path, allowed, data)
    bounds = [None if x is None else v.number(x, v.child(path, i), lo, hi) for i, x in enumerate(data)]
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise v.fail(path, allowed, data)
    return Range(bounds[0], bounds[1])


def _criteria_fields(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, limits in RANGE_LIMITS.items():
        if key in data:
            fields[key] = _range(data[key], v.child(path, key), limits)
    for key in ("require_all", "exclude_any"):
        if key in data:
            fields[key] = v.names_from(data[key], v.child(path, key), CONDITION_NAMES)
    for key in FLAG_KEYS:
        if key in data:
            fields[key] = v.boolean_or_null(data[key], v.child(path, key))
    both = set(fields.get("require_all", ())) & set(fields.get("exclude_any", ()))
    if both:
        raise v.ProtocolError(f"{v.child(path, 'exclude_any')}: {sorted(both)} also in require_all; no one qualifies")
    return fields


def _eligibility(data: Any, path: str, population: Population) -> Eligibility:
    data = v.mapping(data, path, (), (*_CRITERIA_KEYS, "any_of"))
    fields = _criteria_fields(data, path)
    age = fields.get("age")
    if age is not None and not (
        (age.low is None or age.low <= population.max_age) and (age.high is None or age.high >= population.min_age)
    ):
        allowed = f"a range overlapping the population's ages [{population.min_age:g}, {population.max_age:g}]"
        raise v.fail(v.child(path, "age"), allowed, data["age"])
    groups: list[Criteria] = []
    if "any_of" in data:
        group_path = v.child(path, "any_of")
        for index, group in enumerate(v.sequence(data["any_of"], group_path, non_empty=True)):
            item_path = v.child(group_path, index)
            group = v.mapping(group, item_path, (), _CRITERIA_KEYS)
            if not group:
                raise v.fail(item_path, "an object with at least one criterion", group)
            groups.append(Criteria(**_criteria_fields(group, item_path)))
    return Eligibility(**fields, any_of=tuple(groups))


def _arms(data: Any, path: str) -> tuple[Arm, ...]:
    items = v.sequence(data, path)
    if len(items) < 2:
        raise v.fail(path, "a list of at least 2 arms", data)
    arms: list[Arm] = []
    for index, item in enumerate(items):
        item_path = v.child(path, index)
        item = v.mapping(item, item_path, ("name", "strategy"))
        name = v.name(item["name"], v.child(item_path, "name"))
        if name in (arm.name for arm in arms):
            raise ProtocolError(f"{v.child(item_path, 'name')}: duplicate arm name {v.shown(name)}")
        arms.append(Arm(name, _strategy(item["strategy"], v.child(item_path, "strategy"))))
    return tuple(arms)


_STRATEGY_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "none": ((), ()),
    "drugs": (("start",), ()),
    "bp_target": (("target_sbp_mmhg", "visit_months"), ()),
    "physiology": ((), tuple(OFFSET_LIMITS)),
    "policy": (("policy",), ()),
}


def _strategy(data: Any, path: str) -> Strategy:
    if not isinstance(data, Mapping):
        raise v.fail(path, "an object", data)
    kind = v.choice(data.get("kind"), v.child(path, "kind"), _STRATEGY_KEYS)
    required, optional = _STRATEGY_KEYS[kind]
    data = v.mapping(data, path, ("kind", *required), optional)
    if kind == "none":
        return NoneStrategy()
    if kind == "drugs":
        return DrugsStrategy(_drug_starts(data["start"], v.child(path, "start")))
    if kind == "bp_target":
        return BpTargetStrategy(
            target_sbp_mmhg=v.number(data["target_sbp_mmhg"], v.child(path, "target_sbp_mmhg"), *TARGET_SBP_LIMITS),
            visit_months=v.integer(data["visit_months"], v.child(path, "visit_months"), *VISIT_MONTHS_LIMITS),
        )
    if kind == "physiology":
        if len(data) == 1:
            raise ProtocolError(f"{path}: a physiology strategy needs at least one of {', '.join(OFFSET_LIMITS)}")
        offsets = {key: v.number(data[key], v.child(path, key), *OFFSET_LIMITS[key]) for key in data if key != "kind"}
        return PhysiologyStrategy(**offsets)
    return PolicyStrategy(v.text(data["policy"], v.child(path, "policy")))


def parse_arm(data: Any, path: str) -> Arm:
    """One named strategy: an arm object ``{"name", "strategy"}`` as in a protocol's ``arms``, or a bare
    strategy object (then named by its ``kind``); ``ProtocolError`` naming ``path`` if invalid."""
    if isinstance(data, Mapping) and "strategy" in data:
        data = v.mapping(data, path, ("name", "strategy"))
        return Arm(v.name(data["name"], v.child(path, "name")), _strategy(data["strategy"], v.child(path, "strategy")))
    strategy = _strategy(data, path)
    return Arm(strategy.kind, strategy)


def _drug_starts(data: Any, path: str) -> tuple[DrugStart, ...]:
    starts: list[DrugStart] = []
    for index, item in enumerate(v.sequence(data, path, non_empty=True)):
        item_path = v.child(path, index)
        item = v.mapping(item, item_path, ("drug", "dose"))
        drug = v.choice(item["drug"], v.child(item_path, "drug"), DRUGS)
        if drug in (start.drug for start in starts):
            raise ProtocolError(f"{v.child(item_path, 'drug')}: duplicate drug {v.shown(drug)}")
        doses = sorted(DRUGS[drug].products)
        dose = item["dose"]
        if isinstance(dose, bool) or not isinstance(dose, (int, float)) or float(dose) not in doses:
            allowed = f"one of {', '.join(f'{d:g}' for d in doses)} ({DRUGS[drug].dose_unit})"
            raise v.fail(v.child(item_path, "dose"), allowed, dose)
        starts.append(DrugStart(drug, float(dose)))
    return tuple(starts)


def _outcomes(data: Any, path: str) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(data, Mapping) or not data:
        raise v.fail(path, "a non-empty object of outcome name -> list of outcome events", data)
    outcomes: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        v.name(key, v.child(path, str(key)))
        outcomes[key] = v.names_from(value, v.child(path, key), OUTCOMES, non_empty=True)
    return MappingProxyType(outcomes)


def _criteria_json(criteria: Criteria) -> dict[str, Any]:
    out: dict[str, Any] = {key: r.to_json() for key, r in criteria.ranges().items()}
    for key in ("require_all", "exclude_any"):
        if getattr(criteria, key):
            out[key] = list(getattr(criteria, key))
    out.update(criteria.flags())
    return out


def _strategy_json(strategy: Strategy) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": strategy.kind}
    if isinstance(strategy, DrugsStrategy):
        out["start"] = [{"drug": s.drug, "dose": s.dose} for s in strategy.start]
    elif isinstance(strategy, (BpTargetStrategy, PhysiologyStrategy, PolicyStrategy)):
        out.update(dataclasses.asdict(strategy))
    return out


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """The protocol as schema-1 JSON data (explicit defaults filled in); ``load_protocol`` reads it back equal."""
    population = dataclasses.asdict(protocol.population)
    population["start_date"] = protocol.population.start_date.isoformat()
    eligibility = _criteria_json(protocol.eligibility)
    if protocol.eligibility.any_of:
        eligibility["any_of"] = [_criteria_json(group) for group in protocol.eligibility.any_of]
    return {
        "version": protocol.version,
        "name": protocol.name,
        "population": population,
        "eligibility": eligibility,
        "allocation": protocol.allocation,
        "arms": [{"name": arm.name, "strategy": _strategy_json(arm.strategy)} for arm in protocol.arms],
        "reference_arm": protocol.reference_arm,
        "follow_up_years": protocol.follow_up_years,
        "outcomes": {key: list(value) for key, value in protocol.outcomes.items()},
    }
