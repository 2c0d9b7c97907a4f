"""A model contract's items for every row of a GP record table, kept up to date row by row (the env's model actions).

:func:`~twin_env.models.gather.gather_record` reads each patient's whole visible history: an env step
that deploys a model or masks its action would cost O(episode). :class:`ContractTracker` gives the
same answer at O(rows asked): it keeps, per row, what each contract item reads (the latest reading of a
concept, the first coded problem and the count, each SBP reading, each drug's latest issue and end;
:mod:`twin_env.record.gp.row_items`) and folds in each batch of items as the table shows them
(:meth:`~twin_env.record.gp.table.GpRecordTable.listen`); rows given a new patient are forgotten.
Windows, the run date and the registration items (age on the day) are applied on each call, by the
same per-source rule as gathering (:func:`~twin_env.models.gather.gather_item`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from twin_env.models.contract import InputItem, ModelContract
from twin_env.models.deployment import DeployableModel, get_model, ineligibility
from twin_env.models.gather import Gathered, gather_item
from twin_env.record.gp.items import current_issue, grouped_sd
from twin_env.record.gp.registration import Registration
from twin_env.record.gp.row_items import DrugIssues, FirstItem, LatestItem, Readings
from twin_env.record.gp.table import GpRecordTable
from twin_env.record.record import Record
from twin_env.record.store import ItemType
from twin_env.vocab.dates import NO_DAY

__all__ = ["ContractTracker"]

_RowState = LatestItem | FirstItem | Readings | DrugIssues


class ContractTracker:
    """``model``'s contract items on the N rows of ``table`` (a GP table over ``record``, patient = first_id + row).

    :meth:`gather` equals ``gather_record(contract, record, registration, first_id + rows, day,
    table.episode_seq[rows])`` on the day of the table's last update; :meth:`eligible` applies the
    contract's eligibility rules to every row.
    """

    def __init__(self, model: DeployableModel | str, record: Record, table: GpRecordTable) -> None:
        self.model = get_model(model) if isinstance(model, str) else model
        contract = self.model.contract
        self.contract, self.record, self.table = contract, record, table
        needed = {r.item for r in contract.eligibility}
        #: The eligibility rules and the items they read (what the action mask needs).
        self.eligibility: ModelContract = ModelContract(
            contract.model_id, contract.title, (), tuple(i for i in contract.items if i.name in needed),
            contract.eligibility, contract.output,
        )  # fmt: skip
        self.n = len(table.episode_seq)
        self._states: dict[tuple, _RowState] = {}
        recorder = _Recorder(self)  # the states the contract's items read, found by gathering no patient
        for item in contract.items:
            gather_item(item, recorder, _NO_REGISTRATION, np.zeros(0, dtype=np.int64), Gathered(np.zeros(0)))
        table.listen(self._fold, self._forget)

    def _state(self, key: tuple, make: type[_RowState], *args: object) -> _RowState:
        """The per-row state under ``key``, made with ``make(n, *args)`` on first use."""
        if key not in self._states:
            self._states[key] = make(self.n, *args)  # type: ignore[arg-type]
        return self._states[key]

    def _fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        for state in self._states.values():
            state.fold(row, items)

    def _forget(self, rows: np.ndarray) -> None:
        for state in self._states.values():
            state.forget(rows)

    def gather(
        self,
        rows: np.ndarray,
        day: int | np.ndarray,
        registration: Registration,
        items: Iterable[InputItem] | None = None,
    ) -> Gathered:
        """The contract's ``items`` (default all) of batch ``rows`` (k,) as of ``day`` (one or (k,)), as gathered."""
        rows = np.asarray(rows, dtype=np.int64)
        patients = self.record.first_id + rows
        reader, out = _RowReader(self, rows, day), Gathered(patients)
        for item in self.contract.items if items is None else items:
            gather_item(item, reader, registration, patients, out)
        return out

    def eligible(self, registration: Registration, day: int | np.ndarray) -> np.ndarray:
        """(N,) bool: the rows that pass the eligibility rules on ``day`` (one day number or (N,)), as
        ``eligible_on_record`` with ``first_seq = table.episode_seq`` answers."""
        gathered = self.gather(np.arange(self.n), day, registration, self.eligibility.items)
        return ineligibility(self.eligibility, gathered) == ""


class _RowReader:
    """:class:`~twin_env.models.gather.ItemReader` over the tracker's per-row state of batch ``rows`` (k,)."""

    def __init__(self, tracker: ContractTracker, rows: np.ndarray, day: int | np.ndarray) -> None:
        self.states, self.rows, self.day = tracker._states, rows, day

    def latest(
        self, item: ItemType, concepts: tuple[int, ...], lookup: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.states[_latest_key(item, concepts, lookup)].at(self.rows)  # type: ignore[union-attr]

    def earliest(
        self, item: ItemType, concepts: tuple[int, ...] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.states[_first_key(item, concepts)].at(self.rows)  # type: ignore[union-attr]

    def spread(
        self, concepts: tuple[int, ...], since: int | np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        readings: Readings = self.states[_readings_key(concepts)]  # type: ignore[assignment]
        k = len(self.rows)
        after = None if since is None else np.broadcast_to(np.asarray(since, dtype=np.int64), (k,))
        pos, day, seq, value = readings.since(self.rows, after)
        sd, count = grouped_sd(pos, value, k)
        latest_day, latest_seq = np.full(k, NO_DAY, dtype=np.int64), np.full(k, -1, dtype=np.int64)
        order = np.lexsort((seq, day, pos))  # groups ascending: assigning in order leaves the latest of each
        latest_day[pos[order]], latest_seq[pos[order]] = day[order], seq[order]
        return sd, count, latest_day, latest_seq

    def current_medication(
        self, concepts: tuple[int, ...], window_days: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        issues: DrugIssues = self.states[_issues_key(concepts)]  # type: ignore[assignment]
        return current_issue(*issues.at(self.rows), self.day, window_days)


class _Recorder:
    """An :class:`~twin_env.models.gather.ItemReader` of no patient that makes the tracker's state each read needs."""

    day = 0

    def __init__(self, tracker: ContractTracker) -> None:
        self.tracker = tracker

    def latest(
        self, item: ItemType, concepts: tuple[int, ...], lookup: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.tracker._state(_latest_key(item, concepts, lookup), LatestItem, item, concepts, lookup).at(_NONE)  # type: ignore[return-value]

    def earliest(
        self, item: ItemType, concepts: tuple[int, ...] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.tracker._state(_first_key(item, concepts), FirstItem, item, concepts).at(_NONE)  # type: ignore[return-value]

    def spread(
        self, concepts: tuple[int, ...], since: int | np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        self.tracker._state(_readings_key(concepts), Readings, concepts)
        return _RowReader(self.tracker, _NONE, 0).spread(concepts, None)

    def current_medication(
        self, concepts: tuple[int, ...], window_days: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        distinct = tuple(dict.fromkeys(int(c) for c in concepts))
        self.tracker._state(_issues_key(concepts), DrugIssues, distinct)
        return _RowReader(self.tracker, _NONE, 0).current_medication(concepts, window_days)


def _latest_key(item: ItemType, concepts: tuple[int, ...], lookup: np.ndarray | None) -> tuple:
    return ("latest", int(item), tuple(int(c) for c in concepts), None if lookup is None else lookup.tobytes())


def _first_key(item: ItemType, concepts: tuple[int, ...] | None) -> tuple:
    return ("first", int(item), None if concepts is None else tuple(int(c) for c in concepts))


def _readings_key(concepts: tuple[int, ...]) -> tuple:
    return ("readings", tuple(int(c) for c in concepts))


def _issues_key(concepts: tuple[int, ...]) -> tuple:
    return ("issues", tuple(dict.fromkeys(int(c) for c in concepts)))


_NONE = np.zeros(0, dtype=np.int64)

_NO_REGISTRATION = Registration(0, _NONE, _NONE.astype(bool), _NONE, _NONE, np.zeros(5))
