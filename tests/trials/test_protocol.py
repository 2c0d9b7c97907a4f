"""Protocol schema 1: the issue's example parses; every bad field gets a one-line error naming its path."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.trials.example_protocol import example
from twin_env.trials import (
    BpTargetStrategy,
    DrugsStrategy,
    DrugStart,
    NoneStrategy,
    PhysiologyStrategy,
    PolicyStrategy,
    ProtocolError,
    Range,
    load_protocol,
    parse_protocol,
    protocol_to_dict,
)
from twin_env.twin import RECORDED_CONDITIONS


def test_the_issue_example_parses() -> None:
    p = load_protocol(example())
    assert p.version == 1 and p.allocation == "randomised" and p.reference_arm == "placebo"
    assert p.population.start_date == datetime.date(2020, 4, 1) and p.population.n == 200_000
    assert p.eligibility.sbp_mmhg == Range(160.0, 199.0) and p.eligibility.egfr == Range(30.0, None)
    assert p.eligibility.on_statin is False and p.eligibility.on_metformin is None
    assert p.eligibility.any_of[1].age == Range(75.0, None)
    assert [arm.strategy for arm in p.arms] == [
        DrugsStrategy((DrugStart("indapamide", 1.0),)),
        BpTargetStrategy(120.0, 3),
        PhysiologyStrategy(ldl_offset_mmol_l=-1.0),
        PolicyStrategy("nice_guideline"),
        NoneStrategy(),
    ]
    assert p.comparison_arms == ("active", "intensive", "lower_ldl", "guideline")
    assert p.outcomes["cv_events"] == ("mi", "stroke", "heart_failure", "cvd_death")


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    p = load_protocol(example())
    path = tmp_path / "p.json"
    path.write_text(json.dumps(protocol_to_dict(p)))
    assert load_protocol(path) == p
    assert load_protocol(str(path)) == p


def test_minimal_protocol_and_open_ranges() -> None:
    data = example()
    data["eligibility"] = {}
    p = load_protocol(data)
    assert p.eligibility.ranges() == {} and p.eligibility.any_of == ()
    assert Range(None, 5.0).contains(np.array([4.0, 5.0, 6.0, np.nan])).tolist() == [True, True, False, False]


def test_condition_names_are_the_twins() -> None:
    for name in RECORDED_CONDITIONS:
        data = example()
        data["eligibility"]["require_all"] = [name]
        data["eligibility"]["exclude_any"] = []
        assert load_protocol(data).eligibility.require_all == (name,)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()

BAD: list[tuple[str, Any, str]] = [
    ("version", 2, "version: must be 1"),
    ("version", True, "version: must be 1"),
    ("surprise", 1, "surprise: unknown key; allowed: version, name"),
    ("name", "", 'name: must be a non-empty string, got ""'),
    ("population", _DELETE, "population: required"),
    ("population/n", 0, "population.n: must be an integer in [1, 1000000], got 0"),
    ("population/n", 2.5, "population.n: must be an integer"),
    ("population/n", 2_000_000, "population.n: must be an integer in [1, 1000000]"),
    ("population/seed", -1, "population.seed: must be an integer in [0, "),
    ("population/min_age", 17, "population.min_age: must be a number in [18, 100], got 17"),
    ("population/max_age", 101, "population.max_age: must be a number in [18, 100]"),
    ("population/max_age", 79, "population.max_age: must be at least min_age (80), got 79"),
    ("population/start_date", "2020-02-30", 'population.start_date: must be an ISO date YYYY-MM-DD, got "2020-02-30"'),
    ("population/start_date", "20200401", "population.start_date: must be an ISO date"),
    ("population/extra", 1, "population.extra: unknown key"),
    ("eligibility/sbp_mmhg", [170, 160], "eligibility.sbp_mmhg: must be [min, max]"),
    ("eligibility/sbp_mmhg", [160], "eligibility.sbp_mmhg: must be [min, max]"),
    ("eligibility/sbp_mmhg/0", "x", 'eligibility.sbp_mmhg[0]: must be a number in [50, 300], got "x"'),
    ("eligibility/egfr/0", float("nan"), "eligibility.egfr[0]: must be a number"),
    ("eligibility/age", [20, 50], "eligibility.age: must be a range overlapping the population's ages [80, 100]"),
    (
        "eligibility/require_all",
        ["diabetes"],
        "eligibility.require_all[0]: must be one of hypertension, type2_diabetes",
    ),
    ("eligibility/exclude_any", ["chd", "chd"], 'eligibility.exclude_any[1]: duplicate "chd"'),
    ("eligibility/exclude_any", ["hypertension"], "eligibility.exclude_any: ['hypertension'] also in require_all"),
    ("eligibility/on_statin", "no", 'eligibility.on_statin: must be true, false or null, got "no"'),
    ("eligibility/any_of", [], "eligibility.any_of: must be a non-empty list"),
    ("eligibility/any_of/0", {}, "eligibility.any_of[0]: must be an object with at least one criterion"),
    ("eligibility/any_of/0", {"any_of": []}, "eligibility.any_of[0].any_of: unknown key"),
    ("eligibility/any_of/2/qrisk3_percent", [15, 101], "eligibility.any_of[2].qrisk3_percent[1]: must be a number in"),
    ("eligibility/wealth", [1, 2], "eligibility.wealth: unknown key"),
    ("allocation", "crossover", 'allocation: must be one of randomised, paired, got "crossover"'),
    ("arms", [], "arms: must be a list of at least 2 arms"),
    ("arms/1/name", "active", 'arms[1].name: duplicate arm name "active"'),
    ("arms/1/name", "has space", "arms[1].name: must be a name of 1-64 letters"),
    ("arms/1/colour", "red", "arms[1].colour: unknown key; allowed: name, strategy"),
    (
        "arms/1/strategy/target_sbp_mmhg",
        "x",
        'arms[1].strategy.target_sbp_mmhg: must be a number in [90, 200], got "x"',
    ),
    ("arms/1/strategy/target_sbp_mmhg", 80, "arms[1].strategy.target_sbp_mmhg: must be a number in [90, 200], got 80"),
    ("arms/1/strategy/visit_months", 0, "arms[1].strategy.visit_months: must be an integer in [1, 24], got 0"),
    ("arms/1/strategy/visit_months", _DELETE, "arms[1].strategy.visit_months: required"),
    ("arms/1/strategy/kind", "magic", "arms[1].strategy.kind: must be one of none, drugs, bp_target"),
    ("arms/4/strategy/policy", "x", "arms[4].strategy.policy: unknown key; allowed: kind"),
    ("arms/0/strategy/start", [], "arms[0].strategy.start: must be a non-empty list"),
    ("arms/0/strategy/start/0/drug", "aspirin", "arms[0].strategy.start[0].drug: must be one of ramipril"),
    ("arms/0/strategy/start/0/dose", 2.0, "arms[0].strategy.start[0].dose: must be one of 1 (standard dose), got 2.0"),
    ("arms/0/strategy/start/0/dose", True, "arms[0].strategy.start[0].dose: must be one of 1"),
    ("arms/0/strategy/start/0/mg", 1, "arms[0].strategy.start[0].mg: unknown key; allowed: drug, dose"),
    ("arms/2/strategy", {"kind": "physiology"}, "arms[2].strategy: a physiology strategy needs at least one of"),
    ("arms/2/strategy/ldl_offset_mmol_l", -9, "arms[2].strategy.ldl_offset_mmol_l: must be a number in [-5, 5]"),
    ("arms/3/strategy/policy", " ", "arms[3].strategy.policy: must be a non-empty string"),
    ("reference_arm", "nobody", "reference_arm: must be the name of an arm (active, intensive, lower_ldl, guideline, "),
    ("follow_up_years", 0, "follow_up_years: must be a number in (0, 50], got 0"),
    ("follow_up_years", -1.5, "follow_up_years: must be a number in (0, 50]"),
    ("outcomes", {}, "outcomes: must be a non-empty object"),
    ("outcomes/stroke", ["stroke", "fracture"], "outcomes.stroke[1]: must be one of death, cvd_death, mi"),
    ("outcomes/stroke", [], "outcomes.stroke: must be a non-empty list"),
    ("outcomes/bad name", ["mi"], "outcomes.bad name: must be a name of 1-64 letters"),
]


@pytest.mark.parametrize(
    ("path", "value", "message"), BAD, ids=[f"{p}=" + ("<deleted>" if v is _DELETE else repr(v)) for p, v, _ in BAD]
)
def test_bad_field_gets_a_one_line_error_naming_it(path: str, value: Any, message: str) -> None:
    data = example()
    _set(path, value)(data)
    with pytest.raises(ProtocolError) as caught:
        load_protocol(data)
    text = str(caught.value)
    assert text.startswith(message), text
    assert "\n" not in text
    assert isinstance(caught.value, ValueError)


def test_not_an_object_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="protocol: must be an object"):
        parse_protocol([])
    path = tmp_path / "bad.json"
    path.write_text("{")
    with pytest.raises(ProtocolError, match="not valid JSON"):
        load_protocol(path)


def test_protocols_are_frozen() -> None:
    p = load_protocol(example())
    with pytest.raises(AttributeError):
        p.name = "x"  # type: ignore[misc]
