"""OpenSAFELY-shaped CSV tables that ehrQL can read with ``--dummy-tables DIR``.

The schema (``twin_env/data/opensafely_schema.json``) holds the ``ehrql.tables.tpp`` definitions of
``patients``, ``practice_registrations``, ``clinical_events``, ``medications``, ``ons_deaths`` and
``apcs``. :func:`write_table` writes ``DIR/<table>.csv`` with exactly ``patient_id`` plus the schema's
columns, in schema order, following ehrQL's CSV conventions: empty string is NULL, ISO dates,
booleans ``T``/``F``, integers without ``.0``. Codes must be in the packaged code table
(SNOMED CT, dm+d, ICD-10 in the dotless hospital style).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from twin_env.vocab.codes import is_known_code

__all__ = ["TableSchema", "schema", "table_names", "write_table"]

# Value constraints ehrQL documents for these columns (ehrQL: patients.sex, patients.date_of_birth).
_SEXES = frozenset({"female", "male", "intersex", "unknown"})
_ICD10 = re.compile(r"^[A-Z][0-9]{2}[0-9X]?$")
_CODE_SYSTEMS = MappingProxyType({"SNOMEDCTCode": "snomed", "DMDCode": "dmd", "ICD10Code": "icd10"})
_STRING_TYPES = frozenset({"str", "CTV3Code", "ICD10MultiCodeString", "OPCS4MultiCodeString"})


class TableSchema:
    """Columns (name -> ehrQL type) of one table; ``patient_table`` if it has one row per patient."""

    __slots__ = ("columns", "name", "patient_table")

    def __init__(self, name: str, columns: Mapping[str, str], patient_table: bool) -> None:
        self.name = name
        self.columns: Mapping[str, str] = MappingProxyType({"patient_id": "int", **columns})
        self.patient_table = patient_table


@functools.cache
def _schemas() -> Mapping[str, TableSchema]:
    text = resources.files("twin_env").joinpath("data", "opensafely_schema.json").read_text(encoding="utf-8")
    tables = json.loads(text)["tables"]
    return MappingProxyType(
        {
            name: TableSchema(name, spec["columns"], spec["kind"] == "SelectPatientTable")
            for name, spec in tables.items()
        }
    )


def table_names() -> tuple[str, ...]:
    """The tables this module writes."""
    return tuple(_schemas())


def schema(table_name: str) -> TableSchema:
    """The schema of ``table_name``; ``ValueError`` naming the allowed tables if it is unknown."""
    try:
        return _schemas()[table_name]
    except KeyError:
        raise ValueError(f"unknown OpenSAFELY table {table_name!r}; allowed: {list(table_names())}") from None


def _is_null(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):  # includes pandas Timestamp
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)).isoformat()


def _int(value: Any) -> str:
    if isinstance(value, bool) or float(value) != int(value):
        raise ValueError(f"{value!r} is not an integer")
    return str(int(value))


def _float(value: Any) -> str:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return repr(number)


def _bool(value: Any) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a boolean")
    return "T" if value else "F"


def _code(system: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = str(value)
        if system == "icd10" and not _ICD10.match(text):
            raise ValueError(f"{text!r} is not an ICD-10 code in hospital style (no dot, e.g. I219, I10X)")
        if not is_known_code(system, text):
            raise ValueError(f"{text!r} is not a {system} code in the packaged code table")
        return text

    return convert


def _converter(column_type: str) -> Callable[[Any], str]:
    if column_type in _CODE_SYSTEMS:
        return _code(_CODE_SYSTEMS[column_type])
    if column_type in _STRING_TYPES:
        return str
    return {"date": _date, "int": _int, "float": _float, "bool": _bool}[column_type]


def _column_text(table: str, column: str, column_type: str, values: pd.Series) -> list[str]:
    """The column as CSV text; ``tolist`` gives Python scalars (bool, int, float, Timestamp, NA)."""
    convert = _converter(column_type)
    out = []
    for value in values.tolist():
        if _is_null(value):
            out.append("")
            continue
        try:
            out.append(convert(value))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{table}.{column} ({column_type}): {exc}") from None
    return out


def _check_constraints(table: TableSchema, text: Mapping[str, list[str]]) -> None:
    if table.patient_table:
        ids = text["patient_id"]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{table.name} has one row per patient; patient_id is repeated")
    if "" in text["patient_id"]:
        raise ValueError(f"{table.name}.patient_id must not be empty")
    if table.name == "patients":
        bad_sex = sorted(set(text["sex"]) - _SEXES - {""})
        if bad_sex:
            raise ValueError(f"patients.sex must be one of {sorted(_SEXES)}, got {bad_sex}")
        if any(d and not d.endswith("-01") for d in text["date_of_birth"]):
            raise ValueError("patients.date_of_birth must be the first of the month (ehrQL rounds it)")


def write_table(path: str | Path, table_name: str, rows: pd.DataFrame) -> Path:
    """Write ``rows`` as ``path/<table_name>.csv`` in ehrQL's CSV conventions; return the file path.

    ``rows`` must have exactly ``patient_id`` plus the schema's columns (any order). Rows are
    written in the frame's order; nothing is written if any value is invalid.
    """
    table = schema(table_name)
    missing = [c for c in table.columns if c not in rows.columns]
    extra = [c for c in rows.columns if c not in table.columns]
    if missing or extra:
        raise ValueError(f"{table_name}: columns do not match the schema; missing {missing}, extra {extra}")
    text = {c: _column_text(table_name, c, t, rows[c]) for c, t in table.columns.items()}
    _check_constraints(table, text)
    target = Path(path) / f"{table_name}.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(zip(*text.values(), strict=True))
    return target
