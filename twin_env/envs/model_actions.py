"""Model-triggered actions: deploy a packaged model on the GP record, then act if the score is high.

``qrisk3_statin`` and ``qdiabetes_dpp`` run :func:`twin_env.models.deployment.deploy`, the harness
monitoring uses (contract eligibility, missing-data policy, provenance), on the rows that chose
them, once per decision: :func:`run_models` gives the ``model`` order and the order it triggers
(what the shield judges); :func:`write_back` later writes the same run's scores into the GP record
(the observation's ``qrisk3`` feature is read from there) before the triggered order is carried
out. A score at or above the :class:`~twin_env.envs.config.EnvConfig` threshold triggers the
action's order. A refused run does nothing; its reason is in the run's audit entry
(``info["model_outputs"]``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from twin_env.envs.observation import MEDICATIONS, SERVICES
from twin_env.models.deployment import (
    DeploymentResult,
    assess_by_day,
    deploy,
    deploy_by_day,
    eligible_on_record,
    write_scores,
)  # fmt: skip
from twin_env.record.record import Record
from twin_env.vocab.orders import Order

if TYPE_CHECKING:
    from twin_env.envs.actions import RecordContext


@dataclasses.dataclass(frozen=True)
class ModelAction:
    """A packaged ``model`` (key of ``deployment.MODELS``), its ``threshold`` parameter (percent), the ``order``."""

    model: str
    threshold: str
    order: Order


MODEL_ACTIONS: dict[str, ModelAction] = {
    "qrisk3_statin": ModelAction("qrisk3", "qrisk3_statin_threshold_percent", Order("prescribe", "atorvastatin", 20.0)),
    "qdiabetes_dpp": ModelAction("qdiabetes", "qdiabetes_dpp_threshold_percent", Order("refer", "diabetes_prevention")),
}
_ATORVASTATIN = MEDICATIONS.index("atorvastatin")
_DPP = SERVICES.index("diabetes_prevention")


@dataclasses.dataclass(frozen=True)
class ModelRun:
    """One deployment of an action's model on batch ``rows`` (n,), all on one date, not yet written back.

    ``result`` holds the n runs; ``hit`` (n,) bool: score at or above ``threshold_percent``.
    """

    action: str
    rows: np.ndarray
    result: DeploymentResult
    hit: np.ndarray
    threshold_percent: float

    @property
    def spec(self) -> ModelAction:
        return MODEL_ACTIONS[self.action]

    @property
    def triggered(self) -> np.ndarray:
        """(k,) batch rows whose score triggers the action's order."""
        return self.rows[self.hit]

    def take(self, keep: np.ndarray) -> ModelRun:
        """The run restricted to the (n,) bool ``keep`` of its rows (as if deployed on those rows alone)."""
        index = np.flatnonzero(keep)
        return dataclasses.replace(self, rows=self.rows[index], result=self.result.take(index), hit=self.hit[index])


def run_model(ctx: RecordContext, action: str, rows: np.ndarray) -> DeploymentResult:
    """Deploy the model of ``action`` on batch ``rows`` of the record as of ``ctx.day`` (one date); writes nothing."""
    if ctx.record is None or ctx.registration is None:
        raise ValueError("RecordContext.record and .registration are needed to deploy a model (see Batch.context)")
    rows = np.asarray(rows, dtype=np.int64)
    return deploy(
        MODEL_ACTIONS[action].model, ctx.record, ctx.record.first_id + rows, np.datetime64(ctx.day, "D"),
        registration=ctx.registration, write_back=False, first_seq=ctx.table.episode_seq[rows],
    )  # fmt: skip


def run_models(ctx: RecordContext, action: str, rows: np.ndarray) -> list[ModelRun]:
    """Deploy ``action``'s model on batch ``rows`` (ascending): one run per distinct decision date, dates ascending.

    Each row is deployed as of its own date (vector-env rows drift apart after auto-resets). The
    inputs come from the context's tracker of the model when it has one (O(rows)), else from the record.
    """
    spec = MODEL_ACTIONS[action]
    rows = np.asarray(rows, dtype=np.int64)
    days = np.broadcast_to(np.asarray(ctx.day), (len(ctx.age_years),))[rows]
    threshold = ctx.params[spec.threshold]
    if ctx.record is None or ctx.registration is None:
        raise ValueError("RecordContext.record and .registration are needed to deploy a model (see Batch.context)")
    tracker = (ctx.eligibility or {}).get(spec.model)
    if tracker is not None:  # one assessment; one run per date, as a deploy per date gives
        by_day = assess_by_day(tracker.model, tracker.gather(rows, days, ctx.registration), days)
    else:
        by_day = deploy_by_day(
            spec.model, ctx.record, ctx.record.first_id + rows, days,
            registration=ctx.registration, first_seq=ctx.table.episode_seq[rows],
        )  # fmt: skip
    runs = []
    for index, result in by_day:
        with np.errstate(invalid="ignore"):
            hit = result.scored & (result.score >= threshold)
        runs.append(ModelRun(action, rows[index], result, hit, threshold))
    return runs


def model_masks(ctx: RecordContext) -> dict[str, np.ndarray]:
    """Action -> (N,) bool: the model is eligible on the record (its contract) and the order is not redundant.

    ``qrisk3_statin`` also needs no current atorvastatin, ``qdiabetes_dpp`` no DPP referral within
    ``referral_repeat_window_days``. All False without a record to deploy on.
    """
    n = len(ctx.table.episode_seq)
    if ctx.record is None or ctx.registration is None:
        return {a: np.zeros(n, dtype=bool) for a in MODEL_ACTIONS}
    rows = np.arange(n)
    trackers = ctx.eligibility or {}
    eligible = {
        a: trackers[m.model].eligible(ctx.registration, ctx.day)
        if m.model in trackers
        else eligible_on_record(
            m.model,
            ctx.record,
            ctx.record.first_id + rows,
            np.asarray(ctx.day),
            registration=ctx.registration,
            first_seq=ctx.table.episode_seq,
        )  # fmt: skip
        for a, m in MODEL_ACTIONS.items()
    }
    recent = ctx.table.referred_within(ctx.day, ctx.params["referral_repeat_window_days"])[:, _DPP]
    return {
        "qrisk3_statin": eligible["qrisk3_statin"] & (ctx.dose[:, _ATORVASTATIN] == 0),
        "qdiabetes_dpp": eligible["qdiabetes_dpp"] & ~recent,
    }


def write_back(record: Record, runs: Sequence[ModelRun]) -> list[dict[str, Any]]:
    """Write ``runs``' scores into the GP record in one write; each run's audit entry (``info["model_outputs"]``)."""
    write_scores(record, *(run.result for run in runs))
    entries = []
    for run in runs:
        trigger = {
            "action": run.action, "threshold_percent": run.threshold_percent,
            "order": dataclasses.asdict(run.spec.order), "patients": (record.first_id + run.triggered).tolist(),
        }  # fmt: skip
        entries.append({**run.result.to_audit(), "trigger": trigger})
    return entries
