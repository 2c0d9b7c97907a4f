"""Carrying out orders for batch rows today: prescribe, stop, order a test, refer, book a review, home BP.

Orders reach care through ``Simulation.execute`` (:class:`twin_env.vocab.orders.Order`); each
function here acts on the living rows only.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import home_bp, referrals
from twin_env.care.context import CareContext
from twin_env.care.repeats import issue
from twin_env.record.ledger import LedgerKind
from twin_env.twin import treatment
from twin_env.vocab.dates import NEVER
from twin_env.vocab.drugs import get_drug
from twin_env.vocab.panels import get_panel
from twin_env.vocab.services import get_service


def prescribe(ctx: CareContext, rows: np.ndarray, drug: str, dose: float) -> None:
    """Start (or change to) ``drug`` at ``dose`` (catalogue units) today; the twin takes it."""
    d = get_drug(drug)
    d.check_dose(dose)
    rows = ctx.living(rows)
    issue(ctx, rows, d.field, d.products[dose], dose, LedgerKind.PRESCRIPTION, ctx.care.days[rows])
    treatment.start_drug(ctx.state, rows, d, dose, ctx.twin_params)


def stop(ctx: CareContext, rows: np.ndarray, drug: str) -> None:
    """Stop ``drug`` today where it is prescribed: repeats end and the twin stops taking it."""
    d = get_drug(drug)
    care = ctx.care
    rows = ctx.living(rows)
    rows = rows[care.rx_concept[d.field][rows] > 0]
    ctx.ledger.append(rows, LedgerKind.PRESCRIPTION_ENDED, care.rx_concept[d.field][rows], care.days[rows])
    care.rx_concept[d.field][rows] = 0
    care.next_issue[d.field][rows] = NEVER
    treatment.stop_drug(ctx.state, rows, d, ctx.twin_params)


def order_test(ctx: CareContext, rows: np.ndarray, test: str) -> None:
    """Order a test panel (``hba1c``, ``lipids``, ``renal``, ``acr``); the sample is taken next step."""
    ctx.care.ordered[get_panel(test)][ctx.living(rows)] = True


def refer(ctx: CareContext, rows: np.ndarray, service: str) -> None:
    """Refer ``rows`` to ``service`` today; its clinic or programme follows after a wait (care.referrals)."""
    get_service(service)
    referrals.refer(ctx, ctx.living(rows), service)


def home_bp_series(ctx: CareContext, rows: np.ndarray) -> None:
    """Ask for a 7-day home BP series (``bp_check``): taken next step, its average read the step after."""
    home_bp.ask(ctx, rows)


def book_review(ctx: CareContext, rows: np.ndarray) -> None:
    """Book a practice-initiated review (a consultation with BP) in the next step."""
    ctx.care.booked[ctx.living(rows)] = True
