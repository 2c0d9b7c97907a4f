"""Referrals: logged on the day, then a wait before the clinic or the programme's first session.

Waits are lognormal (whole days, at least 1): hospital clinics from the published referral-to-treatment
figures (``referral_to_treatment_wait_*``), community programmes (stop smoking, weight management, the
NHS DPP) from ``community_programme_start_*`` (``twin_env/data/programme_parameters.csv``). What the
clinic or programme then does is :mod:`twin_env.care.outpatients`'s.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import outpatients
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.vocab.services import get_service


def wait_days(ctx: CareContext, rows: np.ndarray, service: str) -> np.ndarray:
    """Days (k,) int from a referral of ``rows`` (k,) today to ``service``'s clinic or first session."""
    if get_service(service).outpatient:
        return ctx.lognormal_days(
            rows,
            CareChannel.OUTPATIENT_WAIT,
            "referral_to_treatment_wait_median_days",
            "referral_to_treatment_wait_sigma_log",
        )
    return ctx.lognormal_days(
        rows,
        CareChannel.PROGRAMME_START,
        "community_programme_start_median_days",
        "community_programme_start_sigma_log",
    )


def refer(
    ctx: CareContext,
    rows: np.ndarray,
    service: str,
    day: np.ndarray | None = None,
    link: np.ndarray | int = -1,
    wait: np.ndarray | None = None,
) -> None:
    """Refer the living ``rows`` (k,) to ``service`` on ``day`` (k,; default today), linked to ``link``.

    The referral is logged and the clinic or the programme's first session booked after the wait
    (``wait`` (k,) days where a pathway sets it, else the service's published waits; a later referral
    to the same service replaces a booking still pending).
    """
    concept = get_service(service).referral
    alive = ctx.state.alive[np.asarray(rows, dtype=np.intp)]
    rows = np.asarray(rows, dtype=np.intp)[alive]
    day = ctx.care.days[rows] if day is None else np.asarray(day)[alive]
    link = np.broadcast_to(np.asarray(link), alive.shape)[alive]
    wait = wait_days(ctx, rows, service) if wait is None else np.asarray(wait)[alive]
    seq = ctx.ledger.append(rows, LedgerKind.REFERRAL, concept, day, link=link)
    outpatients.book(ctx, rows, service, day + wait, seq)
