"""Outpatient clinics: attendances booked by referrals and by hospitals, attended when due."""

from __future__ import annotations

import numpy as np

from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.vocab.dates import NEVER
from twin_env.vocab.services import SERVICES


def book(ctx: CareContext, rows: np.ndarray, service: str, day: np.ndarray, link: np.ndarray) -> None:
    """Book ``rows`` (k,) into ``service``'s clinic on ``day`` (k,), linked to the booking event's seq (k,)."""
    ctx.care.clinic_day[service][rows] = day
    ctx.care.clinic_link[service][rows] = link


def attend(ctx: CareContext, day1: np.ndarray) -> None:
    """Living patients attend every clinic booked by ``day1`` (N,); the booking is then used up."""
    care = ctx.care
    for service, concept in ((s.name, s.referral) for s in SERVICES.values()):
        rows = np.flatnonzero((care.clinic_day[service] <= day1) & ctx.state.alive)
        ctx.ledger.append(
            rows,
            LedgerKind.OUTPATIENT_ATTENDANCE,
            concept,
            care.clinic_day[service][rows],
            link=care.clinic_link[service][rows],
        )
        care.clinic_day[service][rows] = NEVER
