"""What the first pass over a Bundle finds, before ``as_of`` is known, and the report being built.

Each resource reader adds dated facts (measurements, diagnoses, smoking statuses, medicine events) or
notes why an entry is ignored; :mod:`twin_env.patient_twin.reading` then keeps the facts up to
``as_of`` and builds the :class:`~twin_env.patient_twin.record.ReadingReport`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from twin_env.patient_twin.bundle_errors import RecordReadError, check_impossible_values
from twin_env.patient_twin.code_map import Product
from twin_env.patient_twin.fhir_values import Entry
from twin_env.patient_twin.record import Diagnosis, IgnoredEntry, Measurement, ReadingReport, SmokingStatus

__all__ = ["Facts", "MedicineEvent", "ReportBuilder"]


@dataclasses.dataclass(frozen=True)
class MedicineEvent:
    """A medicine entry: ``kind`` "issue" (a repeat issued), "active" (an active order or a statement of
    taking it) or "stop"; ``value`` in the treatment field's unit (None for a stop)."""

    entry: Entry
    product: Product
    kind: str
    date: dt.date
    value: float | None
    code: str


@dataclasses.dataclass
class Facts:
    """Facts read from the Bundle; each keeps the entry it came from. Measurements may hold the helper
    variables ``creatinine_umol_l``, ``weight_kg`` and ``height_cm`` (eGFR and BMI are computed from them)."""

    measurements: list[tuple[Entry, Measurement]] = dataclasses.field(default_factory=list)
    diagnoses: list[tuple[Entry, Diagnosis, dt.date | None]] = dataclasses.field(default_factory=list)
    smoking: list[tuple[Entry, SmokingStatus]] = dataclasses.field(default_factory=list)
    medicines: list[MedicineEvent] = dataclasses.field(default_factory=list)

    def dates(self) -> list[dt.date]:
        """Every date a fact carries (``as_of`` defaults to the latest)."""
        found = [m.date for _, m in self.measurements] + [s.date for _, s in self.smoking]
        found += [d for _, _, d in self.diagnoses if d is not None] + [e.date for e in self.medicines]
        return found


class ReportBuilder:
    """Collects used and ignored entries; :meth:`build` lists them in Bundle order. ``impossible_values``
    ("error" or "ignore") says what :meth:`impossible` does with a value outside its plausible range."""

    def __init__(self, impossible_values: str = "error") -> None:
        self.impossible_values = check_impossible_values(impossible_values)
        self._used: dict[int, str] = {}
        self._ignored: list[tuple[int, IgnoredEntry]] = []

    def use(self, entry: Entry) -> None:
        self._used[entry.index] = entry.ref

    def ignore(self, entry: Entry, code: str, why: str) -> None:
        self._ignored.append((entry.index, IgnoredEntry(entry.ref, code, why)))

    def impossible(self, entry: Entry, code: str, field: str, problem: str) -> None:
        """An impossible value in ``field`` of ``entry``: a one-line :class:`RecordReadError` (``"error"``) or the
        entry listed as ignored with the same text (``"ignore"``)."""
        if self.impossible_values == "error":
            raise RecordReadError(entry.where, field, problem)
        self.ignore(entry, code, f"{field}: {problem}")

    def build(self) -> ReadingReport:
        used = tuple(ref for _, ref in sorted(self._used.items()))
        ignored = tuple(e for _, e in sorted(self._ignored, key=lambda item: item[0]))
        return ReadingReport(used, ignored)
