"""Reading FHIR R4 data types the way the twin needs them: dates, codings, quantities, references.

Each helper checks only what it reads and raises :class:`RecordReadError` naming the entry and field.
FHIR allows partial dates (``YYYY``, ``YYYY-MM``); they are read as the middle of the period they name
(2 July, the 15th), the date part of a dateTime as written (its local date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from typing import Any

from twin_env.patient_twin.bundle_errors import RecordReadError

__all__ = ["Entry", "codings", "parse_date", "quantity", "reference_targets", "referenced", "status_code"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?)?$")


@dataclasses.dataclass(frozen=True)
class Entry:
    """A Bundle entry being read: its index, resource, ``fullUrl`` and the labels errors and the report use."""

    index: int
    resource: dict[str, Any]
    full_url: str

    @property
    def type(self) -> str:
        return str(self.resource.get("resourceType", "?"))

    @property
    def ref(self) -> str:
        """``<resourceType>/<id>`` (the report's name for it; ``#<index>`` when it has no id)."""
        rid = self.resource.get("id")
        return f"{self.type}/{rid}" if rid else f"{self.type}/#{self.index}"

    @property
    def where(self) -> str:
        """``Bundle.entry[i] <resourceType>/<id>`` (errors)."""
        return f"Bundle.entry[{self.index}] {self.ref}"


def parse_date(value: Any, where: str, field: str) -> dt.date:
    """A FHIR date or dateTime as a date (partial dates at the middle of their period)."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        raise RecordReadError(
            where, field, f"{value!r} is not a FHIR date; allowed: YYYY, YYYY-MM, YYYY-MM-DD[Thh:mm:ss]"
        )
    year, month, day = match.groups()
    try:
        if month is None:
            return dt.date(int(year), 7, 2)
        if day is None:
            return dt.date(int(year), int(month), 15)
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise RecordReadError(where, field, f"{value!r} is not a calendar date") from None


def codings(concept: Any, where: str, field: str) -> list[dict[str, Any]]:
    """The codings of a CodeableConcept (an empty list if it has none)."""
    if concept is None:
        return []
    if not isinstance(concept, dict):
        raise RecordReadError(where, field, f"expected a CodeableConcept (an object), got {type(concept).__name__}")
    found = concept.get("coding", [])
    if not isinstance(found, list) or not all(isinstance(c, dict) for c in found):
        raise RecordReadError(where, f"{field}.coding", "expected a list of Coding objects")
    return [c for c in found if isinstance(c.get("code"), str)]


def status_code(resource: dict[str, Any], field: str, where: str) -> str | None:
    """The code of a status element given as a code (``status``) or a CodeableConcept (``clinicalStatus``)."""
    value = resource.get(field)
    if value is None or isinstance(value, str):
        return value
    found = codings(value, where, field)
    return found[0]["code"] if found else None


def quantity(value: Any, where: str, field: str) -> tuple[float, str]:
    """``(value, unit)`` of a Quantity: the UCUM code when the system is UCUM, else the unit string."""
    if not isinstance(value, dict):
        raise RecordReadError(where, field, "expected a Quantity (an object)")
    number = value.get("value")
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        raise RecordReadError(where, f"{field}.value", f"{number!r} is not a finite number")
    if value.get("system") == "http://unitsofmeasure.org" and isinstance(value.get("code"), str):
        return float(number), value["code"]
    unit = value.get("unit", value.get("code", ""))
    return float(number), unit if isinstance(unit, str) else ""


def reference_targets(entry: Entry) -> set[str]:
    """The strings a reference to this entry's resource may be written as."""
    rid = entry.resource.get("id")
    targets = {entry.full_url} if entry.full_url else set()
    if rid:
        targets |= {f"{entry.type}/{rid}", f"urn:uuid:{rid}"}
    return targets


def referenced(value: Any) -> str | None:
    """The ``reference`` string of a Reference, or None."""
    return value.get("reference") if isinstance(value, dict) and isinstance(value.get("reference"), str) else None
