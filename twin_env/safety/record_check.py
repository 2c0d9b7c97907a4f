"""Every executed prescription in the GP record judged by the same rules the shield applies to orders.

The shield judges what an agent proposes; this module judges what was issued, whoever issued it: the
agent (a new prescription, ledger ``PRESCRIPTION`` with no link), care's repeats and medication reviews
(``PRESCRIPTION`` linked to the issue that authorised it or the review), and the hospital
(``HOSPITAL_PRESCRIPTION``, reconciled from the discharge letter). Each issue becomes an
:class:`~twin_env.vocab.orders.Order` judged on the GP record as it stood that day
(:class:`~twin_env.record.gp.snapshot.RecordSnapshot`, without that issue and later prescribing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from twin_env.record.gp.coding import DRUG_OF_CONCEPT
from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.record.ledger import LedgerKind
from twin_env.record.record import Record
from twin_env.record.store import ItemType
from twin_env.safety.engine import judge
from twin_env.safety.rules import RuleSet
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order

#: Who issued a prescription, as the record tells it.
ISSUERS: tuple[str, ...] = ("agent", "repeats", "hospital")
#: Ledger kinds of executed prescriptions after the start (baseline prescriptions predate the simulation).
PRESCRIBING_KINDS: tuple[LedgerKind, ...] = (LedgerKind.PRESCRIPTION, LedgerKind.HOSPITAL_PRESCRIPTION)
_PRESCRIBING_ITEMS = np.array([ItemType.MEDICATION, ItemType.MEDICATION_END], dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class RecordViolation:
    """A hard rule broken by an executed prescription: ledger event ``event_id``, on ``day``, by ``issuer``."""

    event_id: str
    day: int
    drug: str
    dose: float
    issuer: str
    rule: str
    evidence: tuple[str, ...]


def issuer_of(kind: np.ndarray, link: np.ndarray) -> np.ndarray:
    """(k,) index into :data:`ISSUERS` of prescriptions of ledger ``kind`` (k,) with ``link`` (k,); -1 not one."""
    return np.select(
        [
            kind == LedgerKind.HOSPITAL_PRESCRIPTION,
            (kind == LedgerKind.PRESCRIPTION) & (link >= 0),
            kind == LedgerKind.PRESCRIPTION,
        ],
        [2, 1, 0],
        -1,
    )


def judge_prescriptions(
    record: Record,
    rules: RuleSet,
    events: Mapping[str, np.ndarray],
    age_years: np.ndarray,
    medication_window_days: float,
) -> list[RecordViolation]:
    """Hard violations of the prescriptions among ledger ``events`` ((k,) ledger columns; others ignored).

    ``age_years`` (N,) is each record row's age (read by age rules); each event is judged on its
    patient's GP record (current patient of the row) as of its day, without items from that issue on.
    """
    who = issuer_of(np.asarray(events["kind"]), np.asarray(events["link"]))
    out: list[RecordViolation] = []
    store = record.stores["gp"]
    for i in np.flatnonzero(who >= 0).tolist():
        patient, seq, day = int(events["patient"][i]), int(events["seq"][i]), int(events["day"][i])
        drug = DRUG_OF_CONCEPT.get(Concept(int(events["concept"][i])))
        if drug is None:
            continue
        row = patient - record.first_id
        first_seq = int(record.episode_seq[row])
        if seq < first_seq:
            continue  # an earlier patient of a rolling row
        snap = RecordSnapshot.from_store(store, patient, day, float(age_years[row]), medication_window_days, first_seq)
        c = snap.columns
        keep = ~(np.isin(c["item"], _PRESCRIBING_ITEMS) & (c["seq"] >= seq))
        snap = RecordSnapshot(patient, day, snap.age_years, {k: v[keep] for k, v in c.items()}, medication_window_days)
        dose = float(events["value"][i])
        for v in judge(rules, (Order("prescribe", drug, dose),), snap):
            if v.rule.hard:
                out.append(RecordViolation(f"{patient}-{seq}", day, drug, dose, ISSUERS[who[i]], v.rule.id, v.evidence))
    return out


def count_by_issuer(violations: list[RecordViolation], rows: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """{issuer: (n,) count of violations per row}; ``rows`` (len(violations),) is each violation's row."""
    rows = np.asarray(rows, dtype=np.intp)
    return {
        name: np.bincount(rows[[v.issuer == name for v in violations]], minlength=n).astype(float)
        if violations
        else np.zeros(n)
        for name in ISSUERS
    }
