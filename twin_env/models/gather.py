"""Gathering a contract's items from the GP record (never the latent state), vectorised over patients.

:func:`gather_record` reads the GP system's store as of a date and the patients'
:class:`Registration` (demographics held at registration). Each item becomes (n,) arrays in a
:class:`Gathered`: the value, a status (found / missing / stale), and provenance (effective day,
ledger seq of the record item used, number of items used).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin_env.models.contract import InputItem, ModelContract
from twin_env.record.record import Record
from twin_env.record.store import ItemType
from twin_env.vocab.concepts import SMOKING_CATEGORY
from twin_env.vocab.dates import DAYS_PER_YEAR

FOUND, MISSING, STALE = 0, 1, 2
STATUS_NAMES = ("found", "missing", "stale")
NO_DAY = np.iinfo(np.int64).min


@dataclasses.dataclass(frozen=True)
class Registration:
    """Demographics a practice holds at registration, (N,) over record patients ``first_id ..``.

    ``birth_day`` days since 1970-01-01; ``female`` bool; ``ethnicity`` QRISK3 code 1-9;
    ``imd_quintile`` 1 (most deprived) to 5, from the postcode; ``townsend_by_quintile`` (5,)
    the Townsend score used for each quintile (twin parameters ``townsend_mean_imd_quintile_q``).
    """

    first_id: int
    birth_day: np.ndarray
    female: np.ndarray
    ethnicity: np.ndarray
    imd_quintile: np.ndarray
    townsend_by_quintile: np.ndarray

    @classmethod
    def from_simulation(cls, sim: object) -> Registration:
        """Copy the registration facts of a :class:`~twin_env.care.simulation.CareSimulation` now."""
        state = sim.state  # type: ignore[attr-defined]
        params = sim.simulator.params  # type: ignore[attr-defined]
        return cls(
            first_id=int(sim.record.first_id),  # type: ignore[attr-defined]
            birth_day=sim.days - np.round(state.age_years * DAYS_PER_YEAR).astype(np.int64),  # type: ignore[attr-defined]
            female=state.female.copy(),
            ethnicity=state.ethnicity.astype(np.int64),
            imd_quintile=state.imd_quintile.astype(np.int64),
            townsend_by_quintile=np.array([params[f"townsend_mean_imd_quintile_{q}"] for q in range(1, 6)]),
        )


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


class _Rows:
    """The GP items of the requested patients visible on ``day``, with each item's output row.

    ``day``: one day number for all patients, or (n,) one per patient (vector-env rows drift apart).
    """

    def __init__(self, record: Record, patients: np.ndarray, day: int | np.ndarray, first_seq: np.ndarray | None = None) -> None:
        cols = record.current_items("gp", patients)
        n_record = len(record.latest.value)
        out_row = np.full(n_record, -1, dtype=np.int64)
        out_row[patients - record.first_id] = np.arange(len(patients))
        local = cols["patient"].astype(np.int64) - record.first_id
        rows = np.flatnonzero((local >= 0) & (local < n_record))
        rows = rows[out_row[local[rows]] >= 0]
        out = out_row[local[rows]]
        today = np.broadcast_to(np.asarray(day, dtype=np.int64), patients.shape)[out]
        keep = (cols["available_day"][rows] <= today) & (cols["event_day"][rows] <= today)
        if first_seq is not None:  # a rolling record: earlier patients of the same id are not this one's
            keep &= cols["seq"][rows] >= first_seq[out]
        rows = rows[keep]
        self.cols = {k: v[rows] for k, v in cols.items()}
        self.out = out[keep]
        self.n = len(patients)
        self.day = day

    def select(self, item: ItemType, concepts: tuple[int, ...], since: int | None = None) -> np.ndarray:
        c = self.cols
        mask = (c["item"] == item) & np.isin(c["concept"], np.asarray(concepts, dtype=np.int16))
        if since is not None:
            mask &= c["event_day"] >= np.broadcast_to(since, (self.n,))[self.out]
        return np.flatnonzero(mask)

    def last(
        self, idx: np.ndarray, values: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per output row: (found bool, value, day, seq) of the latest item among ``idx``.

        ``values`` (one per item, default the recorded value) is what ``value`` is read from.
        """
        c = self.cols
        values = c["value"] if values is None else values
        order = idx[np.lexsort((c["seq"][idx], c["event_day"][idx], self.out[idx]))]
        found = np.zeros(self.n, dtype=bool)
        value, day, seq = (
            np.full(self.n, np.nan),
            np.full(self.n, NO_DAY, dtype=np.int64),
            np.full(self.n, -1, dtype=np.int64),
        )
        row = self.out[order]  # ascending groups; assigning in order leaves the last of each group
        found[row] = True
        value[row], day[row], seq[row] = values[order], c["event_day"][order], c["seq"][order]
        return found, value, day, seq

    def first(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        c = self.cols
        order = idx[np.lexsort((-c["seq"][idx], -c["event_day"][idx], self.out[idx]))]
        found = np.zeros(self.n, dtype=bool)
        day, seq = np.full(self.n, NO_DAY, dtype=np.int64), np.full(self.n, -1, dtype=np.int64)
        row = self.out[order]
        found[row] = True
        day[row], seq[row] = c["event_day"][order], c["seq"][order]
        count = np.bincount(self.out[idx], minlength=self.n).astype(np.int64)
        return found, day, seq, count

    def current_medication(
        self, concepts: tuple[int, ...], window_days: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n,) current, day, seq: the latest issue of one of ``concepts`` within the window, not stopped since."""
        current = np.zeros(self.n, dtype=bool)
        day, seq = np.full(self.n, NO_DAY, dtype=np.int64), np.full(self.n, -1, dtype=np.int64)
        for concept in concepts:
            issued, _, issue_day, issue_seq = self.last(self.select(ItemType.MEDICATION, (concept,)))
            ended, _, end_day, _ = self.last(self.select(ItemType.MEDICATION_END, (concept,)))
            now = issued & (issue_day >= self.day - window_days) & (~ended | (end_day < issue_day)) & (issue_day > day)
            current |= now
            day[now], seq[now] = issue_day[now], issue_seq[now]
        return current, day, seq


def _window_status(found: np.ndarray, day: np.ndarray, today: int, window: int | None) -> np.ndarray:
    status = np.where(found, FOUND, MISSING).astype(np.int8)
    if window is not None:
        status[found & (day < today - window)] = STALE
    return status


def _gather_item(item: InputItem, rows: _Rows, reg: Registration, patients: np.ndarray, out: Gathered) -> None:
    n, today = len(patients), rows.day
    zeros = np.zeros(n)
    if item.source == "registration":
        r = patients - reg.first_id
        values = {
            "age": np.floor((today - reg.birth_day[r]) / DAYS_PER_YEAR),
            "female": reg.female[r].astype(np.float64),
            "ethnicity": reg.ethnicity[r].astype(np.float64),
            "townsend": reg.townsend_by_quintile[reg.imd_quintile[r] - 1],
        }
        if item.name not in values:
            raise ValueError(f"registration item {item.name!r} unknown; allowed: {sorted(values)}")
        out.put(item.name, values[item.name], np.full(n, FOUND))
    elif item.source == "latest":
        found, value, day, seq = rows.last(rows.select(ItemType.OBSERVATION, item.concepts))
        status = _window_status(found, day, today, item.window_days)
        out.put(item.name, np.where(status == FOUND, value, np.nan), status, day, seq)
    elif item.source == "smoking":
        category = SMOKING_CATEGORY[rows.cols["concept"]].astype(np.float64)
        found, value, day, seq = rows.last(rows.select(ItemType.OBSERVATION, item.concepts), category)
        status = _window_status(found, day, today, item.window_days)
        out.put(item.name, np.where(status == FOUND, value, np.nan), status, day, seq)
    elif item.source == "sd":
        since = None if item.window_days is None else today - item.window_days
        idx = rows.select(ItemType.OBSERVATION, item.concepts, since)
        key = rows.out[idx] << 32 | rows.cols["seq"][idx]
        idx = idx[np.unique(key, return_index=True)[1]]  # a result filed twice counts once
        grp, x = rows.out[idx], rows.cols["value"][idx]
        k = np.bincount(grp, minlength=n).astype(np.int64)
        mean = np.bincount(grp, x, minlength=n) / np.maximum(k, 1)
        ss = np.bincount(grp, (x - mean[grp]) ** 2, minlength=n)
        sd = np.where(k >= 2, np.sqrt(ss / np.maximum(k - 1, 1)), np.nan)
        _, _, day, seq = rows.last(idx)
        out.put(item.name, sd, np.where(k >= 2, FOUND, MISSING), day, seq, k)
    elif item.source == "ratio":
        num = rows.last(rows.select(ItemType.OBSERVATION, item.concepts[:1]))
        den = rows.last(rows.select(ItemType.OBSERVATION, item.concepts[1:2]))
        s_num = _window_status(num[0], num[2], today, item.window_days)
        s_den = _window_status(den[0], den[2], today, item.window_days)
        status = np.maximum(s_num, s_den)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(status == FOUND, num[1] / den[1], np.nan)
        out.put(item.name, ratio, status, np.minimum(num[2], den[2]), num[3], (s_num == FOUND) + (s_den == FOUND) * 1)
    elif item.source in ("problem", "death"):
        kind = ItemType.PROBLEM if item.source == "problem" else ItemType.DEATH
        idx = (
            rows.select(kind, item.concepts)
            if kind == ItemType.PROBLEM
            else np.flatnonzero(rows.cols["item"] == ItemType.DEATH)
        )
        found, day, seq, count = rows.first(idx)
        out.put(item.name, found * 1.0, np.where(found, FOUND, MISSING), day, seq, count)
    elif item.source in ("medication", "problem_and_medication"):
        assert item.window_days is not None
        current, day, seq = rows.current_medication(item.medications, item.window_days)
        if item.source == "problem_and_medication":
            current &= rows.first(rows.select(ItemType.PROBLEM, item.concepts))[0]
        day, seq = np.where(current, day, NO_DAY), np.where(current, seq, -1)
        out.put(item.name, current * 1.0, np.where(current, FOUND, MISSING), day, seq)
    else:  # not_recorded
        out.put(item.name, zeros + np.nan, np.full(n, MISSING))


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
    whose id was reused for a new patient, as in the vector env).
    """
    patients = np.asarray(patients, dtype=np.int64)
    n_record = len(record.latest.value)
    bad = (patients < record.first_id) | (patients >= record.first_id + n_record)
    if bad.any():
        raise ValueError(
            f"patients must be ids in [{record.first_id}, {record.first_id + n_record}); got {patients[bad][:5].tolist()}"
        )
    if len(np.unique(patients)) != len(patients):
        raise ValueError("patients must not repeat an id")
    if np.ndim(day) and np.shape(day) != patients.shape:
        raise ValueError(f"day must be one day number or one per patient {patients.shape}, got shape {np.shape(day)}")
    if first_seq is not None and np.shape(first_seq) != patients.shape:
        raise ValueError(f"first_seq must have one entry per patient {patients.shape}, got {np.shape(first_seq)}")
    rows = _Rows(record, patients, day, None if first_seq is None else np.asarray(first_seq, dtype=np.int64))
    out = Gathered(patients)
    for item in contract.items:
        _gather_item(item, rows, registration, patients, out)
    return out
