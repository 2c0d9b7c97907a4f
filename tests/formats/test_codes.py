"""The packaged code table: loading, lookups, dm+d re-issued ids, Verhoeff check digits."""

from __future__ import annotations

import csv
import dataclasses
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin_env.vocab import codes
from twin_env.vocab.codes import (
    LOINC_FOR_OBSERVABLE,
    CodeLookupError,
    code_table,
    codes_for,
    current_dmd_code,
    icd10_hospital_format,
    is_known_code,
    loinc_for,
    lookup,
    lookup_code,
    verhoeff_valid,
)


def _csv_rows() -> list[dict[str, str]]:
    text = resources.files("twin_env").joinpath("data", "codes.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_every_csv_row_is_loaded_or_deliberately_skipped() -> None:
    rows = _csv_rows()
    skipped = [r for r in rows if r["domain"] == "E.identifier" or r["system"] == "ICD-10 in SUS/HES" or not r["code"]]
    assert len(code_table()) == len(rows) - len(skipped)
    assert len(skipped) == 6  # 4 identifier conventions, the DG1 format note, ambulatory BP (no code)


def test_every_row_names_a_tagged_source() -> None:
    tags = {row.status for row in code_table()}
    assert tags <= {"VERIFIED", "VERIFIED-SECONDARY", "WEAK", "UNVERIFIED"}
    assert all(row.source.startswith(f"[{row.status}]") for row in code_table())


def test_every_snomed_and_dmd_code_passes_verhoeff() -> None:
    snomed_ids = [r for r in code_table() if r.system in ("snomed", "dmd")]
    # 181 + 16 SNOMED CT codes of harms and complications (issue 15) + 15 international codes read (issue 18)
    assert len(snomed_ids) == 212
    failing = [(r.concept, r.code) for r in snomed_ids if not verhoeff_valid(r.code)]
    assert failing == []


def test_verhoeff_known_cases() -> None:
    assert not verhoeff_valid("183519001")  # the wrong cardiology referral code seen in public lists
    assert verhoeff_valid("183519002")
    assert not verhoeff_valid("")
    assert not verhoeff_valid("18351900X")
    assert not verhoeff_valid("\uff11\uff18\uff13")  # full-width digits are not ASCII digits


@given(st.sampled_from([r.code for r in code_table() if r.system in ("snomed", "dmd")]), st.data())
def test_verhoeff_detects_any_single_digit_error(code: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(code) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    assert not verhoeff_valid(code[:position] + digit + code[position + 1 :])


def test_lookup_by_concept_and_by_code() -> None:
    hf = lookup("condition", "heart failure")
    assert (hf.system, hf.code) == ("snomed", "84114007")
    assert lookup_code("snomed", "84114007") is hf
    assert is_known_code("snomed", "84114007")
    assert not is_known_code("snomed", "183519001")
    assert not is_known_code("loinc", "84114007")


def test_rows_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        lookup("condition", "heart failure").code = "0"  # type: ignore[misc]


def test_unknown_concept_names_close_matches() -> None:
    with pytest.raises(KeyError, match="heart failure"):
        lookup("condition", "heart failur")


def test_unknown_domain_lists_domains() -> None:
    with pytest.raises(CodeLookupError, match=r"allowed: .*'condition'"):
        lookup("conditon", "heart failure")


def test_unknown_code_and_system() -> None:
    with pytest.raises(KeyError, match="183519002"):
        lookup_code("snomed", "183519001")
    with pytest.raises(KeyError, match="unknown code system"):
        lookup_code("read", "G30..")


def test_concept_without_a_code_explains_why() -> None:
    with pytest.raises(KeyError, match="UNVERIFIED"):
        lookup("procedure", "ambulatory BP monitoring (procedure)")


def test_value_set_concepts_need_codes_for() -> None:
    with pytest.raises(ValueError, match="20 codes"):
        lookup("nhsdd", "admission method")
    methods = codes_for("nhsdd", "admission method")
    assert {m.code for m in methods} >= {"11", "21", "2D"}
    assert all(m.system == "nhsdd-admission-method" for m in methods)


def test_dmd_previous_ids_map_to_current() -> None:
    assert current_dmd_code("319283006") == "39732011000001102"
    assert current_dmd_code("39732011000001102") == "39732011000001102"
    previous = [r for r in code_table() if r.domain == "dmd-previous"]
    assert len(previous) == 24
    for row in previous:
        current = lookup_code("dmd", current_dmd_code(row.code))
        assert current.domain == "dmd"
        assert row.concept.startswith(current.concept)
        assert is_known_code("dmd", row.code)
    with pytest.raises(KeyError):
        current_dmd_code("123")


def test_icd10_accepted_with_or_without_dot_and_padding() -> None:
    assert lookup_code("icd10", "I21.9").code == "I21.9"
    assert lookup_code("icd10", "I219").code == "I21.9"
    assert lookup_code("icd10", "I10X").code == "I10"
    assert icd10_hospital_format("I21.9") == "I219"
    assert icd10_hospital_format("I10") == "I10X"
    assert not is_known_code("icd10", "I48.91")  # US ICD-10-CM, not in the WHO/UK table


def test_display_prefers_uk_terms() -> None:
    assert lookup("condition", "hyperkalaemia").display == "Hyperkalaemia"
    assert lookup("condition", "transient ischaemic attack").display == "Transient ischaemic attack"
    assert lookup("referral", "referral to cardiology").display == "Referral to cardiology service"
    assert lookup("dmd-previous", "amlodipine 5 mg tablets (superseded VPID)").display == "Amlodipine 5mg tablets"
    assert lookup("loinc", "BMI").display == "Body mass index (BMI) [Ratio]"


def test_loinc_equivalents_are_verified_and_resolve() -> None:
    for observable, loinc_concept in LOINC_FOR_OBSERVABLE.items():
        assert lookup("observable", observable).system == "snomed"
        assert lookup("loinc", loinc_concept).status in ("VERIFIED", "VERIFIED-SECONDARY")
    hba1c = loinc_for("HbA1c (IFCC, mmol/mol)")
    assert hba1c is not None
    assert hba1c.code == "59261-8"  # IFCC mmol/mol, not 4548-4 (%)
    assert loinc_for("urine ACR") is None  # the LOINC row is WEAK


def test_table_is_cached() -> None:
    assert codes.code_table() is code_table()


def test_cached_lookups_agree_with_the_table_and_still_raise() -> None:
    """lookup, lookup_code, loinc_for and display are cached; answers are the table's, errors are not cached."""
    table = code_table()
    for row in table:
        assert lookup_code(row.system, row.code) is table.lookup_code(row.system, row.code)
        assert row.display == codes._display.__wrapped__(row.term, row.system)  # cached == computed
    assert lookup("condition", "hyperkalaemia") is lookup("condition", "hyperkalaemia")
    for _ in range(2):
        with pytest.raises(CodeLookupError, match="close matches"):
            lookup("condition", "hyperkalemia")
        with pytest.raises(CodeLookupError, match="not in the snomed table"):
            lookup_code("snomed", "12345")
