"""Repeat prescribing: a prescription's issues every repeat interval while the patient takes the drug.

Each repeat is linked (ledger ``link``) to the issue that authorised it, so the record tells a repeat
from a new prescription. A repeat that would break a hard clinical limit on its day (the GP record's
latest eGFR or potassium, :mod:`twin_env.care.prescribing_limits`) is not issued: the drug is stopped.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.context import CareContext
from twin_env.care.prescribing_limits import CHECKED_FIELDS, breaks_limit, recorded_renal, stop_drugs
from twin_env.record.ledger import LedgerKind
from twin_env.twin.state import TREATMENT_FIELDS
from twin_env.vocab.dates import NEVER


def issue(
    ctx: CareContext,
    rows: np.ndarray,
    field: str,
    concept: np.ndarray | int,
    dose: np.ndarray | float,
    kind: LedgerKind,
    day: np.ndarray | int,
    link: np.ndarray | int = -1,
) -> None:
    """Log a prescription of ``kind`` for ``rows`` (k,) on ``day`` and make it the rows' current one.

    ``field`` is the twin treatment field, ``concept`` the dm+d product, ``dose`` in catalogue
    units; the next repeat falls due one repeat interval later.
    """
    care = ctx.care
    care.rx_seq[field][rows] = ctx.ledger.append(rows, kind, concept, day, value=dose, link=link)
    care.rx_concept[field][rows] = concept
    care.rx_dose[field][rows] = dose
    care.next_issue[field][rows] = np.asarray(day, dtype=np.int32) + int(ctx.params["repeat_interval_days"])


def issue_due(ctx: CareContext, day1: np.ndarray) -> None:
    """Issue every repeat due by ``day1`` (N,) for drugs the twin still takes (several if overdue).

    Inpatients get none (the hospital supplies their drugs; repeats resume from the discharge day).
    A checked drug (:data:`~twin_env.care.prescribing_limits.CHECKED_FIELDS`) whose repeat would break a
    hard limit on the GP record of its due day is stopped that day instead.
    """
    care, state = ctx.care, ctx.state
    home = state.alive & (care.admission < 0)
    fresh = True  # the results are read once: repeats log no results
    for field in TREATMENT_FIELDS:
        due = care.next_issue[field]
        rows = np.flatnonzero(due <= day1)  # few rows are due: the other conditions are read on those only
        if rows.size == 0:
            continue
        rows = rows[(state.columns[field][rows] > 0) & home[rows]]
        while rows.size:
            if field in CHECKED_FIELDS:
                egfr, potassium = recorded_renal(ctx, rows, due[rows], refresh=fresh)
                fresh = False
                bad = breaks_limit(field, egfr, potassium)
                stop_drugs(ctx, rows[bad], field, due[rows[bad]])
                rows = rows[~bad]
            ctx.ledger.append(
                rows,
                LedgerKind.PRESCRIPTION,
                care.rx_concept[field][rows],
                due[rows],
                value=care.rx_dose[field][rows],
                link=care.rx_seq[field][rows],
            )
            due[rows] += int(ctx.params["repeat_interval_days"])
            rows = rows[due[rows] <= day1[rows]]


def patient_stops(ctx: CareContext, stopped: np.ndarray, day: np.ndarray) -> None:
    """Patients who stopped a drug themselves (``stopped`` (N,): treatment field index, -1 none) on ``day``.

    The stop is logged and no more repeats are requested.
    """
    care = ctx.care
    for index in np.unique(stopped[stopped >= 0]):
        field = TREATMENT_FIELDS[index]
        rows = np.flatnonzero(stopped == index)
        ctx.ledger.append(rows, LedgerKind.TREATMENT_STOPPED, care.rx_concept[field][rows], day[rows])
        care.next_issue[field][rows] = NEVER
        care.rx_concept[field][rows] = 0
        care.rx_seq[field][rows] = -1
