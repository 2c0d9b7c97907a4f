"""Evaluate policies on the fixed evaluation cohort: per-patient outcomes, means and 95% CIs.

Each policy runs one episode per patient on the native vector env (``episodes`` rows seeded
``seed``; population :data:`twin_env.evaluation.cohorts.EVAL_POPULATION_SEED`), so every policy meets the same
patients. With ``shielded`` the env runs behind
:class:`~twin_env.envs.wrappers.vector_shield.VectorSafetyShield` (``replace`` mode) and the proposed and
executed hard violations and soft costs are reported per patient. Outputs (:func:`write_outputs`):
``results.json``, ``table.md``, ``outcomes.csv`` (plot data: one row per policy and metric),
``per_patient.csv`` and, with matplotlib, ``outcomes.png`` and ``timeline_<policy>.png``.
"""

from __future__ import annotations

import collections
import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.evaluation.cohorts import EVAL_POPULATION_SEED, cohort_config
from twin_env.evaluation.metrics import METRICS, RECORD_SAFETY_METRICS, SAFETY_METRICS, OutcomeAccumulator, mean_ci
from twin_env.evaluation.timeline import TimelineRecorder, example_row
from twin_env.policies import Policy, make_policy, policy_inputs

#: Every reported metric: key -> (label, unit).
ALL_METRICS = {**METRICS, **SAFETY_METRICS, **RECORD_SAFETY_METRICS}
#: EnvConfig fields a trained model's actions depend on: it is evaluated with the values it was trained with.
MODEL_BOUND_FIELDS: tuple[str, ...] = ("decision_interval_months", "observation_mode", "action_set")
#: What a trained model's saved config means by a field it does not name (configs from before the field existed).
_SAVED_DEFAULTS: dict[str, Any] = {"action_set": "v0"}


def evaluation_overrides(config: dict[str, Any] | None, policies: list[Policy]) -> dict[str, Any]:
    """``config`` plus, for :data:`MODEL_BOUND_FIELDS` it leaves unset, the trained models' values.

    Every policy is then evaluated in that env (baselines decide as often as the models do).
    Raises ``ValueError`` when models disagree or ``config`` contradicts a model.
    """
    overrides = dict(config or {})
    trained = {p.name: p.env_config for p in policies if getattr(p, "env_config", None) is not None}
    for field in MODEL_BOUND_FIELDS:
        values = {
            name: cfg.get(field, _SAVED_DEFAULTS.get(field))
            for name, cfg in trained.items()
            if field in cfg or field in _SAVED_DEFAULTS
        }
        if not values:
            continue
        if field not in overrides:
            if len(set(values.values())) > 1:
                raise ValueError(f"trained models disagree on {field} ({values}); evaluate them separately")
            overrides[field] = next(iter(values.values()))
        for name, value in values.items():
            if overrides.get(field) != value:
                raise ValueError(
                    f"{name} was trained with {field}={value!r} but the evaluation config sets {field}="
                    f"{overrides[field]!r}; leave {field} unset to use the model's"
                )
    return overrides


def rollout(
    policy: Policy,
    episodes: int,
    seed: int,
    config: dict[str, Any] | None = None,
    shielded: bool = False,
    population_seed: int = EVAL_POPULATION_SEED,
) -> tuple[dict[str, np.ndarray], collections.Counter, dict[str, Any]]:
    """Run ``policy`` for one episode on each of ``episodes`` patients (evaluation population by default).

    Returns per-patient metrics ({name: (episodes,)}), a count of the policy's reasons and the
    example patient's timeline (:mod:`twin_env.evaluation.timeline`).
    """
    cfg = cohort_config(config, population_seed)
    base = PrimaryCareVectorEnv(episodes, cfg)
    env = VectorSafetyShield(base, mode="replace") if shielded else base
    obs, _ = env.reset(seed=seed)
    policy.reset(seed)
    acc = OutcomeAccumulator(episodes, cfg.willingness_to_pay_gbp, shielded=shielded)
    reasons: collections.Counter = collections.Counter()
    batch = base.batch
    timeline = TimelineRecorder(batch, example_row(batch))
    while acc.active.any():
        inputs = policy_inputs(base, obs)
        actions, why = policy.act(inputs)
        reasons.update(w for w, a in zip(why, acc.active.tolist()) if a)
        acc.before_step(batch, actions, inputs.mask)
        day = int(batch.sim.days[timeline.row])
        obs, _, terminated, truncated, info = env.step(actions)
        executed = info["executed_action"] if shielded else np.where(info["action_executed"], actions, 0)
        timeline.record_step(day, int(actions[timeline.row]), int(executed[timeline.row]))
        if shielded:
            acc.add_safety(info)
        done = terminated | truncated
        if done[timeline.row]:
            timeline.finish(batch)
        acc.after_step(batch, info["reward_components"], done, cfg.dt_years)
    return acc.per_patient(), reasons, timeline.data or {}


def evaluate(
    policies: list[str], episodes: int, seed: int, config: dict[str, Any] | None = None, shielded: bool = False
) -> dict[str, Any]:
    """Evaluate each named policy (or trained-model directory); a JSON-ready results dict."""
    if episodes < 2:
        raise ValueError(f"episodes must be >= 2 for a confidence interval, got {episodes}")
    out: dict[str, Any] = {
        "episodes": episodes,
        "seed": seed,
        "population_seed": EVAL_POPULATION_SEED,
        "shielded": shielded,
        "shield_mode": "replace" if shielded else None,
        "ci": "normal approximation, mean +/- 1.96 SD/sqrt(n)",
        "policies": {},
        "timelines": {},
    }
    per_patient: dict[str, dict[str, np.ndarray]] = {}
    made = [make_policy(name, seed) for name in policies]
    config = evaluation_overrides(config, made)
    out["config"] = cohort_config(config, EVAL_POPULATION_SEED).to_dict()
    for policy in made:
        values, reasons, timeline = rollout(policy, episodes, seed, config, shielded)
        per_patient[policy.name] = values
        out["policies"][policy.name] = {
            "metrics": {m: mean_ci(v) for m, v in values.items()},
            "safety": _safety_totals(values) if shielded else None,
            "top_reasons": dict(reasons.most_common(10)),
        }
        out["timelines"][policy.name] = timeline
    if "do_nothing" in per_patient:
        base = per_patient["do_nothing"]["nmb_gbp"]
        for name, values in per_patient.items():
            out["policies"][name]["nmb_vs_do_nothing_gbp"] = mean_ci(values["nmb_gbp"] - base)  # paired (same patients)
    out["per_patient"] = {p: {m: v.tolist() for m, v in d.items()} for p, d in per_patient.items()}
    return out


def interval_gap(results: dict[str, Any], better: str, worse: str, metric: str = "nmb_gbp") -> float:
    """Lower 95% bound of ``better`` minus upper bound of ``worse`` (unpaired intervals):
    > 0 iff they do not overlap."""
    a, b = results["policies"][better]["metrics"][metric], results["policies"][worse]["metrics"][metric]
    return float(a["ci_low"] - b["ci_high"])


def _safety_totals(values: dict[str, np.ndarray]) -> dict[str, float]:
    """Cohort totals of the shield's counts (the per-patient means are in ``metrics``)."""
    return {k: float(values[k].sum()) for k in (*SAFETY_METRICS, *RECORD_SAFETY_METRICS)}


def _fmt(s: dict[str, float], digits: int) -> str:
    if s["n"] == 0 or math.isnan(s["mean"]):
        return "n/a"
    return f"{s['mean']:.{digits}f} ({s['ci_low']:.{digits}f}, {s['ci_high']:.{digits}f})"


_DIGITS = {
    "qalys": 3,
    "cost_gbp": 0,
    "nmb_gbp": 0,
    "cvd_events": 3,
    "deaths": 3,
    "time_bp_target": 2,
    "time_hba1c_target": 2,
    "tests_per_py": 2,
    "referrals_per_py": 3,
    "masked_proposals_per_py": 2,
    "proposed_hard_violations": 3,
    "executed_hard_violations": 3,
    "soft_cost": 3,
    **dict.fromkeys(RECORD_SAFETY_METRICS, 3),
}


#: The short comparison table (``twin-env demo``): outcomes and safety.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "nmb_gbp",
    "qalys",
    "cost_gbp",
    "cvd_events",
    "proposed_hard_violations",
    "executed_hard_violations",
    "record_hard_violations",
)


def markdown_table(results: dict[str, Any], columns: tuple[str, ...] | None = None) -> str:
    """Policies as rows, metrics as columns: mean (95% CI); safety columns only when evaluated shielded."""
    cols = [m for m in (columns or ALL_METRICS) if m in METRICS or results["shielded"]]
    head = ["policy", *[f"{ALL_METRICS[m][0]} ({ALL_METRICS[m][1]})" for m in cols], "NMB vs do-nothing (GBP, paired)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in results["policies"].items():
        paired = _fmt(r["nmb_vs_do_nothing_gbp"], 0) if "nmb_vs_do_nothing_gbp" in r else "-"
        lines.append("| " + " | ".join([name, *[_fmt(r["metrics"][m], _DIGITS[m]) for m in cols], paired]) + " |")
    return "\n".join(lines) + "\n"


def json_safe(x: Any) -> Any:
    """NaN -> None (JSON null), recursively."""
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_safe(v) for v in x]
    return None if isinstance(x, float) and math.isnan(x) else x


def write_outputs(results: dict[str, Any], out_dir: str | Path, plots: bool = True) -> list[Path]:
    """``results.json``, ``table.md``, ``outcomes.csv``, ``per_patient.csv`` and (``plots``) the PNGs; the PNG paths.

    Plots need matplotlib (the ``viz`` extra): ``ImportError`` with an install hint if missing.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(json_safe(results), indent=2, sort_keys=True, allow_nan=False))
    (out / "table.md").write_text(markdown_table(results))
    with (out / "outcomes.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["policy", "metric", "mean", "ci_low", "ci_high", "n"])
        for name, r in results["policies"].items():
            for m, s in r["metrics"].items():
                w.writerow([name, m, s["mean"], s["ci_low"], s["ci_high"], s["n"]])
    with (out / "per_patient.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        for k, (name, d) in enumerate(results["per_patient"].items()):
            if k == 0:
                w.writerow(["policy", "patient_row", *d])
            for i in range(results["episodes"]):
                w.writerow([name, i, *[v[i] for v in d.values()]])
    if not plots:
        return []
    from twin_env.evaluation.plots import write_plots  # noqa: PLC0415 (matplotlib is optional)

    return write_plots(results, out)
