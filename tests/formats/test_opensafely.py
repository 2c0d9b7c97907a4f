"""OpenSAFELY ehrQL-shaped CSV tables: columns, types and CSV conventions."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin_env.formats.opensafely import schema, table_names, write_table
from twin_env.vocab.codes import is_known_code

TABLES = ("patients", "practice_registrations", "clinical_events", "medications", "ons_deaths", "apcs")

_TEXT = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "int": re.compile(r"^-?\d+$"),
    "float": re.compile(r"^-?\d+\.\d+(e[-+]?\d+)?$"),
    "bool": re.compile(r"^[TF]$"),
}
_SYSTEMS = {"SNOMEDCTCode": "snomed", "DMDCode": "dmd", "ICD10Code": "icd10"}


def sample(table: str) -> pd.DataFrame:
    """Three rows per table: typical values, and NULLs in every nullable column of the last row."""
    frames = {
        "patients": {
            "patient_id": [1, 2, 3],
            "date_of_birth": pd.to_datetime(["1958-04-01", "1960-01-01", None]),
            "sex": ["female", "male", None],
            "date_of_death": [None, dt.date(2023, 5, 3), None],
        },
        "practice_registrations": {
            "patient_id": [1, 2, 3],
            "start_date": ["2001-01-01", "2010-06-30", "2015-02-01"],
            "end_date": [None, "2023-05-03", None],
            "practice_pseudo_id": [1, 1, 2],
            "practice_stp": ["E54000000", "E54000000", None],
            "practice_nuts1_region_name": ["London", "London", None],
            "practice_systmone_go_live_date": [dt.date(2000, 1, 1), dt.date(2000, 1, 1), None],
        },
        "clinical_events": {
            "patient_id": [1, 1, 2],
            "date": ["2020-01-02", "2020-02-03", None],
            "snomedct_code": ["271649006", "59621000", "999791000000106"],
            "ctv3_code": [None, None, None],
            "numeric_value": [152, np.nan, 48.5],
            "consultation_id": [1.0, np.nan, 3],
        },
        "medications": {
            "patient_id": pd.array([1, 2, 3], dtype="Int64"),
            "date": pd.to_datetime(["2020-01-02", "2020-01-03", None]),
            "dmd_code": ["39732011000001102", "319283006", None],
            "consultation_id": pd.array([1, None, 3], dtype="Int64"),
        },
        "ons_deaths": {
            "patient_id": [2],
            "date": ["2023-05-03"],
            "underlying_cause_of_death": ["I219"],
            **{f"cause_of_death_{i:02d}": ["I10X" if i == 1 else None] for i in range(1, 16)},
            "place": ["Hospital"],
        },
        "apcs": {
            "patient_id": [2, 2],
            "apcs_ident": [101, 102],
            "admission_date": ["2023-04-20", "2023-05-01"],
            "discharge_date": ["2023-04-25", "2023-05-03"],
            "discharge_destination": ["19", "79"],
            "discharge_method": ["1", "4"],
            "spell_core_hrg_sus": [None, None],
            "admission_method": ["21", "21"],
            "primary_diagnosis": ["I219", "I500"],
            "secondary_diagnosis": ["I10X", None],
            "all_diagnoses": ["||I219 ,I10X", "||I500"],
            "all_procedures": [None, None],
            "days_in_critical_care": [0, 2],
            "patient_classification": ["1", "1"],
        },
    }
    return pd.DataFrame(frames[table])


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_six_tables() -> None:
    assert table_names() == TABLES


@pytest.mark.parametrize("table", TABLES)
def test_columns_and_types_follow_the_schema(table: str, tmp_path: Path) -> None:
    path = write_table(tmp_path, table, sample(table))
    assert path == tmp_path / f"{table}.csv"
    columns = schema(table).columns
    rows = _read(path)
    assert list(rows[0]) == list(columns)
    assert columns["patient_id"] == "int"
    for row in rows:
        for column, value in row.items():
            column_type = columns[column]
            if value == "":
                continue
            if column_type in _TEXT:
                assert _TEXT[column_type].match(value), (column, value)
            if column_type in _SYSTEMS:
                assert is_known_code(_SYSTEMS[column_type], value), (column, value)


def test_csv_conventions(tmp_path: Path) -> None:
    write_table(tmp_path, "clinical_events", sample("clinical_events"))
    write_table(tmp_path, "patients", sample("patients"))
    assert (tmp_path / "clinical_events.csv").read_text() == (
        "patient_id,date,snomedct_code,ctv3_code,numeric_value,consultation_id\n"
        "1,2020-01-02,271649006,,152.0,1\n"
        "1,2020-02-03,59621000,,,\n"
        "2,,999791000000106,,48.5,3\n"
    )
    assert _read(tmp_path / "patients.csv")[1] == {
        "patient_id": "2", "date_of_birth": "1960-01-01", "sex": "male", "date_of_death": "2023-05-03",
    }  # fmt: skip


def test_booleans_are_t_and_f() -> None:
    # none of the six tables has a bool column yet; the converter follows ehrQL's convention
    from twin_env.formats.opensafely import _column_text

    values = pd.Series([True, False, None], dtype="boolean")
    assert _column_text("t", "c", "bool", values) == ["T", "F", ""]
    with pytest.raises(ValueError, match=r"t\.c \(bool\)"):
        _column_text("t", "c", "bool", pd.Series(["yes"]))


def test_writing_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_table(tmp_path / "a", "apcs", sample("apcs"))
    second = write_table(tmp_path / "b", "apcs", sample("apcs"))
    assert first.read_bytes() == second.read_bytes()


def test_unknown_table_names_the_allowed_tables(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown OpenSAFELY table 'apc'; allowed: \['patients'.*'apcs'\]"):
        write_table(tmp_path, "apc", sample("apcs"))


def test_missing_and_extra_columns_are_named(tmp_path: Path) -> None:
    frame = sample("apcs").drop(columns=["apcs_ident"]).assign(length_of_stay=5)
    with pytest.raises(ValueError, match=r"missing \['apcs_ident'\], extra \['length_of_stay'\]"):
        write_table(tmp_path, "apcs", frame)
    assert not (tmp_path / "apcs.csv").exists()


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("clinical_events", "snomedct_code", "183519001", "not a snomed code"),
        ("apcs", "primary_diagnosis", "I21.9", "hospital style"),
        ("apcs", "primary_diagnosis", "I48.91", "hospital style"),
        ("clinical_events", "consultation_id", 1.5, "not an integer"),
        ("clinical_events", "date", "03/02/2020", "clinical_events.date"),
        ("clinical_events", "numeric_value", np.inf, "finite"),
        ("patients", "sex", "F", "patients.sex must be one of"),
        ("patients", "date_of_birth", "1958-04-12", "first of the month"),
        ("patients", "patient_id", 1, "one row per patient"),
        ("medications", "patient_id", None, "must not be empty"),
    ],
)
def test_invalid_values_raise_and_write_nothing(
    table: str, column: str, value: object, message: str, tmp_path: Path
) -> None:
    frame = sample(table).astype({column: object})
    frame[column] = value
    with pytest.raises(ValueError, match=message):
        write_table(tmp_path, table, frame)
    assert not (tmp_path / f"{table}.csv").exists()
