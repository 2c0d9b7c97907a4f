"""Community programmes a GP refers to, on the day of their first session: what they do to the patient.

- ``smoking_cessation``: a share of those referred set a quit date with the NHS stop-smoking service
  and make a supported quit attempt (54% abstinent at 4 weeks, then relapse as any ex-smoker:
  :func:`twin_env.twin.lifestyle.quit_smoking`); the service reports the quit, coded as ex-smoker.
- ``weight_management``: a share start the programme and lose weight that drifts back as WRAP found
  (:func:`twin_env.twin.lifestyle.change_weight`).
- ``diabetes_prevention`` (the NHS DPP): the published cascade (53% initial assessment, 36% start the
  group sessions, 19% complete); starters lose weight and HbA1c, completers more, and completers'
  type 2 diabetes hazard falls beyond what the weight loss does.

Figures: ``twin_env/data/programme_parameters.csv``; one uniform draw per patient and session
(:data:`CareChannel.PROGRAMME_UPTAKE`), so a paired cohort meets the same luck.
"""

from __future__ import annotations

import math

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.twin import lifestyle
from twin_env.twin import random_streams as rs
from twin_env.vocab.concepts import Concept

#: The community services whose first session changes the patient.
PROGRAMMES: tuple[str, ...] = ("smoking_cessation", "weight_management", "diabetes_prevention")


def _uptake_draw(ctx: CareContext, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(k,) uniform draws of who takes a programme up, counted by the session's day (a second course draws anew)."""
    return rs.uniform(ctx.state.patient_key[rows], np.asarray(day, dtype=np.int64), CareChannel.PROGRAMME_UPTAKE)


def stop_smoking(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> np.ndarray:
    """``rows`` (k,) referred to a stop-smoking service reach it on ``day`` (k,); returns the rows that quit."""
    takers = _uptake_draw(ctx, rows, day) < ctx.params["stop_smoking_referral_quit_date_probability"]
    quitters = lifestyle.quit_smoking(ctx.state, rows[takers], ctx.twin_params)
    where = np.isin(rows, quitters)
    ctx.ledger.append(rows[where], LedgerKind.SMOKING_STATUS, Concept.EX_SMOKER, day[where], link=link[where])
    return quitters


def weight_loss_at_start_kg(ctx: CareContext) -> float:
    """Weight (kg) lost at the programme's start so that ``weight_management_loss_at_one_year_kg`` is left a year on."""
    tau = ctx.twin_params["weight_regain_time_constant_years"]
    return ctx.params["weight_management_loss_at_one_year_kg"] * math.exp(1.0 / tau)


def weight_management(ctx: CareContext, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``rows`` (k,) referred to a weight-management programme reach it on ``day`` (k,); returns the starters."""
    starters = rows[_uptake_draw(ctx, rows, day) < ctx.params["weight_management_referral_uptake_probability"]]
    lifestyle.change_weight(ctx.state, starters, -weight_loss_at_start_kg(ctx), ctx.twin_params)
    return starters


def diabetes_prevention(ctx: CareContext, rows: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` (k,) referred to the NHS DPP reach it on ``day`` (k,); returns (starters, completers).

    Starters attend at least one group session; completers (a subset) attend more than 60%.
    """
    p, state, tp = ctx.params, ctx.state, ctx.twin_params
    u = _uptake_draw(ctx, rows, day)
    completers = rows[u < p["dpp_completion_fraction"]]
    partial = rows[(u >= p["dpp_completion_fraction"]) & (u < p["dpp_session_start_fraction"])]
    lifestyle.change_weight(state, completers, -p["dpp_completer_weight_loss_kg"], tp)
    lifestyle.change_weight(state, partial, -p["dpp_starter_weight_loss_kg"], tp)
    lifestyle.lower_hba1c(state, completers, p["dpp_completer_hba1c_fall_mmol_mol"], tp)
    lifestyle.lower_hba1c(state, partial, p["dpp_starter_hba1c_fall_mmol_mol"], tp)
    lifestyle.lower_diabetes_hazard(state, completers, p["dpp_completer_diabetes_hazard_ratio"])
    return np.concatenate([completers, partial]), completers


def start(ctx: CareContext, service: str, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """The living ``rows`` (k,) reach ``service``'s first session on ``day`` (k,), booked by referral ``link`` (k,)."""
    if service == "smoking_cessation":
        stop_smoking(ctx, rows, day, link)
    elif service == "weight_management":
        weight_management(ctx, rows, day)
    elif service == "diabetes_prevention":
        diabetes_prevention(ctx, rows, day)
    else:
        raise ValueError(f"unknown community programme {service!r}; allowed: {list(PROGRAMMES)}")
