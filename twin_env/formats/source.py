"""What the exporters read: a :class:`~twin_env.record.Record` plus the patients' demographics.

Every identity is synthetic: NHS numbers in the 999 test range, family names "Twin-<surname>",
organisations coded TWINP01 (practice) and TWINT1 (trust).

The record holds events, not people; a system also knows each patient's NHS number, name, sex,
date of birth and ethnic category. :class:`RecordSource` carries those (as arrays, one row per
patient) next to the record, with the fictitious practice and trust every export names. Identity
is derived from the patient id alone (no random state): the same patient always gets the same NHS
number (999 test range, valid Modulus 11 check digit), name and hospital number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import numpy as np

from twin_env.formats.nhs_number import SYNTHETIC_PREFIX
from twin_env.record import Record
from twin_env.record.ledger import LedgerKind
from twin_env.vocab.dates import to_date

__all__ = ["PRACTICE", "TRUST", "Organisation", "PatientIdentity", "RecordSource", "nhs_number_for"]


@dataclasses.dataclass(frozen=True, slots=True)
class Organisation:
    """A fictitious organisation: ODS-style code (obviously not a real one) and name."""

    code: str
    name: str
    clinician: str  # the named clinician letters and resources cite (fictitious)


#: Codes in the ODS style that no real organisation has (real ODS codes have no TWIN prefix); see docs/record.md.
PRACTICE = Organisation("TWINP01", "Twin Valley Surgery (synthetic)", "Dr Alex Twin-Morgan")
TRUST = Organisation("TWINT1", "Twin City Hospitals NHS Trust (synthetic)", "Dr Sam Twin-Patel")

# NHS Data Dictionary ethnic category letter for each QRISK3 ethnicity code 1..9 (1 includes not stated).
_ETHNIC_LETTER = ("A", "H", "J", "K", "L", "M", "N", "R", "S")
# Family names are "Twin-" and a common surname, so no record can be taken for a real person's.
_SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
           "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Khan", "Clarke")  # fmt: skip
_FAMILY = tuple(f"Twin-{surname}" for surname in _SURNAMES)
_GIVEN_F = ("Mary", "Susan", "Margaret", "Patricia", "Linda", "Elizabeth", "Sarah", "Ayesha", "Janet", "Ruth")
_GIVEN_M = ("John", "David", "Michael", "Peter", "Robert", "James", "Paul", "Mohammed", "Stephen", "Richard")
_MULTIPLIER = 7919  # prime, coprime with the count of valid serials: a bijection id -> serial index


@functools.cache
def _valid_serials() -> np.ndarray:
    """The 6-digit serials s for which ``999 s`` has a valid check digit (909,091 of them), ascending."""
    serial = np.arange(10**6, dtype=np.int64)
    digits = [9, 9, 9] + [(serial // 10**p) % 10 for p in range(5, -1, -1)]
    total = sum(w * d for w, d in zip(range(10, 1, -1), digits, strict=True))
    check = 11 - total % 11
    return serial[check != 10]


def nhs_number_for(patient: int) -> str:
    """The patient's synthetic NHS number: a fixed bijection of the id onto the valid test-range numbers."""
    serials = _valid_serials()
    if not 0 <= patient < len(serials):
        raise ValueError(f"patient id must be in [0, {len(serials)}) to get a synthetic NHS number, got {patient}")
    serial = int(serials[(patient * _MULTIPLIER) % len(serials)])
    first9 = f"{SYNTHETIC_PREFIX}{serial:06d}"
    check = 11 - sum(w * int(d) for w, d in zip(range(10, 1, -1), first9, strict=True)) % 11
    return f"{first9}{0 if check == 11 else check}"


@dataclasses.dataclass(frozen=True, slots=True)
class PatientIdentity:
    """Who a patient is to every system."""

    patient: int
    nhs_number: str
    hospital_number: str
    family: str
    given: str
    title: str
    female: bool
    birth_date: dt.date
    ethnic_category: str  # NHS Data Dictionary letter
    death_date: dt.date | None


@dataclasses.dataclass(frozen=True)
class RecordSource:
    """A record with its patients' demographics; exporters read it and never change it.

    Arrays are (N,) over patients ``record.first_id ..``: ``female`` bool, ``birth_day`` int
    (days since 1970-01-01), ``ethnicity`` QRISK3 code 1..9. ``start`` is the first simulated
    date, ``end`` the date the record is read as of (what has arrived by then).
    """

    record: Record
    female: np.ndarray
    birth_day: np.ndarray
    ethnicity: np.ndarray
    start: dt.date
    end: dt.date

    @classmethod
    def from_simulation(cls, sim: object) -> RecordSource:
        """From a :class:`~twin_env.simulation.Simulation` (read as of its current date)."""
        state = sim.state  # type: ignore[attr-defined]
        end_day = int(sim.day)  # type: ignore[attr-defined]
        birth_day = end_day - np.round(state.age_years * 365.25).astype(np.int64)
        return cls(
            record=sim.record,  # type: ignore[attr-defined]
            female=np.asarray(state.female, dtype=bool).copy(),
            birth_day=birth_day,
            ethnicity=np.asarray(state.ethnicity, dtype=np.int64).copy(),
            start=to_date(int(sim.start_day)),  # type: ignore[attr-defined, arg-type]
            end=to_date(end_day),  # type: ignore[arg-type]
        )

    @property
    def patients(self) -> range:
        """Patient ids in the record."""
        return range(self.record.first_id, self.record.first_id + len(self.female))

    @functools.cached_property
    def _death_day(self) -> dict[int, int]:
        cols = self.record.ledger.columns
        dead = np.flatnonzero((cols["kind"] == LedgerKind.DEATH) & (cols["day"] <= _day(self.end)))
        return {int(p): int(d) for p, d in zip(cols["patient"][dead], cols["day"][dead])}

    def identity(self, patient: int) -> PatientIdentity:
        """The patient's identity (deterministic in the id) and demographics."""
        row = patient - self.record.first_id
        if not 0 <= row < len(self.female):
            raise ValueError(f"unknown patient {patient}; ids are {self.patients.start}..{self.patients.stop - 1}")
        female = bool(self.female[row])
        given = (_GIVEN_F if female else _GIVEN_M)[(patient // len(_FAMILY)) % 10]
        death = self._death_day.get(patient)
        return PatientIdentity(
            patient=patient,
            nhs_number=nhs_number_for(patient),
            hospital_number=f"H{patient:07d}",
            family=_FAMILY[patient % len(_FAMILY)],
            given=given,
            title="Mrs" if female else "Mr",
            female=female,
            birth_date=to_date(int(self.birth_day[row])),  # type: ignore[arg-type]
            ethnic_category=_ETHNIC_LETTER[int(self.ethnicity[row]) - 1],
            death_date=None if death is None else to_date(death),
        )


def _day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days
