"""A model's eligibility for every row of a GP record table, kept up to date row by row (the env's action masks).

:func:`~twin_env.models.deployment.eligible_on_record` gathers every row's eligibility items from the
whole episode's GP items: a step would cost O(episode). :class:`EligibilityTracker` gives the same
answer but re-gathers only the rows where an item that could change it became visible (the table's
:meth:`~twin_env.record.gp.table.GpRecordTable.watch` counters), keeps each row's item as found with
no window, and applies the windows and the registration items (age on the day) afresh on each call.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin_env.models.contract import InputItem
from twin_env.models.deployment import DeployableModel, get_model, ineligibility
from twin_env.models.gather import FOUND, Gathered, _gather_item, _window_status, gather_record
from twin_env.record.gp.items import GpItems
from twin_env.record.gp.registration import Registration
from twin_env.record.gp.table import GpRecordTable
from twin_env.record.record import Record
from twin_env.record.store import ItemType

__all__ = ["EligibilityTracker"]

#: Item sources whose gathered value changes only when a matching item becomes visible (or by window).
#: Item sources read afresh on each call, without the record (demographics held at registration; absent flags).
_FRESH_SOURCES = ("registration", "not_recorded")
_RECORD_SOURCES = {"latest": ItemType.OBSERVATION, "problem": ItemType.PROBLEM, "death": ItemType.DEATH}


class EligibilityTracker:
    """``model``'s eligibility rules on the N rows of ``table`` (a GP table over ``record``, patient = first_id + row).

    Raises ``ValueError`` for a contract whose eligibility reads an item source other than
    registration, not_recorded, latest, problem or death (use ``eligible_on_record``).
    """

    def __init__(self, model: DeployableModel | str, record: Record, table: GpRecordTable) -> None:
        contract = (get_model(model) if isinstance(model, str) else model).contract
        needed = {r.item for r in contract.eligibility}
        items = tuple(i for i in contract.items if i.name in needed)
        unknown = sorted({i.source for i in items} - {*_FRESH_SOURCES, *_RECORD_SOURCES})
        if unknown:
            raise ValueError(
                f"eligibility items from sources {unknown} cannot be tracked; allowed: latest, problem, death"
            )
        self.contract = dataclasses.replace(contract, inputs=(), context=items)
        self.record, self.table = record, table
        self._fresh = tuple(i for i in items if i.source in _FRESH_SOURCES)
        #: Record items: name -> window (days) applied on each call ("latest" items only, as gathering does).
        self._windowed = {
            i.name: i.window_days if i.source == "latest" else None for i in items if i.source in _RECORD_SOURCES
        }
        unwindowed = tuple(dataclasses.replace(i, window_days=None) for i in items if i.source in _RECORD_SOURCES)
        self._raw = dataclasses.replace(contract, inputs=(), context=unwindowed, eligibility=())
        self._counters = [table.watch(_RECORD_SOURCES[i.source], _concepts(i)) for i in unwindowed]
        n = len(table.episode_seq)
        self._seen = np.full(n, -1, dtype=np.int64)  # every row is read on the first call
        self._cache = Gathered(record.first_id + np.arange(n, dtype=np.int64))
        for i in unwindowed:
            self._cache.put(i.name, np.full(n, np.nan), np.full(n, 1))

    def eligible(self, registration: Registration, day: int | np.ndarray) -> np.ndarray:
        """(N,) bool: the rows that pass the eligibility rules on ``day`` (one day number or (N,)), as
        ``eligible_on_record`` with ``first_seq = table.episode_seq`` answers."""
        n = len(self._seen)
        version = np.sum(self._counters, axis=0) if self._counters else np.zeros(n, dtype=np.int64)
        dirty = np.flatnonzero(version != self._seen)
        if len(dirty):
            days = np.asarray(day, dtype=np.int64)
            fresh = gather_record(
                self._raw, self.record, registration, self._cache.patients[dirty],
                days[dirty] if days.ndim else int(days), self.table.episode_seq[dirty],
            )  # fmt: skip
            for part in ("value", "status", "day", "seq", "count"):
                for name, column in getattr(fresh, part).items():
                    getattr(self._cache, part)[name][dirty] = column
            self._seen = version
        out = Gathered(self._cache.patients)
        empty = GpItems({}, np.zeros(0, dtype=np.int64), n, day)
        for item in self._fresh:
            _gather_item(item, empty, registration, out.patients, out)
        c = self._cache
        for name, window in self._windowed.items():
            if window is None:
                out.put(name, c.value[name], c.status[name], c.day[name], c.seq[name], c.count[name])
                continue
            status = _window_status(c.status[name] == FOUND, c.day[name], day, window)  # type: ignore[arg-type]
            out.put(name, np.where(status == FOUND, c.value[name], np.nan), status, c.day[name], c.seq[name])
        return ineligibility(self.contract, out) == ""


def _concepts(item: InputItem) -> tuple[int, ...] | None:
    """The concepts a record item reads (None: any item of its type, as a death)."""
    return None if item.source == "death" else tuple(int(c) for c in item.concepts)
