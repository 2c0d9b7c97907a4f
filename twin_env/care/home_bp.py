"""Home BP monitoring: a 7-day series on the patient's own monitor, uploaded to the ``home`` system.

A series is asked for by a raised clinic reading (:func:`twin_env.care.diagnosis.clinic_bp`) or by
the ``bp_check`` order, and taken the next step: one ``HOME_SERIES`` ledger event, then for each day
a ``HOME_READING`` SBP and DBP (the day's mean reading, mmHg). Readings are out-of-office: the
patient's usual BP without the white-coat effect (the twin's ``sbp_mmhg`` is on the clinic scale, so
out-of-office usual BP is ``sbp_mmhg - white_coat_sbp_mean_mmhg``), plus day-to-day variation.

At the start of the following step the practice reads what the ``home`` system shows (uploaded by
then, after missing days, device errors and upload delays): fewer than ``home_bp_min_days`` days
and the series is asked for again; otherwise its average confirms or refutes hypertension.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import diagnosis
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType
from twin_env.twin import random_streams as rs
from twin_env.vocab.concepts import Concept

#: Most days a series can have (one random channel per day).
MAX_SERIES_DAYS = 10


def ask(ctx: CareContext, rows: np.ndarray) -> None:
    """Ask living ``rows`` (k,) to take a home series next step (the ``bp_check`` order)."""
    ctx.care.pending.home_due[ctx.living(rows)] = True


def take_series(ctx: CareContext, day0: np.ndarray, span: np.ndarray, counter: np.ndarray) -> None:
    """Log this step's home series for rows asked for one and at home; ``day0``, ``span`` (N,) days."""
    s, p, pending = ctx.state, ctx.params, ctx.care.pending
    n_days = int(p["home_bp_series_days"])
    if not 1 <= n_days <= MAX_SERIES_DAYS:
        raise ValueError(f"care parameter 'home_bp_series_days' must be 1-{MAX_SERIES_DAYS}, got {n_days}")
    rows = np.flatnonzero(pending.home_due & s.alive & (ctx.care.admission < 0))
    if rows.size == 0:
        return
    keys, c = s.patient_key[rows], counter[rows]
    room = np.maximum(span[rows] - n_days, 1)
    start = day0[rows] + (rs.uniform(keys, c, CareChannel.HOME_START) * room).astype(np.int32)
    pending.series_pos[rows] = len(ctx.record.stores["home"]) if ctx.record is not None else 0
    series = ctx.ledger.append(rows, LedgerKind.HOME_SERIES, Concept.HOME_SBP, start, value=float(n_days))
    sbp_usual = s.sbp_mmhg[rows] - ctx.twin_params["white_coat_sbp_mean_mmhg"]
    dbp_usual = s.dbp_mmhg[rows] - ctx.twin_params["white_coat_dbp_mean_mmhg"]
    sd = p["home_bp_day_sd_mmhg"]
    for d in range(n_days):  # SBP then DBP of each day: consecutive ledger events per patient
        sbp = np.rint(sbp_usual + sd * rs.standard_normal(keys, c, CareChannel.HOME_SBP_DAY + d))
        dbp = np.rint(
            dbp_usual + p["dbp_visit_sd_ratio"] * sd * rs.standard_normal(keys, c, CareChannel.HOME_DBP_DAY + d)
        )
        ctx.ledger.append(rows, LedgerKind.HOME_READING, Concept.HOME_SBP, start + d, value=sbp, link=series)
        ctx.ledger.append(rows, LedgerKind.HOME_READING, Concept.HOME_DBP, start + d, value=dbp, link=series)
    pending.series_seq[rows] = series
    pending.series_days[rows] = n_days
    pending.home_due[rows] = False


def assess_series(ctx: CareContext, day: np.ndarray, counter: np.ndarray) -> None:
    """Read the open series of living rows as the ``home`` system shows them on ``day`` (N,) and decide."""
    s, pending = ctx.state, ctx.care.pending
    rows = np.flatnonzero((pending.series_seq >= 0) & s.alive)
    if rows.size == 0:
        return
    sbp_sum, dbp_sum, days = _uploaded(ctx, rows, day)
    enough = days >= ctx.params["home_bp_min_days"]
    link = pending.series_seq[rows]
    pending.series_seq[rows] = -1
    pending.home_due[rows[~enough]] = True  # too few days uploaded: the series is repeated
    r, n = rows[enough], days[enough]
    diagnosis.home_average(ctx, r, day[r], link[enough], sbp_sum[enough] / n, dbp_sum[enough] / n, counter)


def _uploaded(ctx: CareContext, rows: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``rows`` (k,): sums of its open series' uploaded SBP and DBP (mmHg), and the days with an SBP."""
    pending, k = ctx.care.pending, rows.size
    if ctx.record is None:
        return np.zeros(k), np.zeros(k), np.zeros(k, dtype=np.int64)
    record = ctx.record
    record.ingest()
    store = record.stores["home"]
    items = store.since(max(int(pending.series_pos[rows].min()), store.held_from))
    slot = np.full(record.n_patients, -1, dtype=np.int64)
    slot[rows] = np.arange(k)
    row = items["patient"].astype(np.intp) - record.first_id
    i = slot[row]
    first = pending.series_seq[rows].astype(np.int64)
    last = first + 2 * pending.series_days[rows]
    mine = i >= 0
    ii = np.where(mine, i, 0)
    mine &= (items["item"] == ItemType.HOME_READING) & (items["seq"] > first[ii]) & (items["seq"] <= last[ii])
    mine &= items["available_day"] <= day[row]
    sbp = mine & (items["concept"] == Concept.HOME_SBP)
    dbp = mine & (items["concept"] == Concept.HOME_DBP)
    sbp_sum = np.bincount(i[sbp], weights=items["value"][sbp], minlength=k)
    dbp_sum = np.bincount(i[dbp], weights=items["value"][dbp], minlength=k)
    days = np.bincount(i[sbp], minlength=k)
    dbp_days = np.bincount(i[dbp], minlength=k)
    return sbp_sum, dbp_sum * days / np.maximum(dbp_days, 1), days
