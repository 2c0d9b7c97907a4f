"""An impossible value (outside its variable's plausible range): refused by default, listed as ignored on request."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.patient_twin.bundles import LOINC, bundle, observation
from twin_env import RecordReadError, read_record

SBP_900 = (
    "Bundle.entry[1] Observation/o1: valueQuantity.value: 900 mm[Hg] is not a possible sbp_mmhg (allowed 50-300 mmHg)"
)


def _panel(systolic: float, diastolic: float) -> dict:
    def component(code: str, value: float) -> dict:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "code": "mm[Hg]"},
        }

    return observation("85354-9") | {"component": [component("8480-6", systolic), component("8462-4", diastolic)]}


def test_the_default_refuses_sbp_900_in_one_line_naming_entry_field_value_and_range() -> None:
    record = bundle(observation("8480-6", 900, "mm[Hg]"), observation("8480-6", 131, "mm[Hg]", id="o2"))
    with pytest.raises(RecordReadError) as caught:
        read_record(record)
    assert str(caught.value) == SBP_900
    with pytest.raises(RecordReadError) as explicit:
        read_record(record, impossible_values="error")
    assert str(explicit.value) == SBP_900


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            bundle(observation("4548-4", 45, "%")),
            "Observation/o1: valueQuantity.value: 45 % is not a possible hba1c_mmol_mol (allowed 15-200 mmol/mol)",
        ),
        (
            bundle(_panel(1400, 88)),
            "Observation/o1: component[0].valueQuantity.value: 1400 mm[Hg] is not a possible sbp_mmhg",
        ),
        (
            bundle(observation("29463-7", 80, "kg", id="w1"), observation("8302-2", 60, "cm", id="h1")),
            "Observation/w1: valueQuantity.value: weight 80 kg with height 60 cm gives BMI 222.2, not possible",
        ),
    ],
    ids=["hba1c_percent", "panel_component", "bmi"],
)
def test_every_kind_of_impossible_value_is_an_error_by_default(bad: dict, message: str) -> None:
    with pytest.raises(RecordReadError) as caught:
        read_record(bad)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_ignore_lists_each_impossible_value_and_reads_the_rest() -> None:
    """A record artefact (a decimal-place slip, a unit typed wrong) in one Observation, listed with why."""
    record = read_record(
        bundle(
            observation("8480-6", 900, "mm[Hg]"),
            observation("4548-4", 45, "%", id="o2"),
            observation("8480-6", 131, "mm[Hg]", id="o3"),
            observation("29463-7", 80, "kg", id="w1"),
            observation("8302-2", 60, "cm", id="h1"),
        ),
        impossible_values="ignore",
    )
    assert record.values("sbp_mmhg") == [(dt.date(2024, 3, 1), 131.0)]
    assert record.values("hba1c_mmol_mol") == []
    assert record.values("bmi_kg_m2") == []
    ignored = record.reading.to_dict()["ignored"]
    why = {i["resource"]: i["why"] for i in ignored}
    assert why["Observation/o1"] == SBP_900.removeprefix("Bundle.entry[1] Observation/o1: ")
    assert {"resource": "Observation/o1", "code": f"{LOINC}|8480-6", "why": why["Observation/o1"]} in ignored
    assert "45 % is not a possible hba1c_mmol_mol (allowed 15-200 mmol/mol)" in why["Observation/o2"]
    assert "weight 80 kg with height 60 cm gives BMI 222.2, not possible" in why["Observation/w1"]
    assert "Observation/o3" in record.reading.used and "Observation/o1" not in record.reading.used


def test_ignore_drops_an_impossible_panel_component_and_reads_its_partner() -> None:
    record = read_record(bundle(_panel(1400, 88)), impossible_values="ignore")
    assert record.values("sbp_mmhg") == []
    assert record.values("dbp_mmhg") == [(dt.date(2024, 3, 1), 88.0)]
    assert any("1400 mm[Hg] is not a possible sbp_mmhg" in i["why"] for i in record.reading.to_dict()["ignored"])


def test_a_plausible_record_reads_the_same_either_way() -> None:
    record = bundle(observation("8480-6", 131, "mm[Hg]"), _panel(140, 85) | {"id": "p1"})
    assert read_record(record) == read_record(record, impossible_values="ignore")


@pytest.mark.parametrize("bad", ["warn", "", None, True, "ERROR"])
def test_a_bad_option_value_is_one_line(bad: object) -> None:
    with pytest.raises(RecordReadError) as caught:
        read_record(bundle(observation("8480-6", 131, "mm[Hg]")), impossible_values=bad)  # type: ignore[arg-type]
    assert str(caught.value) == f"read_record: impossible_values: {bad!r}; allowed: 'error', 'ignore'"
