"""The Discrete action catalogues: what a GP can do at a decision, its NICE basis, its mask, its orders.

Every action reads the GP record only (``GpRecordTable``), never the latent twin. ``ACTIONS``
is the latest catalogue (``v1``) in action-index order; each catalogue of
:data:`~twin_env.envs.config.ACTION_SETS` is a prefix of it (:data:`CATALOGUES`): ``v0``, the
retired 20 actions of ``PrimaryCare-v0``, keeps its indices in ``v1``, which adds gliclazide, dose
titration of a named antihypertensive and stopping a named drug.

One action path: :func:`resolve` turns an action chosen on batch rows into orders once (model
actions run their model once and give a ``model`` order plus the order it triggers); the safety
shield judges exactly those orders; :func:`execute` carries them out through
``sim.execute(rows, order)`` (care), writing a model's scores back before its triggered order.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

import numpy as np

from twin_env.envs.config import ACTION_SETS
from twin_env.envs.model_actions import MODEL_ACTIONS, ModelRun, model_masks, run_models, write_back
from twin_env.envs.observation import PROBLEMS, RECORD_MEDICATIONS, SERVICES
from twin_env.models.qrisk3 import qrisk3_score_array
from twin_env.models.tracker import ContractTracker
from twin_env.record.gp import GpRecordTable, Registration
from twin_env.record.record import Record
from twin_env.twin.parameters import read_scalars
from twin_env.vocab.concepts import Concept
from twin_env.vocab.drugs import BLACK_ETHNICITY_CODES, BP_STEP_ORDER, DRUGS, ng136_step1_is_acei
from twin_env.vocab.limits import limit
from twin_env.vocab.orders import Order


@dataclasses.dataclass(frozen=True)
class Action:
    name: str
    description: str
    basis: str


ACTIONS: tuple[Action, ...] = (
    Action("do_nothing", "no action this interval", "-"),
    Action("book_review", "book a GP review (BP measured, review bloods for recorded conditions)", "QOF annual review"),
    Action(
        "bp_check",
        "7-day home BP series (the home system); its average confirms or refutes hypertension next step",
        "NICE NG136 1.2",
    ),
    Action("order_hba1c", "order HbA1c", "NICE NG28 1.6"),
    Action("order_lipids", "order a lipid profile", "NICE NG238"),
    Action("order_renal", "order U&E (eGFR, potassium)", "NICE NG203"),
    Action("order_acr", "order urine ACR", "NICE NG203"),
    Action(
        "step_up_antihypertensive",
        "next NG136 step from the recorded regimen, age, ethnicity and diabetes",
        "NICE NG136 1.4",
    ),
    Action(
        "step_down_antihypertensive",
        "stop the most recently added class (4th, 3rd, 2nd, 1st step)",
        "NICE NG136 1.4 / BNF",
    ),
    Action("start_or_intensify_statin", "atorvastatin 20 mg (80 mg with recorded CVD), then 40, 80 mg", "NICE NG238"),
    Action(
        "start_or_titrate_metformin",
        "metformin 500 mg/day, up by 500 to 2000 mg/day (needs eGFR >= 30 recorded)",
        "NICE NG28 1.7",
    ),
    Action("stop_metformin", "stop metformin", "NICE NG28 / BNF (eGFR < 30)"),
    Action("add_sglt2", "add dapagliflozin 10 mg (recorded T2D, CKD or heart failure)", "NICE NG28, TA775, TA679"),
    Action("refer_lifestyle", "refer to weight management", "NICE NG136 1.3, PH53"),
    Action("refer_smoking_cessation", "refer to a stop-smoking service", "NICE NG209"),
    Action("refer_cardiology", "refer to cardiology (recorded CHD, AF or heart failure)", "NICE NG185, NG106"),
    Action("refer_renal", "refer to nephrology (recorded CKD or eGFR < 60)", "NICE NG203 1.5"),
    Action("refer_diabetes", "refer to the diabetes service (recorded T2D)", "NICE NG28"),
    Action(
        "qrisk3_statin",
        "deploy QRISK3 on the record; if >= threshold (default 10%) start atorvastatin 20 mg",
        "NICE NG238 1.6 (QRISK3 >= 10%)",
    ),
    Action(
        "qdiabetes_dpp",
        "deploy QDiabetes-2018 (model A) on the record; if >= threshold refer to the NHS Diabetes Prevention Programme",
        "NICE PH38 (threshold unverified)",
    ),
)
#: Antihypertensives whose dose a ``titrate_<drug>`` action raises one licensed step (``DRUGS[d].products``).
TITRATED_DRUGS: tuple[str, ...] = ("ramipril", "losartan", "amlodipine", "bisoprolol", "doxazosin")
#: Drugs a ``stop_<drug>`` action stops (metformin has ``stop_metformin`` since v0).
STOPPED_DRUGS: tuple[str, ...] = (*BP_STEP_ORDER, "atorvastatin", "dapagliflozin", "gliclazide")
ACTIONS_V1: tuple[Action, ...] = (
    Action(
        "start_or_titrate_gliclazide",
        "gliclazide 40 mg/day, then up one step (80, 160, 240, 320 mg/day); needs recorded T2D",
        "NICE NG28 1.6-1.7 (sulfonylurea), BNF gliclazide",
    ),
    *(
        Action(
            f"titrate_{d}",
            f"raise {d} one licensed dose step (standard dose -> double); needs {d} current",
            "NICE NG136 1.4 (optimal tolerated doses), BNF",
        )
        for d in TITRATED_DRUGS
    ),  # fmt: skip
    *(Action(f"stop_{d}", f"stop {d} (current)", "NICE NG136 / NG238 / NG28, BNF") for d in STOPPED_DRUGS),
)
#: Every action of the latest catalogue, in index order (names of any catalogue's indices).
ACTIONS = ACTIONS + ACTIONS_V1
ACTION_INDEX = {a.name: i for i, a in enumerate(ACTIONS)}
#: Catalogue name -> its number of actions: catalogue ``v`` is ``ACTIONS[:CATALOGUES[v]]``.
CATALOGUES: dict[str, int] = {"v0": 20, "v1": len(ACTIONS)}
if tuple(CATALOGUES) != ACTION_SETS:
    raise RuntimeError(f"catalogues {list(CATALOGUES)} must be the config's ACTION_SETS {list(ACTION_SETS)}")
#: Actions of the retired v0 catalogue (``PrimaryCare-v0``).
N_ACTIONS_V0 = CATALOGUES["v0"]


def n_actions(action_set: str) -> int:
    """How many actions catalogue ``action_set`` (``"v0"`` or ``"v1"``) has."""
    try:
        return CATALOGUES[action_set]
    except KeyError:
        raise ValueError(f"action_set {action_set!r}; allowed: {list(CATALOGUES)}") from None


_P = {name: i for i, name in enumerate(PROBLEMS)}
_M = {name: i for i, name in enumerate(RECORD_MEDICATIONS)}
_TESTS = {"order_hba1c": "hba1c", "order_lipids": "lipids", "order_renal": "renal", "order_acr": "acr"}
_REFERRALS = {
    "refer_lifestyle": "weight_management",
    "refer_smoking_cessation": "smoking_cessation",
    "refer_cardiology": "cardiology",
    "refer_renal": "nephrology",
    "refer_diabetes": "diabetology",
}
#: The doses the prescribing actions give (mg; ``action_doses.csv``, with sources).
ACTION_DOSES: dict[str, float] = read_scalars("action_doses.csv")
_METFORMIN_MAX_MG = max(DRUGS["metformin"].products)
#: Each drug's licensed doses, ascending (catalogue units, all > 0): the steps :func:`next_dose` walks.
_DOSE_STEPS: dict[str, np.ndarray] = {d: np.array(sorted(DRUGS[d].products)) for d in DRUGS}
if min(float(steps[0]) for steps in _DOSE_STEPS.values()) <= 0:
    raise RuntimeError("every licensed dose must be > 0 (next_dose gives 0 at the top)")
# Column indices the masks read and write, fixed per catalogue (one fancy-index call instead of one per action).
_BP_COLS = np.array([_M[d] for d in BP_STEP_ORDER])
_CVD_COLS = np.array([_P[c] for c in ("myocardial_infarction", "angina", "stroke", "tia")])
_CARDIAC_COLS = np.array([_P[c] for c in ("myocardial_infarction", "angina", "atrial_fibrillation", "heart_failure")])
_BLACK_CODES = np.array(BLACK_ETHNICITY_CODES)


@dataclasses.dataclass
class RecordContext:
    """What actions read: the GP table, registration demographics, the date and parameters.

    Model actions deploy on ``record`` (the GP store) with ``registration``.
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
    #: Model name -> eligibility kept up to date on ``table`` (the batch's); None: gathered from the record.
    eligibility: Mapping[str, ContractTracker] | None = None

    @functools.cached_property
    def dose(self) -> np.ndarray:
        """(N, len(RECORD_MEDICATIONS)) current dose of each recorded drug (computed once per context)."""
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
    ok = (
        ~cvd
        & (ctx.age_years >= 25)
        & (ctx.age_years < 85)
        & np.isfinite(ratio)
        & (ratio >= 1)
        & (ratio <= 12)
        & (sbp >= 70)
        & (sbp <= 210)
    )
    out = np.full(len(ok), np.nan)
    if ok.any():
        on_bp = (ctx.dose[:, [_M[d] for d in BP_STEP_ORDER]] > 0).any(axis=1)
        out[ok] = qrisk3_score_array(
            sex=np.where(ctx.female[ok], "female", "male"),
            age=ctx.age_years[ok],
            ethnicity=ctx.ethnicity[ok].astype(int),
            smoking=smoking[ok],
            bmi=bmi[ok],
            chol_hdl_ratio=ratio[ok],
            sbp=sbp[ok],
            sbp_sd=np.clip(sd[ok], 0, 99),
            townsend=np.clip(ctx.townsend[ok], -7, 11),
            atrial_fibrillation=prob[ok, _P["atrial_fibrillation"]],
            ckd_3_5=prob[ok, _P["ckd_3_5"]],
            treated_hypertension=(prob[:, _P["hypertension"]] & on_bp)[ok],
            type2_diabetes=prob[ok, _P["type2_diabetes"]],
        )
    return out


def _bp_next(ctx: RecordContext) -> np.ndarray:
    """NG136 next step per row (N,): index into ``BP_STEP_ORDER`` of the drug to start (dose 1), -1 if complete."""
    on = ctx.dose[:, _BP_COLS] > 0
    ramipril, losartan, amlodipine, indapamide, spironolactone, doxazosin, bisoprolol = on.T
    a, a_drug = ramipril | losartan, (ctx.ethnicity[:, None] == _BLACK_CODES).any(axis=1).astype(np.int64)
    a_first = ng136_step1_is_acei(ctx.age_years, ctx.ethnicity, ctx.table.problem[:, _P["type2_diabetes"]])
    potassium_ok = ctx.table.latest(Concept.POTASSIUM) <= limit("spironolactone_max_potassium")
    # the first step (in this order) not yet taken; as np.select, written as a chain of np.where from the last
    steps = (
        (~a & ~amlodipine, np.where(a_first, a_drug, 2)), (~a, a_drug), (~amlodipine, 2), (~indapamide, 3),
        (~spironolactone & potassium_ok, 4), (~doxazosin, 5), (~bisoprolol, 6),
    )  # fmt: skip
    out = np.full(len(on), -1, dtype=np.int64)
    for missing, step in reversed(steps):
        out = np.where(missing, step, out)
    return out


def _bp_last(ctx: RecordContext) -> np.ndarray:
    """Per row (N,): index into ``BP_STEP_ORDER`` of the last-added class taken, -1 if none."""
    has = ctx.dose[:, _BP_COLS] > 0
    return np.where(has.any(axis=1), len(BP_STEP_ORDER) - 1 - np.argmax(has[:, ::-1], axis=1), -1)


def _statin_next(ctx: RecordContext) -> np.ndarray:
    cur = ctx.dose[:, _M["atorvastatin"]]
    cvd = ctx.table.problem[:, _CVD_COLS].any(axis=1)
    d = ACTION_DOSES
    start = np.where(cvd, d["statin_secondary_start_mg"], d["statin_primary_start_mg"])
    return np.where(
        cur == 0, start, np.where(cur < d["statin_intensify_mg"], d["statin_intensify_mg"],
                                  np.where(cur < d["statin_max_mg"], d["statin_max_mg"], 0.0))
    )  # fmt: skip


def next_dose(drug: str, current: np.ndarray) -> np.ndarray:
    """(k,) the drug's next licensed dose above ``current`` (catalogue units, ``DRUGS[drug].products``); 0 at top."""
    steps = _DOSE_STEPS[drug]
    i = np.searchsorted(steps, np.asarray(current, dtype=float), side="right")
    return np.where(i < len(steps), steps[np.minimum(i, len(steps) - 1)], 0.0)


_REFERRAL_ACTIONS = np.array([ACTION_INDEX[a] for a in _REFERRALS])
_REFERRAL_SERVICES = np.array([SERVICES.index(s) for s in _REFERRALS.values()])
_TITRATE_ACTIONS = np.array([ACTION_INDEX[f"titrate_{d}"] for d in TITRATED_DRUGS])
_TITRATE_COLS = np.array([_M[d] for d in TITRATED_DRUGS])
_TITRATE_TOP = np.array([_DOSE_STEPS[d][-1] for d in TITRATED_DRUGS])  # next_dose(d, x) > 0 iff x < the top dose
_STOP_ACTIONS = np.array([ACTION_INDEX[f"stop_{d}"] for d in STOPPED_DRUGS])
_STOP_COLS = np.array([_M[d] for d in STOPPED_DRUGS])


def action_masks(ctx: RecordContext, alive: np.ndarray, action_set: str = "v0") -> np.ndarray:
    """(N, n_actions(action_set)) bool: actions that make sense now given the record (only do_nothing if dead)."""
    n, t, dose = len(alive), ctx.table, ctx.dose
    m = np.ones((n, len(ACTIONS)), dtype=bool)
    p = t.problem
    egfr = t.latest(Concept.EGFR)
    m[:, ACTION_INDEX["step_up_antihypertensive"]] = ctx.bp_next >= 0
    m[:, ACTION_INDEX["step_down_antihypertensive"]] = ctx.bp_last >= 0
    m[:, ACTION_INDEX["start_or_intensify_statin"]] = ctx.statin_next > 0
    met = dose[:, _M["metformin"]]
    t2d = p[:, _P["type2_diabetes"]]
    m[:, ACTION_INDEX["start_or_titrate_metformin"]] = (
        t2d & (egfr >= limit("metformin_min_egfr")) & (met < _METFORMIN_MAX_MG)
    )
    m[:, ACTION_INDEX["stop_metformin"]] = met > 0
    sglt2_indicated = t2d | p[:, _P["ckd_3_5"]] | p[:, _P["heart_failure"]]
    m[:, ACTION_INDEX["add_sglt2"]] = sglt2_indicated & (dose[:, _M["dapagliflozin"]] == 0)
    recent = t.referred_within(ctx.day, ctx.params["referral_repeat_window_days"])
    m[:, _REFERRAL_ACTIONS] = ~recent[:, _REFERRAL_SERVICES]  # not referred recently, and (below) the need
    m[:, ACTION_INDEX["refer_cardiology"]] &= p[:, _CARDIAC_COLS].any(axis=1)
    m[:, ACTION_INDEX["refer_renal"]] &= p[:, _P["ckd_3_5"]] | (egfr < limit("ckd_egfr_below"))
    m[:, ACTION_INDEX["refer_diabetes"]] &= t2d
    for action, valid in model_masks(ctx).items():
        m[:, ACTION_INDEX[action]] = valid
    m[:, ACTION_INDEX["start_or_titrate_gliclazide"]] = t2d & (
        dose[:, _M["gliclazide"]] < _DOSE_STEPS["gliclazide"][-1]
    )
    titrated = dose[:, _TITRATE_COLS]
    m[:, _TITRATE_ACTIONS] = (titrated > 0) & (titrated < _TITRATE_TOP)
    m[:, _STOP_ACTIONS] = dose[:, _STOP_COLS] > 0
    m[~alive, 1:] = False
    return m[:, : n_actions(action_set)]


# ----- one action path: resolve to orders once, judge them, execute them ------------------------
#: What one action does on some rows: (order, (k,) batch rows) pairs in execution order.
Groups = list[tuple[Order, np.ndarray]]


def _by_target(rows: np.ndarray, target: np.ndarray, order: Callable[[Any], Order | None]) -> Groups:
    """One group per distinct ``target`` value of ``rows`` (ascending); ``order(value)`` None drops it."""
    out = []
    for value in np.unique(target).tolist():
        o = order(value)
        if o is not None:
            out.append((o, rows[target == value]))
    return out


def _step_up(ctx: RecordContext, rows: np.ndarray) -> Groups:
    return _by_target(rows, ctx.bp_next[rows], lambda j: Order("prescribe", BP_STEP_ORDER[j], 1.0) if j >= 0 else None)


def _step_down(ctx: RecordContext, rows: np.ndarray) -> Groups:
    return _by_target(rows, ctx.bp_last[rows], lambda j: Order("stop", BP_STEP_ORDER[j]) if j >= 0 else None)


def _statin(ctx: RecordContext, rows: np.ndarray) -> Groups:
    return _by_target(
        rows, ctx.statin_next[rows], lambda mg: Order("prescribe", "atorvastatin", mg) if mg > 0 else None
    )


def _metformin(ctx: RecordContext, rows: np.ndarray) -> Groups:
    target = ctx.dose[rows, _M["metformin"]] + ACTION_DOSES["metformin_titration_step_mg"]
    return _by_target(rows, target, lambda mg: Order("prescribe", "metformin", mg))


def _always(order: Order) -> Callable[[RecordContext, np.ndarray], Groups]:
    return lambda ctx, rows: [(order, rows)]


def _titrate(drug: str, start: float | None = None) -> Callable[[RecordContext, np.ndarray], Groups]:
    """Prescribe ``drug`` at its next licensed dose above the current one (``start`` when not taken)."""

    def resolver(ctx: RecordContext, rows: np.ndarray) -> Groups:
        current = ctx.dose[rows, _M[drug]]
        target = next_dose(drug, current) if start is None else np.where(current > 0, next_dose(drug, current), start)
        return _by_target(rows, target, lambda dose: Order("prescribe", drug, dose) if dose > 0 else None)

    return resolver


#: Action name -> its resolver (rows -> groups of orders). Model actions: :func:`resolve`.
RESOLVERS: dict[str, Callable[[RecordContext, np.ndarray], Groups]] = {
    "do_nothing": lambda ctx, rows: [],
    "book_review": _always(Order("review", "book_review")),
    "bp_check": _always(Order("review", "bp_check")),
    **{action: _always(Order("test", panel)) for action, panel in _TESTS.items()},
    **{action: _always(Order("refer", service)) for action, service in _REFERRALS.items()},
    "step_up_antihypertensive": _step_up,
    "step_down_antihypertensive": _step_down,
    "start_or_intensify_statin": _statin,
    "start_or_titrate_metformin": _metformin,
    "stop_metformin": _always(Order("stop", "metformin")),
    "add_sglt2": _always(Order("prescribe", "dapagliflozin", ACTION_DOSES["sglt2_dapagliflozin_mg"])),
    "start_or_titrate_gliclazide": _titrate("gliclazide", ACTION_DOSES["gliclazide_start_mg"]),
    **{f"titrate_{drug}": _titrate(drug) for drug in TITRATED_DRUGS},
    **{f"stop_{drug}": _always(Order("stop", drug)) for drug in STOPPED_DRUGS},
}
if set(RESOLVERS) | set(MODEL_ACTIONS) != set(ACTION_INDEX):
    raise RuntimeError(f"actions without a resolver: {sorted(set(ACTION_INDEX) - set(RESOLVERS) - set(MODEL_ACTIONS))}")


@dataclasses.dataclass(frozen=True)
class Resolution:
    """What action ``action`` does on batch ``rows`` (k,) now (ascending): its orders, resolved once.

    ``groups``: (order, rows) pairs in execution order; ``runs``: a model action's model runs
    (one per decision date, not yet written back), whose orders are the ``model`` run and, on the
    rows whose score reaches the threshold, the action's order.
    """

    action: int
    rows: np.ndarray
    groups: tuple[tuple[Order, np.ndarray], ...] = ()
    runs: tuple[ModelRun, ...] = ()

    def steps(self) -> Iterator[tuple[Order, np.ndarray, ModelRun | None]]:
        """(order, (k,) rows, run to write back first or None) in execution order."""
        for order, rows in self.groups:
            yield order, rows, None
        for run in self.runs:
            yield Order("model", run.spec.model), run.rows, run
            yield run.spec.order, run.triggered, None

    def orders_of(self, row: int) -> tuple[Order, ...]:
        """The orders for batch ``row`` (one of ``rows``), in execution order."""
        return tuple(order for order, rows, _ in self.steps() if row in rows)

    def take(self, rows: np.ndarray) -> Resolution:
        """This resolution on a subset ``rows`` of its rows (ascending), without resolving again."""
        groups = tuple((o, r[np.isin(r, rows)]) for o, r in self.groups)
        runs = tuple(run.take(np.isin(run.rows, rows)) for run in self.runs)
        return Resolution(
            self.action,
            np.asarray(rows, dtype=np.int64),
            tuple(g for g in groups if len(g[1])),
            tuple(r for r in runs if len(r.rows)),
        )


def resolve(ctx: RecordContext, action: int, rows: np.ndarray) -> Resolution:
    """Resolve ``action`` chosen on batch ``rows`` (ascending) into orders, vectorised over the rows.

    Reads the record only and changes nothing (a model action deploys its model without writing
    back). The mask is not applied: resolve rows for which the action is valid.
    """
    rows = np.asarray(rows, dtype=np.int64)
    name = ACTIONS[action].name
    if name in MODEL_ACTIONS:
        return Resolution(action, rows, runs=tuple(run_models(ctx, name, rows)) if len(rows) else ())
    return Resolution(action, rows, groups=tuple(RESOLVERS[name](ctx, rows)))


def resolve_orders(action: int, ctx: RecordContext, row: int = 0) -> list[Order]:
    """What ``action`` would concretely do for batch ``row`` now ([] if nothing): :func:`resolve` on one row."""
    return list(resolve(ctx, action, np.array([row])).orders_of(row))


class Executor(Protocol):
    """What carries orders out: the simulation's ``execute(rows, order)`` and its ``record``."""

    record: Record

    def execute(self, rows: np.ndarray, order: Order) -> None: ...


def execute(sim: Executor, plan: Iterable[Resolution]) -> list[dict[str, Any]]:
    """Carry out resolved actions in ``plan`` order (care: ``sim.execute``); the model runs' audit entries.

    The model runs' scores are written into the GP record first, in one write (a row takes one action,
    so each score still precedes the order it triggers).
    """
    plan = list(plan)
    outputs = write_back(sim.record, [run for resolution in plan for run in resolution.runs])
    for resolution in plan:
        for order, rows, _ in resolution.steps():
            sim.execute(rows, order)
    return outputs
