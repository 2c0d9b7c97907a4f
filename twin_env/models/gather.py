"""Gathering a contract's items from the GP record (never the latent state), vectorised over patients.

:func:`gather_record` reads the GP record through its windowed reader
(:class:`~twin_env.record.gp.items.GpItems`) as of a date, and the patients'
:class:`~twin_env.record.gp.registration.Registration` (demographics held at registration).
Each item becomes (n,) arrays in a :class:`Gathered`: the value, a status (found / missing /
stale), and provenance (effective day, ledger seq of the record item used, number of items used).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np

from twin_env.models.contract import InputItem, ModelContract
from twin_env.record.gp.items import GpItems
from twin_env.record.gp.registration import Registration
from twin_env.record.record import Record
from twin_env.record.store import ItemType
from twin_env.vocab.concepts import SMOKING_CATEGORY
from twin_env.vocab.dates import NO_DAY

__all__ = [
    "FOUND", "MISSING", "STALE", "STATUS_NAMES", "Gathered", "HistoryReader", "ItemReader", "gather_item",
    "gather_record",
]  # fmt: skip

FOUND, MISSING, STALE = 0, 1, 2
STATUS_NAMES = ("found", "missing", "stale")


@dataclasses.dataclass
class Gathered:
    """Items of n patients: name -> (n,) ``value`` float64 (NaN none), ``status`` int8
    (FOUND/MISSING/STALE), ``day`` int64 effective day of the item used (NO_DAY none), ``seq``
    int64 ledger seq of that item (-1 none), ``count`` int64 items used."""

    patients: np.ndarray
    value: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    status: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    day: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    seq: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    count: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def put(
        self,
        name: str,
        value: np.ndarray,
        status: np.ndarray,
        day: np.ndarray | None = None,
        seq: np.ndarray | None = None,
        count: np.ndarray | None = None,
    ) -> None:
        n = len(self.patients)
        self.value[name] = np.asarray(value, dtype=np.float64)
        self.status[name] = np.asarray(status, dtype=np.int8)
        self.day[name] = np.full(n, NO_DAY, dtype=np.int64) if day is None else day
        self.seq[name] = np.full(n, -1, dtype=np.int64) if seq is None else seq
        self.count[name] = (self.status[name] == FOUND).astype(np.int64) if count is None else count

    def take(self, index: np.ndarray) -> Gathered:
        """The items of the patients at positions ``index`` (ascending), as if gathered for them alone."""
        parts = (self.value, self.status, self.day, self.seq, self.count)
        return Gathered(self.patients[index], *({k: v[index] for k, v in d.items()} for d in parts))


def _window_status(found: np.ndarray, day: np.ndarray, today: int, window: int | None) -> np.ndarray:
    status = np.where(found, FOUND, MISSING).astype(np.int8)
    if window is not None:
        status[found & (day < today - window)] = STALE
    return status


class ItemReader(Protocol):
    """What gathering reads of the GP record for n patients on ``day`` (one or (n,)); per-patient (n,) answers.

    :class:`HistoryReader` reads their visible items (:class:`~twin_env.record.gp.items.GpItems`);
    :class:`~twin_env.models.tracker.ContractTracker` answers from per-row state kept as items become visible.
    """

    day: int | np.ndarray

    def latest(
        self, item: ItemType, concepts: tuple[int, ...], lookup: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(found, value, day, seq) of the latest item (by effective day, then seq); ``lookup[concept]`` as the
        value if given."""
        ...

    def earliest(
        self, item: ItemType, concepts: tuple[int, ...] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(found, day, seq, count) of the earliest item of ``concepts`` (None: any) and how many there are."""
        ...

    def spread(
        self, concepts: tuple[int, ...], since: int | np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(sample SD, count, day, seq of the latest) of the observations of ``concepts`` effective on or after
        ``since`` (None: all), one per ledger event."""
        ...

    def current_medication(
        self, concepts: tuple[int, ...], window_days: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(current, day, seq) as :meth:`~twin_env.record.gp.items.GpItems.current_medication`."""
        ...


class HistoryReader:
    """:class:`ItemReader` over n patients' visible GP items (each patient's whole history)."""

    def __init__(self, rows: GpItems) -> None:
        self.rows, self.day = rows, rows.day

    def latest(
        self, item: ItemType, concepts: tuple[int, ...], lookup: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        values = None if lookup is None else self.rows.concept_values(lookup).astype(np.float64)
        return self.rows.last(self.rows.select(item, concepts), values)

    def earliest(
        self, item: ItemType, concepts: tuple[int, ...] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.rows.first(self.rows.select(item, concepts))

    def spread(
        self, concepts: tuple[int, ...], since: int | np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        idx = self.rows.one_per_event(self.rows.select(ItemType.OBSERVATION, concepts, since))
        sd, k = self.rows.sd(idx)
        _, _, day, seq = self.rows.last(idx)
        return sd, k, day, seq

    def current_medication(
        self, concepts: tuple[int, ...], window_days: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.rows.current_medication(concepts, window_days)


def gather_item(
    item: InputItem, reader: ItemReader, registration: Registration, patients: np.ndarray, out: Gathered
) -> None:
    """Put ``item`` of ``patients`` (n,) ids into ``out``, read through ``reader`` (the one rule per source)."""
    n, today = len(patients), reader.day
    if item.source == "registration":
        r = patients - registration.first_id
        values = {
            "age": lambda: registration.age_years(r, today),
            "female": lambda: registration.female[r].astype(np.float64),
            "ethnicity": lambda: registration.ethnicity[r].astype(np.float64),
            "townsend": lambda: registration.townsend(r),
        }
        if item.name not in values:
            raise ValueError(f"registration item {item.name!r} unknown; allowed: {sorted(values)}")
        out.put(item.name, values[item.name](), np.full(n, FOUND))
    elif item.source in ("latest", "smoking"):
        lookup = SMOKING_CATEGORY if item.source == "smoking" else None
        found, value, day, seq = reader.latest(ItemType.OBSERVATION, item.concepts, lookup)
        status = _window_status(found, day, today, item.window_days)
        out.put(item.name, np.where(status == FOUND, value, np.nan), status, day, seq)
    elif item.source == "sd":
        since = None if item.window_days is None else today - item.window_days
        sd, k, day, seq = reader.spread(item.concepts, since)
        out.put(item.name, sd, np.where(k >= 2, FOUND, MISSING), day, seq, k)
    elif item.source == "ratio":
        num = reader.latest(ItemType.OBSERVATION, item.concepts[:1])
        den = reader.latest(ItemType.OBSERVATION, item.concepts[1:2])
        s_num = _window_status(num[0], num[2], today, item.window_days)
        s_den = _window_status(den[0], den[2], today, item.window_days)
        status = np.maximum(s_num, s_den)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(status == FOUND, num[1] / den[1], np.nan)
        out.put(item.name, ratio, status, np.minimum(num[2], den[2]), num[3], (s_num == FOUND) + (s_den == FOUND) * 1)
    elif item.source in ("problem", "death"):
        found, day, seq, count = (
            reader.earliest(ItemType.PROBLEM, item.concepts)
            if item.source == "problem"
            else reader.earliest(ItemType.DEATH, None)
        )
        out.put(item.name, found * 1.0, np.where(found, FOUND, MISSING), day, seq, count)
    elif item.source in ("medication", "problem_and_medication"):
        assert item.window_days is not None
        current, day, seq = reader.current_medication(item.medications, item.window_days)
        if item.source == "problem_and_medication":
            current &= reader.earliest(ItemType.PROBLEM, item.concepts)[0]
        day, seq = np.where(current, day, NO_DAY), np.where(current, seq, -1)
        out.put(item.name, current * 1.0, np.where(current, FOUND, MISSING), day, seq)
    else:  # not_recorded
        out.put(item.name, np.full(n, np.nan), np.full(n, MISSING))


def gather_record(
    contract: ModelContract,
    record: Record,
    registration: Registration,
    patients: np.ndarray,
    day: int | np.ndarray,
    first_seq: np.ndarray | None = None,
) -> Gathered:
    """Every item of ``contract`` for ``patients`` (n,) ids from the GP record as of ``day``.

    ``day``: days since 1970-01-01, one for all patients or (n,) one per patient.

    ``first_seq`` (n,): ignore each patient's items with a ledger seq below it (a rolling record
    whose id was reused for a new patient, as in the vector env); default the record's own
    (:attr:`~twin_env.record.record.Record.episode_seq`: each row's current patient).
    """
    patients = np.asarray(patients, dtype=np.int64)
    n_record = record.n_patients
    bad = (patients < record.first_id) | (patients >= record.first_id + n_record)
    if bad.any():
        ids = f"[{record.first_id}, {record.first_id + n_record})"
        raise ValueError(f"patients must be ids in {ids}; got {patients[bad][:5].tolist()}")
    if len(np.unique(patients)) != len(patients):
        raise ValueError("patients must not repeat an id")
    if np.ndim(day) and np.shape(day) != patients.shape:
        raise ValueError(f"day must be one day number or one per patient {patients.shape}, got shape {np.shape(day)}")
    if first_seq is not None and np.shape(first_seq) != patients.shape:
        raise ValueError(f"first_seq must have one entry per patient {patients.shape}, got {np.shape(first_seq)}")
    rows = GpItems.of(record, patients, day, None if first_seq is None else np.asarray(first_seq, dtype=np.int64))
    reader, out = HistoryReader(rows), Gathered(patients)
    for item in contract.items:
        gather_item(item, reader, registration, patients, out)
    return out
