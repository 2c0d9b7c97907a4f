"""Model-triggered actions: deploy a packaged model on the GP record, then act if the score is high.

``qrisk3_statin`` and ``qdiabetes_dpp`` run :func:`twin_env.models.deployment.deploy`, the harness
monitoring uses (contract eligibility, missing-data policy, provenance), on the rows that chose
them. Each scored run is written back into the GP record (the observation's ``qrisk3`` feature
is read from there); a score at or above the :class:`~twin_env.envs.config.EnvConfig` threshold
triggers the action's order. A refused run does nothing; its reason is in the run's audit entry
(``info["model_outputs"]``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from twin_env.envs.observation import MEDICATIONS, SERVICES
from twin_env.models.deployment import DeploymentResult, deploy, eligible_on_record
from twin_env.simulation import Simulation
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


def run_model(ctx: RecordContext, action: str, rows: np.ndarray, *, write_back: bool) -> DeploymentResult:
    """Deploy the model of ``action`` on batch ``rows`` of the record as of ``ctx.day``."""
    if ctx.record is None or ctx.registration is None:
        raise ValueError("RecordContext.record and .registration are needed to deploy a model (see Batch.context)")
    rows = np.asarray(rows, dtype=np.int64)
    return deploy(
        MODEL_ACTIONS[action].model, ctx.record, ctx.record.first_id + rows, np.datetime64(ctx.day, "D"),
        registration=ctx.registration, write_back=write_back, first_seq=ctx.table.episode_seq[rows],
    )  # fmt: skip


def triggered(ctx: RecordContext, action: str, result: DeploymentResult) -> np.ndarray:
    """(n,) bool: scored runs at or above the action's threshold."""
    with np.errstate(invalid="ignore"):
        return result.scored & (result.score >= ctx.params[MODEL_ACTIONS[action].threshold])


def model_masks(ctx: RecordContext) -> dict[str, np.ndarray]:
    """Action -> (N,) bool: the model is eligible on the record (its contract) and the order is not redundant.

    ``qrisk3_statin`` also needs no current atorvastatin, ``qdiabetes_dpp`` no DPP referral within
    ``referral_repeat_window_days``. All False without a record to deploy on.
    """
    n = len(ctx.table.episode_seq)
    if ctx.record is None or ctx.registration is None:
        return {a: np.zeros(n, dtype=bool) for a in MODEL_ACTIONS}
    rows = np.arange(n)
    eligible = {
        a: eligible_on_record(
            m.model, ctx.record, ctx.record.first_id + rows, np.asarray(ctx.day),
            registration=ctx.registration, first_seq=ctx.table.episode_seq,
        )  # fmt: skip
        for a, m in MODEL_ACTIONS.items()
    }
    recent = ctx.table.referred_within(ctx.day, ctx.params["referral_repeat_window_days"])[:, _DPP]
    return {
        "qrisk3_statin": eligible["qrisk3_statin"] & (ctx.dose[:, _ATORVASTATIN] == 0),
        "qdiabetes_dpp": eligible["qdiabetes_dpp"] & ~recent,
    }


def model_orders(ctx: RecordContext, action: str, row: int) -> list[Order]:
    """The model run and, if its score reaches the threshold, the order it triggers (nothing is written)."""
    return batch_model_orders(ctx, action, np.array([row]))[0]


def batch_model_orders(ctx: RecordContext, action: str, rows: np.ndarray) -> list[list[Order]]:
    """:func:`model_orders` for several batch ``rows``: one deployment per distinct decision date.

    Each row is deployed as of its own date (vector-env rows drift apart after auto-resets).
    """
    spec = MODEL_ACTIONS[action]
    rows = np.asarray(rows, dtype=np.int64)
    days = np.broadcast_to(np.asarray(ctx.day), (len(ctx.age_years),))[rows]
    out: list[list[Order]] = [[] for _ in rows]
    for day in np.unique(days).tolist():
        sel = np.flatnonzero(days == day)
        on = dataclasses.replace(ctx, day=int(day), model_outputs=[])
        hit = triggered(on, action, run_model(on, action, rows[sel], write_back=False))
        for k, h in zip(sel.tolist(), hit.tolist()):
            out[k] = [Order("model", spec.model), *([spec.order] if h else [])]
    return out


def apply_model_action(sim: Simulation, ctx: RecordContext, action: str, rows: np.ndarray) -> dict[str, Any]:
    """Run the model on ``rows`` (writing scores back), carry out the triggered order; the run's audit entry."""
    spec = MODEL_ACTIONS[action]
    result = run_model(ctx, action, rows, write_back=True)
    go = np.asarray(rows)[triggered(ctx, action, result)]
    if spec.order.kind == "prescribe":
        sim.prescribe(go, spec.order.name, float(spec.order.dose))  # type: ignore[arg-type]
    else:
        sim.refer(go, spec.order.name)
    trigger = {
        "action": action, "threshold_percent": ctx.params[spec.threshold], "order": dataclasses.asdict(spec.order),
        "patients": (sim.record.first_id + go).tolist(),
    }  # fmt: skip
    return {**result.to_audit(), "trigger": trigger}
