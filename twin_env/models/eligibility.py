"""A model's eligibility for every row of a GP record table, kept up to date row by row (the env's action masks).

:func:`~twin_env.models.deployment.eligible_on_record` gathers every row's eligibility items from the
whole episode's GP items: a step would cost O(episode). :class:`EligibilityTracker` gives the same
answer at O(items that became visible): it keeps each row's record items as gathered with no window
(the latest observation, the first problem or death and their counts) and folds in each batch of
items as the table shows them (:meth:`~twin_env.record.gp.table.GpRecordTable.listen`); only rows
given a new patient (:attr:`~twin_env.record.gp.table.GpRecordTable.cleared`) are gathered afresh.
Windows and the registration items (age on the day) are applied afresh on each call.
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
        #: Record items: (name, source, item type, concepts or None for any) folded in as they become visible.
        self._tracked = tuple((i.name, i.source, int(_RECORD_SOURCES[i.source]), _concepts(i)) for i in unwindowed)
        n = len(table.episode_seq)
        self._cleared = np.full(n, -1, dtype=np.int64)  # every row is gathered on the first call
        self._cache = Gathered(record.first_id + np.arange(n, dtype=np.int64))
        #: name -> (N,) int64 (effective day << 32 | seq) of the item held, -1 if none.
        self._key: dict[str, np.ndarray] = {}
        for i in unwindowed:
            self._cache.put(i.name, np.full(n, np.nan), np.full(n, 1))
            self._key[i.name] = np.full(n, -1, dtype=np.int64)
        table.listen(self._fold)

    def _fold(self, row: np.ndarray, items: dict[str, np.ndarray]) -> None:
        """Fold newly visible items (k,) of ``row`` (k,), in effective-date order, into the held items.

        ``latest``: the last item by (effective day, seq), as :meth:`GpItems.last`; ``problem`` and
        ``death``: the first, as :meth:`GpItems.first`, and their count.
        """
        kind, concept = items["item"], items["concept"]
        c = self._cache
        for name, source, item_type, codes in self._tracked:
            sel = kind == item_type
            if codes is not None:
                sel &= np.isin(concept, codes)
            at = np.flatnonzero(sel)
            if at.size == 0:
                continue
            r = row[at]
            key = items["event_day"][at].astype(np.int64) << 32 | items["seq"][at].astype(np.int64)
            held = self._key[name]
            if source == "latest":
                last = at.size - 1 - np.unique(r[::-1], return_index=True)[1]  # the last of each row
                r, key, at = r[last], key[last], at[last]
                newer = key >= held[r]
                r, key, at = r[newer], key[newer], at[newer]
                c.value[name][r], c.count[name][r] = items["value"][at], 1
            else:
                c.count[name] += np.bincount(r, minlength=len(held))
                first = np.unique(r, return_index=True)[1]
                r, key = r[first], key[first]
                earlier = (held[r] < 0) | (key < held[r])
                r, key = r[earlier], key[earlier]
                c.value[name][r] = 1.0
            held[r] = key
            c.status[name][r] = FOUND
            c.day[name][r], c.seq[name][r] = key >> 32, key & 0xFFFFFFFF

    def eligible(self, registration: Registration, day: int | np.ndarray) -> np.ndarray:
        """(N,) bool: the rows that pass the eligibility rules on ``day`` (one day number or (N,)), as
        ``eligible_on_record`` with ``first_seq = table.episode_seq`` answers."""
        n = len(self._cleared)
        dirty = np.flatnonzero(self.table.cleared != self._cleared)
        if len(dirty):
            days = np.asarray(day, dtype=np.int64)
            fresh = gather_record(
                self._raw, self.record, registration, self._cache.patients[dirty],
                days[dirty] if days.ndim else int(days), self.table.episode_seq[dirty],
            )  # fmt: skip
            for part in ("value", "status", "day", "seq", "count"):
                for name, column in getattr(fresh, part).items():
                    getattr(self._cache, part)[name][dirty] = column
            for name in self._key:
                found = fresh.status[name] == FOUND
                self._key[name][dirty] = np.where(found, fresh.day[name] << 32 | fresh.seq[name], -1)
            self._cleared = self.table.cleared.copy()
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


def _concepts(item: InputItem) -> np.ndarray | None:
    """The concepts (k,) a record item reads (None: any item of its type, as a death)."""
    return None if item.source == "death" else np.asarray([int(c) for c in item.concepts], dtype=np.int64)
