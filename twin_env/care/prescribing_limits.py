"""Clinical limits care checks before it prescribes, judged on what the GP record shows on the day.

Every limit is read from ``twin_env/data/clinical_limits.csv`` (:mod:`twin_env.vocab.limits`), the same
figures the safety rules (``safety_rules.json``) and the action masks use. Results count only as the GP
record shows them (:func:`recorded_latest`): once the lab has reported them (the record's lab
turnaround), so a practice or hospital acts on a result only after it has been seen.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin_env.care.context import CareContext
from twin_env.record.gp.items import GpItems
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType
from twin_env.twin import treatment
from twin_env.twin.parameters import read_scalars
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NEVER, NO_DAY
from twin_env.vocab.drugs import DRUG_FOR_FIELD
from twin_env.vocab.limits import limit

#: Treatment fields care checks before it issues them.
CHECKED_FIELDS: tuple[str, ...] = ("metformin_mg_day", "dose_acei", "dose_arb", "dose_spironolactone")
#: ACE inhibitor <-> ARB: the other RAAS blocker a start must not join (dual blockade).
OTHER_RAAS: dict[str, str] = {"dose_acei": "dose_arb", "dose_arb": "dose_acei"}
#: Days since its last issue a drug counts as current in the GP record (the env's and the rules' window).
CURRENT_MEDICATION_WINDOW_DAYS = read_scalars("env_parameters.csv")["current_medication_window_days"]


def recorded_renal(
    ctx: CareContext, rows: np.ndarray, day: np.ndarray | int, refresh: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(eGFR, potassium) (k,) latest the GP record shows for distinct ``rows`` (k,) on ``day``; NaN if none.

    See :class:`~twin_env.care.recorded_results.RecordedResults`; without a record (``ctx.results``
    None) nothing is known, so no limit is broken. ``refresh`` False: no result was logged since the
    last read (skips ingesting the ledger).
    """
    rows = np.asarray(rows, dtype=np.intp)
    if rows.size == 0 or ctx.results is None:
        return np.full(rows.size, np.nan), np.full(rows.size, np.nan)
    on = np.broadcast_to(np.asarray(day, dtype=np.int64), rows.shape)
    egfr = ctx.results.latest(rows, on, Concept.EGFR, refresh)
    return egfr, ctx.results.latest(rows, on, Concept.POTASSIUM, refresh=False)


def breaks_limit(field: str, egfr: np.ndarray, potassium: np.ndarray, new: bool | np.ndarray = False) -> np.ndarray:
    """(k,) bool: prescribing ``field``'s drug with these latest recorded results (k,) breaks a hard limit.

    Metformin: eGFR (mL/min/1.73m2) < ``metformin_min_egfr``. Spironolactone: K+ (mmol/L) >
    ``spironolactone_max_potassium``. ACE inhibitor or ARB: a start (``new``) with K+ >
    ``raas_start_max_potassium``, or any issue with K+ >= ``raas_stop_potassium``. A missing result
    (NaN) breaks nothing; fields without a limit never break one.
    """
    if field == "metformin_mg_day":
        return egfr < limit("metformin_min_egfr")
    if field == "dose_spironolactone":
        return potassium > limit("spironolactone_max_potassium")
    if field in ("dose_acei", "dose_arb"):
        return (np.asarray(new) & (potassium > limit("raas_start_max_potassium"))) | (
            potassium >= limit("raas_stop_potassium")
        )
    return np.zeros(np.shape(egfr), dtype=bool)


def stop_drugs(ctx: CareContext, rows: np.ndarray, field: str, day: np.ndarray, link: np.ndarray | int = -1) -> None:
    """The prescriber stops ``field``'s drug for ``rows`` (k,) on ``day`` (k,): logged, repeats end, twin stops."""
    care = ctx.care
    rows = np.asarray(rows, dtype=np.intp)
    if rows.size == 0:
        return
    prescribed = care.rx_concept[field][rows] > 0
    r = rows[prescribed]
    at = np.broadcast_to(np.asarray(day), rows.shape)[prescribed]
    at_link = np.broadcast_to(np.asarray(link), rows.shape)[prescribed]
    ctx.ledger.append(r, LedgerKind.PRESCRIPTION_ENDED, care.rx_concept[field][r], at, link=at_link)
    care.rx_concept[field][rows] = 0
    care.rx_seq[field][rows] = -1
    care.next_issue[field][rows] = NEVER
    treatment.stop_drug(ctx.state, rows, DRUG_FOR_FIELD[field], ctx.twin_params)


@dataclasses.dataclass(frozen=True)
class RecordOnDay:
    """What the GP record shows for k rows on their own days (exact, however far back): (k,) arrays.

    ``egfr``, ``potassium``: latest values (NaN if none); ``egfr_day``: the latest eGFR's effective
    day (NO_DAY if none); ``current``: treatment field -> its drug is current (issued within the window,
    not ended since).
    """

    egfr: np.ndarray
    potassium: np.ndarray
    egfr_day: np.ndarray
    current: dict[str, np.ndarray]


def record_on_day(ctx: CareContext, rows: np.ndarray, day: np.ndarray, fields: tuple[str, ...]) -> RecordOnDay:
    """The GP record of distinct ``rows`` (k,) on ``day`` (k,), read exactly (one pass over the store).

    For decisions dated before the step's start (a discharge due since the last step); costs a scan of
    the current patients' items, so care uses it only for the few rows discharged in a step.
    """
    rows = np.asarray(rows, dtype=np.intp)
    k = rows.size
    record = ctx.record
    if record is None or k == 0:
        nan = np.full(k, np.nan)
        return RecordOnDay(nan, nan.copy(), np.full(k, NO_DAY, np.int64), {f: np.zeros(k, bool) for f in fields})
    record.ingest()
    items = GpItems.of(record, record.first_id + rows, np.asarray(day, dtype=np.int64))
    _, egfr, egfr_day, _ = items.last(items.select(ItemType.OBSERVATION, (int(Concept.EGFR),)))
    _, potassium, _, _ = items.last(items.select(ItemType.OBSERVATION, (int(Concept.POTASSIUM),)))
    current = {
        f: items.current_medication(
            tuple(int(c) for c in set(DRUG_FOR_FIELD[f].products.values())), CURRENT_MEDICATION_WINDOW_DAYS
        )[0]
        for f in fields
    }
    return RecordOnDay(egfr, potassium, egfr_day, current)
