"""Units of the values a record reader meets, converted to the twin's (names say which), and plausible ranges.

Every factor is a row of ``twin_env/data/record_unit_conversions.csv`` (variable, unit, subtract,
multiply, divide, status, source): ``twin = (value - subtract) * multiply / divide``. Plausible ranges
(values past them are typing or unit errors, not readings) are in ``record_plausible_ranges.csv``.
"""

from __future__ import annotations

import dataclasses
import functools

from twin_env.twin.parameters import read_data_csv

__all__ = [
    "CONVERSIONS_FILE",
    "RANGES_FILE",
    "Conversion",
    "accepted_units",
    "conversion",
    "plausible_range",
]

CONVERSIONS_FILE = "record_unit_conversions.csv"
RANGES_FILE = "record_plausible_ranges.csv"


@dataclasses.dataclass(frozen=True)
class Conversion:
    """``twin = (value - subtract) * multiply / divide`` and its inverse."""

    subtract: float
    multiply: float
    divide: float

    def to_twin(self, value: float) -> float:
        """The value in the twin's unit."""
        return (value - self.subtract) * self.multiply / self.divide

    def from_twin(self, value: float) -> float:
        """A twin-unit value back in this conversion's unit."""
        return value * self.divide / self.multiply + self.subtract


@functools.cache
def _conversions() -> dict[str, dict[str, Conversion]]:
    table: dict[str, dict[str, Conversion]] = {}
    for row in read_data_csv(CONVERSIONS_FILE):
        factors = Conversion(float(row["subtract"]), float(row["multiply"]), float(row["divide"]))
        table.setdefault(row["variable"], {})[row["unit"]] = factors
    return table


def accepted_units(variable: str) -> list[str]:
    """The units a value of ``variable`` may come in (UCUM codes and the strings people write)."""
    return list(_conversions().get(variable, {}))


def conversion(variable: str, unit: str) -> Conversion | None:
    """The conversion of ``unit`` to ``variable``'s unit (exact first, then ignoring case and spaces), or None."""
    units = _conversions().get(variable, {})
    if unit in units:
        return units[unit]
    key = unit.replace(" ", "").lower()
    for name, factors in units.items():
        if name.replace(" ", "").lower() == key:
            return factors
    return None


@functools.cache
def _ranges() -> dict[str, tuple[float, float, str]]:
    return {r["variable"]: (float(r["low"]), float(r["high"]), r["unit"]) for r in read_data_csv(RANGES_FILE)}


def plausible_range(variable: str) -> tuple[float, float, str]:
    """``(low, high, unit)``: the values of ``variable`` a record can hold (in the twin's unit)."""
    return _ranges()[variable]
