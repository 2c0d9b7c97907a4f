"""The Discrete action catalogue: what a GP can do at a decision, its NICE basis, its mask, its effect.

Every action reads the GP record only (``GpRecordTable``), never the latent twin. ``ACTIONS``
is the catalogue in action-index order.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from twin_env.care.simulation import CareSimulation
from twin_env.envs.model_actions import MODEL_ACTIONS, apply_model_action, model_masks, model_orders
from twin_env.envs.observation import MEDICATIONS, PROBLEMS, SERVICES
from twin_env.models.qrisk3 import qrisk3_score_array
from twin_env.record.gp import GpRecordTable, Registration
from twin_env.record.record import Record
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order


@dataclasses.dataclass(frozen=True)
class Action:
    name: str
    description: str
    basis: str


ACTIONS: tuple[Action, ...] = (
    Action("do_nothing", "no action this interval", "-"),
    Action("book_review", "book a GP review (BP measured, review bloods for recorded conditions)", "QOF annual review"),
    Action("bp_check", "nurse BP check; stands in for ambulatory/home BP monitoring, which the care layer does not model", "NICE NG136 1.2"),
    Action("order_hba1c", "order HbA1c", "NICE NG28 1.6"),
    Action("order_lipids", "order a lipid profile", "NICE NG238"),
    Action("order_renal", "order U&E (eGFR, potassium)", "NICE NG203"),
    Action("order_acr", "order urine ACR", "NICE NG203"),
    Action("step_up_antihypertensive", "next NG136 step from the recorded regimen, age, ethnicity and diabetes", "NICE NG136 1.4"),
    Action("step_down_antihypertensive", "stop the most recently added class (4th, 3rd, 2nd, 1st step)", "NICE NG136 1.4 / BNF"),
    Action("start_or_intensify_statin", "atorvastatin 20 mg (80 mg with recorded CVD), then 40, 80 mg", "NICE NG238"),
    Action("start_or_titrate_metformin", "metformin 500 mg/day, up by 500 to 2000 mg/day (needs eGFR >= 30 recorded)", "NICE NG28 1.7"),
    Action("stop_metformin", "stop metformin", "NICE NG28 / BNF (eGFR < 30)"),
    Action("add_sglt2", "add dapagliflozin 10 mg (recorded T2D, CKD or heart failure)", "NICE NG28, TA775, TA679"),
    Action("refer_lifestyle", "refer to weight management", "NICE NG136 1.3, PH53"),
    Action("refer_smoking_cessation", "refer to a stop-smoking service", "NICE NG209"),
    Action("refer_cardiology", "refer to cardiology (recorded CHD, AF or heart failure)", "NICE NG185, NG106"),
    Action("refer_renal", "refer to nephrology (recorded CKD or eGFR < 60)", "NICE NG203 1.5"),
    Action("refer_diabetes", "refer to the diabetes service (recorded T2D)", "NICE NG28"),
    Action("qrisk3_statin", "deploy QRISK3 on the record; if >= threshold (default 10%) start atorvastatin 20 mg", "NICE NG238 1.6 (QRISK3 >= 10%)"),
    Action("qdiabetes_dpp", "deploy QDiabetes-2018 (model A) on the record; if >= threshold refer to the NHS Diabetes Prevention Programme", "NICE PH38 (threshold unverified)"),
)
ACTION_INDEX = {a.name: i for i, a in enumerate(ACTIONS)}
N_ACTIONS = len(ACTIONS)
_P = {name: i for i, name in enumerate(PROBLEMS)}
_M = {name: i for i, name in enumerate(MEDICATIONS)}
_BLACK = (6, 7)  # QRISK3 ethnicity codes: Black Caribbean, Black African
_TESTS = {"order_hba1c": "hba1c", "order_lipids": "lipids", "order_renal": "renal", "order_acr": "acr"}
_REFERRALS = {"refer_lifestyle": "weight_management", "refer_smoking_cessation": "smoking_cessation",
              "refer_cardiology": "cardiology", "refer_renal": "nephrology", "refer_diabetes": "diabetology"}
#: NG136 order in which classes are added (A or C first by age/ethnicity/diabetes, then the other, D, then step 4).
_STEP4 = ("spironolactone", "doxazosin", "bisoprolol")
_BP_ORDER = ("ramipril", "losartan", "amlodipine", "indapamide", *_STEP4)


@dataclasses.dataclass
class RecordContext:
    """What actions read: the GP table, registration demographics, the date and parameters.

    Model actions deploy on ``record`` (the GP store) with ``registration``; their audit entries
    are appended to ``model_outputs``.
    """

    table: GpRecordTable
    age_years: np.ndarray
    female: np.ndarray
    ethnicity: np.ndarray
    townsend: np.ndarray
    day: int | np.ndarray
    params: dict[str, float]
    record: Record | None = None
    registration: Registration | None = None
    model_outputs: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @functools.cached_property
    def dose(self) -> np.ndarray:
        """(N, 10) current dose of each drug (computed once per context)."""
        return self.table.current_dose(self.day, self.params["current_medication_window_days"])

    # per-row choices, computed once per context (the shield resolves orders row by row)
    @functools.cached_property
    def bp_next(self) -> np.ndarray:
        return _bp_next(self)

    @functools.cached_property
    def bp_last(self) -> np.ndarray:
        return _bp_last(self)

    @functools.cached_property
    def statin_next(self) -> np.ndarray:
        return _statin_next(self)


def qrisk3_from_record(ctx: RecordContext) -> np.ndarray:
    """QRISK3 (percent, (N,)) from recorded inputs; NaN where not computable or not eligible.

    A policy-side estimate (the NICE guideline policy); the env's ``qrisk3_statin`` action
    deploys QRISK3 through :mod:`twin_env.envs.model_actions` instead.

    Uses the latest recorded BMI and coded smoking status; substitutes (``env_parameters.csv``)
    where they are missing: BMI, smoking (non-smoker) and, with < 2 readings, SBP SD.
    """
    t, p = ctx.table, ctx.params
    chol, hdl, sbp = t.latest(Concept.TOTAL_CHOLESTEROL), t.latest(Concept.HDL_CHOLESTEROL), t.latest(Concept.SBP)
    prob = t.problem
    cvd = prob[:, _P["myocardial_infarction"]] | prob[:, _P["angina"]] | prob[:, _P["stroke"]] | prob[:, _P["tia"]]
    ratio = chol / hdl
    sd = np.where(np.isnan(t.sbp_sd()), p["qrisk3_impute_sbp_sd_mmhg"], t.sbp_sd())
    bmi = np.where(np.isnan(t.latest(Concept.BMI)), p["qrisk3_impute_bmi_kg_m2"], t.latest(Concept.BMI))
    smoking = np.where(np.isnan(t.smoking), 0, t.smoking).astype(int)
    ok = (~cvd & (ctx.age_years >= 25) & (ctx.age_years < 85) & np.isfinite(ratio) & (ratio >= 1) & (ratio <= 12)
          & (sbp >= 70) & (sbp <= 210))
    out = np.full(len(ok), np.nan)
    if ok.any():
        on_bp = (ctx.dose[:, [_M[d] for d in ("ramipril", "losartan", "amlodipine", "indapamide", "bisoprolol", "doxazosin", "spironolactone")]] > 0).any(axis=1)
        out[ok] = qrisk3_score_array(
            sex=np.where(ctx.female[ok], "female", "male"), age=ctx.age_years[ok], ethnicity=ctx.ethnicity[ok].astype(int),
            smoking=smoking[ok], bmi=bmi[ok],
            chol_hdl_ratio=ratio[ok], sbp=sbp[ok], sbp_sd=np.clip(sd[ok], 0, 99), townsend=np.clip(ctx.townsend[ok], -7, 11),
            atrial_fibrillation=prob[ok, _P["atrial_fibrillation"]], ckd_3_5=prob[ok, _P["ckd_3_5"]],
            treated_hypertension=(prob[:, _P["hypertension"]] & on_bp)[ok], type2_diabetes=prob[ok, _P["type2_diabetes"]],
        )
    return out


def _bp_next(ctx: RecordContext) -> np.ndarray:
    """NG136 next step per row (N,): index into ``_BP_ORDER`` of the drug to start (dose 1), -1 if the regimen is complete."""
    ramipril, losartan, amlodipine, indapamide, spironolactone, doxazosin, bisoprolol = (ctx.dose[:, [_M[d] for d in _BP_ORDER]] > 0).T
    black = np.isin(ctx.ethnicity, _BLACK)
    a, a_drug = ramipril | losartan, np.where(black, 1, 0)
    a_first = ctx.table.problem[:, _P["type2_diabetes"]] | ((ctx.age_years < 55) & ~black)
    potassium_ok = ctx.table.latest(Concept.POTASSIUM) <= 4.5
    return np.select([~a & ~amlodipine, ~a, ~amlodipine, ~indapamide, ~spironolactone & potassium_ok, ~doxazosin, ~bisoprolol],
                     [np.where(a_first, a_drug, 2), a_drug, 2, 3, 4, 5, 6], -1)


def _bp_last(ctx: RecordContext) -> np.ndarray:
    """Per row (N,): index into ``_BP_ORDER`` of the last-added class taken, -1 if none."""
    has = ctx.dose[:, [_M[d] for d in _BP_ORDER]] > 0
    return np.where(has.any(axis=1), len(_BP_ORDER) - 1 - np.argmax(has[:, ::-1], axis=1), -1)


def _by_date(ctx: RecordContext) -> list[tuple[RecordContext, np.ndarray]]:
    """(context on one date, (N,) rows on that date) per distinct date of ``ctx.day``: models deploy as of one date."""
    n = len(ctx.age_years)
    if np.ndim(ctx.day) == 0:
        return [(ctx, np.ones(n, dtype=bool))]
    return [(dataclasses.replace(ctx, day=int(d), model_outputs=ctx.model_outputs), ctx.day == d) for d in np.unique(ctx.day)]


def _statin_next(ctx: RecordContext) -> np.ndarray:
    cur = ctx.dose[:, _M["atorvastatin"]]
    p = ctx.table.problem
    cvd = p[:, _P["myocardial_infarction"]] | p[:, _P["angina"]] | p[:, _P["stroke"]] | p[:, _P["tia"]]
    return np.select([cur == 0, cur < 40, cur < 80], [np.where(cvd, 80.0, 20.0), 40.0, 80.0], 0.0)


def action_masks(ctx: RecordContext, alive: np.ndarray) -> np.ndarray:
    """(N, N_ACTIONS) bool: actions that make sense now given the record (all False but do_nothing if dead)."""
    n, t, dose = len(alive), ctx.table, ctx.dose
    m = np.ones((n, N_ACTIONS), dtype=bool)
    p = t.problem
    egfr = t.latest(Concept.EGFR)
    m[:, ACTION_INDEX["step_up_antihypertensive"]] = ctx.bp_next >= 0
    m[:, ACTION_INDEX["step_down_antihypertensive"]] = ctx.bp_last >= 0
    m[:, ACTION_INDEX["start_or_intensify_statin"]] = ctx.statin_next > 0
    met = dose[:, _M["metformin"]]
    m[:, ACTION_INDEX["start_or_titrate_metformin"]] = p[:, _P["type2_diabetes"]] & (egfr >= 30) & (met < 2000)
    m[:, ACTION_INDEX["stop_metformin"]] = met > 0
    m[:, ACTION_INDEX["add_sglt2"]] = (p[:, _P["type2_diabetes"]] | p[:, _P["ckd_3_5"]] | p[:, _P["heart_failure"]]) & (dose[:, _M["dapagliflozin"]] == 0)
    recent = t.referred_within(ctx.day, ctx.params["referral_repeat_window_days"])
    need = {
        "refer_cardiology": p[:, _P["myocardial_infarction"]] | p[:, _P["angina"]] | p[:, _P["atrial_fibrillation"]] | p[:, _P["heart_failure"]],
        "refer_renal": p[:, _P["ckd_3_5"]] | (egfr < 60),
        "refer_diabetes": p[:, _P["type2_diabetes"]],
    }
    for action, service in _REFERRALS.items():
        m[:, ACTION_INDEX[action]] = ~recent[:, SERVICES.index(service)] & need.get(action, True)
    for action, valid in model_masks(ctx).items():
        m[:, ACTION_INDEX[action]] = valid
    m[~alive, 1:] = False
    return m


def apply_actions(sim: CareSimulation, ctx: RecordContext, actions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Carry out ``actions`` (N,) for rows where the action is valid; returns (N,) bool "executed".

    An action masked out for its row is not executed (recorded as do-nothing in ``info``).
    """
    n = len(actions)
    done = mask[np.arange(n), actions]
    rows_of = {i: np.flatnonzero((actions == i) & done) for i in np.unique(actions[done]).tolist()}
    for i, rows in rows_of.items():
        name = ACTIONS[i].name
        if name in ("book_review", "bp_check"):
            sim.book_review(rows)
        elif name in _TESTS:
            sim.order_test(rows, _TESTS[name])
        elif name in _REFERRALS:
            sim.refer(rows, _REFERRALS[name])
        elif name == "step_up_antihypertensive":
            nxt = ctx.bp_next[rows]
            for j in np.unique(nxt).tolist():
                sim.prescribe(rows[nxt == j], _BP_ORDER[j], 1.0)
        elif name == "step_down_antihypertensive":
            last = ctx.bp_last[rows]
            for j in np.unique(last).tolist():
                sim.stop(rows[last == j], _BP_ORDER[j])
        elif name == "start_or_intensify_statin":
            target = ctx.statin_next
            for mg in np.unique(target[rows]):
                sim.prescribe(rows[target[rows] == mg], "atorvastatin", float(mg))
        elif name == "start_or_titrate_metformin":
            target = ctx.dose[rows, _M["metformin"]] + 500.0
            for mg in np.unique(target):
                sim.prescribe(rows[target == mg], "metformin", float(mg))
        elif name == "stop_metformin":
            sim.stop(rows, "metformin")
        elif name == "add_sglt2":
            sim.prescribe(rows, "dapagliflozin", 10.0)
        elif name in MODEL_ACTIONS:
            for on_date, rows_on in _by_date(ctx):
                if rows_on[rows].any():
                    ctx.model_outputs.append(apply_model_action(sim, on_date, name, rows[rows_on[rows]]))
    return done


def resolve_orders(action: int, ctx: RecordContext, row: int = 0) -> list[Order]:
    """What ``action`` would concretely do for batch ``row`` now (ignores the mask; [] if nothing).

    Model actions give the model run and, if the score reaches the threshold, the order it triggers.
    """
    name = ACTIONS[action].name
    if name in ("book_review", "bp_check"):
        return [Order("review", name)]
    if name in _TESTS:
        return [Order("test", _TESTS[name])]
    if name in _REFERRALS:
        return [Order("refer", _REFERRALS[name])]
    if name == "step_up_antihypertensive":
        nxt = int(ctx.bp_next[row])
        return [] if nxt < 0 else [Order("prescribe", _BP_ORDER[nxt], 1.0)]
    if name == "step_down_antihypertensive":
        last = int(ctx.bp_last[row])
        return [] if last < 0 else [Order("stop", _BP_ORDER[last])]
    if name == "start_or_intensify_statin":
        mg = float(ctx.statin_next[row])
        return [Order("prescribe", "atorvastatin", mg)] if mg > 0 else []
    if name == "start_or_titrate_metformin":
        return [Order("prescribe", "metformin", float(ctx.dose[row, _M["metformin"]]) + 500.0)]
    if name == "stop_metformin":
        return [Order("stop", "metformin")]
    if name == "add_sglt2":
        return [Order("prescribe", "dapagliflozin", 10.0)]
    if name in MODEL_ACTIONS:
        return model_orders(ctx, name, row)
    return []
