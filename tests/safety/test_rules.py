"""Each packaged rule on constructed records and orders; the rule file's validation and configuration."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from tests.safety.conftest import egfr, item, on, potassium, snapshot
from twin_env.record.store import ItemType
from twin_env.safety.engine import judge
from twin_env.safety.rules import RuleSet
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order

RULES = RuleSet.packaged()
RX = lambda drug, dose=1.0: Order("prescribe", drug, dose)  # noqa: E731


def fired(orders: list[Order], snap) -> dict[str, tuple[str, ...]]:
    return {v.rule.id: v.evidence for v in judge(RULES, orders, snap)}


def test_packaged_rules_cover_the_issue() -> None:
    ids = {r.id for r in RULES.rules}
    assert len(ids) == 15 and {r.severity for r in RULES.rules} == {"hard", "soft"}
    assert all(r.source and r.description and r.version >= 1 for r in RULES.rules)


@pytest.mark.parametrize(
    ("order", "items", "age", "expected"),
    [
        (RX("gliclazide", 40.0), (egfr(25.0, seq=11),), 60.0, {"sulfonylurea_egfr_below_30"}),
        (RX("gliclazide", 80.0), (egfr(50.0, seq=11),), 80.0, {"sulfonylurea_older_person"}),
        (
            RX("gliclazide", 160.0),
            (egfr(25.0, seq=11),),
            75.0,
            {"sulfonylurea_egfr_below_30", "sulfonylurea_older_person"},
        ),
        (RX("gliclazide", 80.0), (egfr(50.0, seq=11),), 74.0, set()),
        # a repeat at the current dose continues it: neither rule judges it
        (RX("gliclazide", 80.0), (egfr(25.0, seq=11), on(Concept.GLICLAZIDE_80MG, 80.0)), 80.0, set()),
    ],
)
def test_sulfonylurea_hypoglycaemia_warnings(order: Order, items: tuple, age: float, expected: set[str]) -> None:
    got = {k for k in fired([order], snapshot(*items, age=age)) if k.startswith("sulfonylurea")}
    assert got == expected
    assert not any(RULES.get(r).hard for r in got)  # warnings, as a GP system gives: the prescriber may go on


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (25.0, {"metformin_egfr_below_30", "metformin_egfr_below_45_no_review"}),
        (40.0, {"metformin_egfr_below_45_no_review"}),
        (50.0, set()),
    ],
)
def test_metformin_egfr(value: float, expected: set[str]) -> None:
    got = fired([RX("metformin", 1000.0)], snapshot(egfr(value, seq=11)))
    assert set(got) == expected
    assert all(ev == ("7-11",) for ev in got.values())


def test_metformin_review_silences_the_soft_rule() -> None:
    review = item(12, ItemType.ENCOUNTER, Concept.MEDICATION_REVIEW, days_ago=5)
    assert set(fired([RX("metformin", 1000.0)], snapshot(egfr(40.0), review))) == set()


def test_acei_with_arb_both_ways() -> None:
    base = (egfr(80.0),)
    assert fired([RX("losartan")], snapshot(*base, on(Concept.RAMIPRIL_5MG, seq=9)))["acei_with_arb"] == ("7-9",)
    assert "acei_with_arb" in fired([RX("ramipril")], snapshot(*base, on(Concept.LOSARTAN_50MG)))
    assert "acei_with_arb" not in fired([RX("ramipril", 2.0)], snapshot(*base, on(Concept.RAMIPRIL_5MG)))
    stale = on(Concept.LOSARTAN_50MG, days_ago=200)  # not current: issued outside the 56-day window
    assert "acei_with_arb" not in fired([RX("ramipril")], snapshot(*base, stale))


def test_potassium_rules() -> None:
    assert "start_raas_potassium_above_5" in fired([RX("ramipril")], snapshot(egfr(80.0), potassium(5.3)))
    assert "start_raas_potassium_above_5" not in fired(
        [RX("ramipril", 2.0)], snapshot(egfr(80.0), potassium(5.3), on(Concept.RAMIPRIL_5MG))
    )
    assert "spironolactone_potassium_above_4_5" in fired([RX("spironolactone")], snapshot(egfr(80.0), potassium(4.6)))
    assert "spironolactone_potassium_above_4_5" not in fired(
        [RX("spironolactone")], snapshot(egfr(80.0), potassium(4.5))
    )


def test_pioglitazone_heart_failure_with_a_constructed_order() -> None:
    hf = item(5, ItemType.PROBLEM, Concept.HEART_FAILURE, days_ago=400)
    assert fired([RX("pioglitazone", 30.0)], snapshot(hf))["pioglitazone_heart_failure"] == ("7-5",)
    assert "pioglitazone_heart_failure" not in fired([RX("pioglitazone", 30.0)], snapshot())


def test_renal_function_needed_within_12_months() -> None:
    assert "renal_drug_without_recent_egfr" in fired([RX("dapagliflozin", 10.0)], snapshot(egfr(80.0, days_ago=400)))
    assert "renal_drug_without_recent_egfr" in fired([RX("ramipril")], snapshot())
    assert "renal_drug_without_recent_egfr" not in fired([RX("ramipril")], snapshot(egfr(80.0, days_ago=300)))
    assert "renal_drug_without_recent_egfr" not in fired([RX("amlodipine")], snapshot())


def test_nsaid_triple_whammy_is_soft() -> None:
    snap = snapshot(egfr(80.0), on(Concept.RAMIPRIL_5MG, seq=3), on(Concept.INDAPAMIDE_2_5MG, seq=4))
    got = judge(RULES, [RX("ibuprofen", 1200.0)], snap)
    assert [(v.rule.id, v.rule.severity, v.evidence) for v in got] == [("nsaid_triple_whammy", "soft", ("7-3", "7-4"))]
    assert not judge(RULES, [RX("ibuprofen", 1200.0)], snapshot(egfr(80.0), on(Concept.RAMIPRIL_5MG)))


def test_duplicate_referral_within_90_days() -> None:
    ref = item(6, ItemType.REFERRAL, Concept.REFERRAL_CARDIOLOGY, days_ago=60)
    assert fired([Order("refer", "cardiology")], snapshot(ref)) == {"duplicate_referral_90_days": ("7-6",)}
    assert fired([Order("refer", "nephrology")], snapshot(ref)) == {}
    old = item(6, ItemType.REFERRAL, Concept.REFERRAL_CARDIOLOGY, days_ago=120)
    assert fired([Order("refer", "cardiology")], snapshot(old)) == {}


def test_death_and_maximum_dose() -> None:
    death = item(8, ItemType.DEATH, Concept.DEATH, days_ago=3)
    assert fired([RX("amlodipine")], snapshot(death)) == {"prescribe_after_recorded_death": ("7-8",)}
    assert "dose_above_maximum" in fired([RX("atorvastatin", 160.0)], snapshot())
    assert "dose_above_maximum" in fired([RX("ibuprofen", 3200.0)], snapshot())
    assert "dose_above_maximum" not in fired([RX("atorvastatin", 80.0)], snapshot())


@pytest.mark.parametrize(("age", "extra", "fires"), [
    (60.0, (), False), (24.0, (), True), (85.0, (), True), (84.9, (), False),
    (60.0, (item(4, ItemType.PROBLEM, Concept.ANGINA),), True), (60.0, (egfr(55.0),), True),
    (60.0, (egfr(60.0),), False),
])  # fmt: skip
def test_qrisk3_licensed_population(age: float, extra: tuple, fires: bool) -> None:
    assert ("qrisk3_outside_licence" in fired([Order("model", "qrisk3")], snapshot(*extra, age=age))) is fires


def test_configure_disables_and_adds_rules() -> None:
    new = copy.deepcopy(RULES.raw["rules"][0]) | {
        "id": "no_amlodipine_over_80",
        "severity": "soft",
        "cost": 0.3,
        "fallback": None,
        "applies_to": {"kind": "prescribe", "names": ["amlodipine"]},
        "condition": {"age_years": {"op": ">", "value": 80}},
    }
    rs = RuleSet.from_config({"disable": ["acei_with_arb"], "add": [new]})
    assert "acei_with_arb" not in {r.id for r in rs.rules} and rs.get("no_amlodipine_over_80").cost == 0.3
    assert [v.rule.id for v in judge(rs, [RX("amlodipine")], snapshot(age=81.0))] == ["no_amlodipine_over_80"]
    with pytest.raises(ValueError, match=r"unknown rule id\(s\) to disable \['nope'\]"):
        RuleSet.from_config({"disable": ["nope"]})
    with pytest.raises(ValueError, match="unknown rules config key"):
        RuleSet.from_config({"remove": []})


@pytest.mark.parametrize(("patch", "message"), [
    ({"severity": "medium"}, "severity 'medium'"), ({"cost": 0}, "cost must be"),
    ({"fallback": "fly away"}, "fallback 'fly away'"),
    ({"condition": {"latest": {"concept": "HEART_FAILURE", "op": "<", "value": 1}}}, "unknown concept 'HEART_FAILURE'"),
    ({"condition": {"whenever": True}}, "unknown predicate 'whenever'"),
    ({"applies_to": {"kind": "eat"}}, "applies_to must be"),
    ({"condition": {"on_drug": ["@statins"]}}, "unknown drug class '@statins'"),
    ({"extra": 1}, r"unknown field\(s\) \['extra'\]"),
])  # fmt: skip
def test_bad_rules_raise_errors_naming_the_field(patch: dict, message: str) -> None:
    raw = copy.deepcopy(dict(RULES.raw))
    raw["rules"][0] = raw["rules"][0] | patch
    with pytest.raises(ValueError, match=message):
        RuleSet.from_mapping(raw)


def test_docs_rules_table_matches_the_rule_file() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "safety.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- rules-table -->\n(.*?)\n<!-- /rules-table -->", doc, re.S)
    assert table is not None and table.group(1).strip() == RULES.markdown_table()


def test_rules_read_their_limits_from_the_shared_file() -> None:
    from twin_env.vocab.limits import LIMITS  # noqa: PLC0415

    cond = RULES.get("spironolactone_potassium_above_4_5").condition
    assert cond == {"latest": {"concept": "POTASSIUM", "op": ">", "value": LIMITS["spironolactone_max_potassium"]}}
    assert RULES.get("metformin_egfr_below_30").condition["latest"]["value"] == LIMITS["metformin_min_egfr"] == 30
    raw = copy.deepcopy(dict(RULES.raw))
    raw["rules"][0]["condition"] = {"latest": {"concept": "EGFR", "op": "<", "value": {"limit": "nope"}}}
    with pytest.raises(ValueError, match="unknown clinical limit 'nope'"):
        RuleSet.from_mapping(raw)
