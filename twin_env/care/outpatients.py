"""Outpatient clinics and community programmes booked by referrals and by hospitals, attended when due.

A hospital clinic's attendance is logged (the PAS records it and a clinic letter follows) and the
specialist acts (:mod:`twin_env.care.specialist_clinics`); a community programme's first session
changes the patient (:mod:`twin_env.care.programmes`) and is not a hospital attendance.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import programmes, specialist_clinics
from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.vocab.dates import NEVER
from twin_env.vocab.services import SERVICES


def book(ctx: CareContext, rows: np.ndarray, service: str, day: np.ndarray, link: np.ndarray) -> None:
    """Book ``rows`` (k,) into ``service``'s clinic or programme on ``day`` (k,), linked to the booking's seq (k,)."""
    ctx.care.clinic_day[service][rows] = day
    ctx.care.clinic_link[service][rows] = link


def attend(ctx: CareContext, day1: np.ndarray) -> None:
    """Living patients attend every clinic and programme booked by ``day1`` (N,); the booking is then used up."""
    care = ctx.care
    for service in SERVICES.values():
        rows = np.flatnonzero((care.clinic_day[service.name] <= day1) & ctx.state.alive)
        if rows.size == 0:  # nobody due at this clinic (most services, most steps)
            continue
        day = care.clinic_day[service.name][rows].astype(np.int64)
        link = care.clinic_link[service.name][rows]
        care.clinic_day[service.name][rows] = NEVER
        if service.outpatient:
            seq = ctx.ledger.append(rows, LedgerKind.OUTPATIENT_ATTENDANCE, service.referral, day, link=link)
            specialist_clinics.assess(ctx, service.name, rows, day, seq)
        else:
            programmes.start(ctx, service.name, rows, day, link)
