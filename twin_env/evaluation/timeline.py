"""One example evaluation patient's first episode: recorded SBP/HbA1c, prescriptions, events, actions.

The data behind ``timeline_<policy>.png`` (:mod:`twin_env.evaluation.plots`), stored in ``results.json``.
Values are what the GP record shows (the snapshot the safety rules read); events are the true
CVD events and death from the care simulation's ledger. Days are days since 1970-01-01.
"""

from __future__ import annotations

import numpy as np

from twin_env.envs.actions import ACTIONS
from twin_env.envs.core import Batch
from twin_env.envs.observation import PROBLEMS
from twin_env.record.gp.snapshot import DRUG_OF_CONCEPT, RecordSnapshot
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType
from twin_env.vocab.concepts import Concept

#: How long one issue of a drug is taken to cover (days), for drawing prescription bars.
ISSUE_DAYS = 28
_EVENTS = {Concept.ACUTE_MI: "MI", Concept.STROKE: "stroke", Concept.HEART_FAILURE: "heart failure"}


def example_row(batch: Batch) -> int:
    """The first row whose record codes hypertension at the start (else row 0): the same patient for every policy."""
    rows = hypertension_rows(batch)
    return int(rows[0]) if rows.size else 0


def hypertension_rows(batch: Batch) -> np.ndarray:
    """(k,) rows whose record codes hypertension now (at the start of an episode: the example's candidates)."""
    return np.flatnonzero(batch.table.problem[:, list(PROBLEMS).index("hypertension")])


class TimelineRecorder:
    """Collects one row's actions while its first episode runs, then its record and events when it ends."""

    def __init__(self, batch: Batch, row: int) -> None:
        self.row = row
        self.patient_index = int(batch.patient_index(np.array([row]))[0])
        self.actions: list[tuple[int, str, str]] = []
        self.data: dict | None = None

    def record_step(self, day: int, proposed: int, executed: int) -> None:
        """One decision of the row: its date, the proposed and the executed action."""
        if self.data is None and (proposed or executed):
            self.actions.append((day, ACTIONS[proposed].name, ACTIONS[executed].name))

    def finish(self, batch: Batch) -> None:
        """Read the row's GP record and true events (call on the step its first episode ends)."""
        if self.data is not None:
            return
        sim, pid = batch.sim, batch.sim.record.first_id + self.row
        day = int(sim.days[self.row])
        snap = RecordSnapshot.from_store(
            sim.record.stores["gp"],
            pid,
            day,
            float(sim.state.age_years[self.row]),
            batch.params["current_medication_window_days"],
        )
        led = sim.ledger.columns
        mine = led["patient"] == pid
        events = [
            (int(d), _EVENTS[Concept(int(c))])
            for d, c, k in zip(led["day"][mine], led["concept"][mine], led["kind"][mine])
            if k == LedgerKind.ACUTE_EVENT and int(c) in _EVENTS
        ]
        events += [(int(d), "death") for d, k in zip(led["day"][mine], led["kind"][mine]) if k == LedgerKind.DEATH]
        self.data = {
            "row": self.row, "patient_index": self.patient_index,
            "start_day": int(batch.start_day[self.row]), "end_day": day,
            "sbp": _values(snap, Concept.SBP), "hba1c": _values(snap, Concept.HBA1C),
            "prescriptions": _spans(snap, day), "events": sorted(events), "actions": self.actions,
        }  # fmt: skip


def _values(snap: RecordSnapshot, concept: Concept) -> list[tuple[int, float]]:
    return [(i.day, i.value) for i in snap.of(ItemType.OBSERVATION, frozenset((concept,))) if np.isfinite(i.value)]


def _spans(snap: RecordSnapshot, end_day: int) -> list[tuple[str, int, int, float]]:
    """(drug, first day, last day, dose) for each run of issues at one dose (ended by a stop or a gap)."""
    open_: dict[str, list] = {}
    out: list[tuple[str, int, int, float]] = []
    for it in snap.items:
        drug = DRUG_OF_CONCEPT.get(it.concept)
        if drug is None or it.item not in (ItemType.MEDICATION, ItemType.MEDICATION_END):
            continue
        cur, ends = open_.get(drug), it.item == ItemType.MEDICATION_END
        if cur is not None and (ends or it.value != cur[2] or it.day > cur[1] + 2 * ISSUE_DAYS):
            out.append((drug, cur[0], min(cur[1] + ISSUE_DAYS, it.day), cur[2]))
            del open_[drug]
            cur = None
        if not ends:
            open_[drug] = [it.day, it.day, it.value] if cur is None else [cur[0], it.day, cur[2]]
    out += [(d, c[0], min(c[1] + ISSUE_DAYS, end_day), c[2]) for d, c in open_.items()]
    return sorted(out, key=lambda s: (s[0], s[1]))
