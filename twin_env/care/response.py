"""The health service's response to one step of the twin, in the order the ledger numbers it."""

from __future__ import annotations

import numpy as np

from twin_env.care import (
    admissions,
    adverse_events,
    consultations,
    health_check,
    heart_failure_pathway,
    home_bp,
    outpatients,
    presentations,
    repeats,
)
from twin_env.care.context import CareContext
from twin_env.twin.events import StepEvents


def respond(
    ctx: CareContext,
    events: StepEvents,
    event_day: np.ndarray,
    day0: np.ndarray,
    day1: np.ndarray,
    span: np.ndarray,
    counter: np.ndarray,
) -> None:
    """Care for the step from ``day0`` to ``day1`` (N,) days (``span`` (N,) >= 1 day long).

    ``events`` are the twin's, on ``event_day`` (N,); ``counter`` (N,) is the step's
    random-stream counter. GP consultations for harms and complications (which end the drug
    not tolerated), patient stops, discharges, admissions (and discharges of stays that end this
    step), GP presentations, home BP series (earlier ones read, asked-for ones taken), consultations
    (with tests), suspected heart failure (an NT-proBNP, a referral on its level), NHS Health Checks and
    their results reviews, repeats, and clinics and programmes follow in
    that order;
    then what is pending for the dead is cancelled.
    """
    seen_for_harm = adverse_events.present(ctx, events, event_day, counter)
    repeats.patient_stops(ctx, events.treatment_stopped, event_day)
    admissions.discharge(ctx, day1)
    admissions.admit(ctx, events.kind, events.fatal, event_day, counter)
    admissions.discharge(ctx, day1)  # stays that end within this step: logged now, not back-dated next step
    presented = presentations.present(ctx, events.kind, event_day, counter) | seen_for_harm
    home_bp.assess_series(ctx, day1 - 1, counter)  # series of earlier steps, as uploaded by this step's end
    home_bp.take_series(ctx, day0, span, counter)  # series asked for in earlier steps
    consultations.consult(ctx, day0, day1, span, counter, presented)
    heart_failure_pathway.suspect(ctx, day0, span, counter)
    health_check.invite(ctx, day0, day1, span, counter)
    health_check.follow_up(ctx, day1, counter)
    repeats.issue_due(ctx, day1)
    outpatients.attend(ctx, day1)
    ctx.care.close_dead(ctx.state.alive)
