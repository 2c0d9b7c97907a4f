"""The reading map and its data files name real code-table concepts and real twin variables, with a status."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from twin_env.patient_twin.code_map import SYSTEM_KEYS, product_of, table_row, targets_of
from twin_env.patient_twin.record import MEASUREMENT_SETTINGS, MEASUREMENT_VARIABLES
from twin_env.twin.state import CONDITIONS, RISK_FLAGS, TREATMENT_FIELDS
from twin_env.vocab.codes import code_table
from twin_env.vocab.concepts import concept_code
from twin_env.vocab.drugs import DRUGS

HELPERS = {"creatinine_umol_l", "weight_kg", "height_cm"}
STATUSES = {"verified", "unverified", "derived"}


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(resources.files("twin_env.data").joinpath(name).open(encoding="utf-8")))


@pytest.mark.parametrize(
    "name",
    [
        "record_reading_map.csv",
        "record_drug_products.csv",
        "ethnic_category_qrisk3.csv",
        "record_unit_conversions.csv",
        "record_plausible_ranges.csv",
        "ckd_epi_2021_coefficients.csv",
    ],
)
def test_every_row_has_a_status_and_a_source(name: str) -> None:
    rows = _rows(name)
    assert rows
    assert all(r["status"] in STATUSES and r["source"] for r in rows)


def test_reading_map_targets_exist() -> None:
    allowed = {
        "measure": set(MEASUREMENT_VARIABLES) | HELPERS,
        "condition": set(CONDITIONS),
        "flag": set(RISK_FLAGS),
        "smoking": {"0", "1", "2", "3", "4"},
        "panel": {"bp"},
        "smoking_question": {""},
    }
    for r in _rows("record_reading_map.csv"):
        found = code_table().codes_for(r["domain"], r["concept"])
        if r["code"]:
            assert r["code"] in {c.code for c in found}
        assert r["setting"] in ("", *MEASUREMENT_SETTINGS)
        if r["kind"] == "ignore":
            assert r["target"], r
        else:
            assert r["target"] in allowed[r["kind"]], r


def test_products_name_real_concepts_and_fields() -> None:
    for r in _rows("record_drug_products.csv"):
        code_table().codes_for(r["domain"], r["concept"])
        assert r["field"] in TREATMENT_FIELDS
        if r["drug"] in DRUGS:
            assert DRUGS[r["drug"]].field == r["field"]
        assert (r["standard_dose_mg"] != "") == r["field"].startswith("dose_")


def test_every_catalogue_product_is_readable() -> None:
    """Each dm+d product the project prescribes reads back as its drug's treatment field."""
    for drug in DRUGS.values():
        for concept in set(drug.products.values()):
            code = concept_code(concept)
            assert code is not None
            product = product_of(code)
            assert product is not None and product.field == drug.field, drug.name


def test_every_twin_condition_is_reachable() -> None:
    reached = {t.target for row in code_table() for t in targets_of(row) if t.kind == "condition"}
    assert reached == set(CONDITIONS)


def test_ethnicity_rows_are_in_the_code_table() -> None:
    for r in _rows("ethnic_category_qrisk3.csv"):
        assert code_table().is_known(r["system"], r["code"])
        assert r["qrisk3_ethnicity"] in ("", *map(str, range(1, 10)))


def test_system_uris_reach_known_systems() -> None:
    systems = {row.system for row in code_table()}
    assert {key for keys in SYSTEM_KEYS.values() for key in keys} <= systems
    assert table_row("http://example.org/unknown", "1") is None
