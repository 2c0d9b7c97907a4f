"""Evaluate policies on the fixed evaluation cohort: per-patient outcomes, means and 95% CIs.

Each policy runs one episode per patient on the native vector env (``episodes`` rows seeded
``seed``; population :data:`agents.cohorts.EVAL_POPULATION_SEED`), so every policy meets the same
patients. Outputs (:func:`write_outputs`): ``results.json``, ``table.md``, ``outcomes.csv``
(plot data: one row per policy and metric) and ``per_patient.csv``. PNG charts are not drawn
(matplotlib is not a dependency); plot from ``outcomes.csv``.
"""

from __future__ import annotations

import collections
import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from agents.cohorts import EVAL_POPULATION_SEED, eval_config
from agents.metrics import METRICS, OutcomeAccumulator, mean_ci
from agents.policies import Policy, make_policy, policy_inputs
from twin_env.envs.vector_env import PrimaryCareVectorEnv

#: Safety-harness hook: ``twin_env.safety`` was not available when this was written, so proposed
#: and executed rule violations are reported as null and ``shielded=True`` is refused.
SAFETY_AVAILABLE = False


def rollout(
    policy: Policy, episodes: int, seed: int, config: dict[str, Any] | None = None
) -> tuple[dict[str, np.ndarray], collections.Counter]:
    """Run ``policy`` for one episode on each of ``episodes`` evaluation patients.

    Returns per-patient metrics ({name: (episodes,)}) and a count of the policy's reasons.
    """
    cfg = eval_config(config)
    env = PrimaryCareVectorEnv(episodes, cfg)
    obs, _ = env.reset(seed=seed)
    policy.reset(seed)
    acc = OutcomeAccumulator(episodes, cfg.willingness_to_pay_gbp)
    reasons: collections.Counter = collections.Counter()
    batch = env._batch
    while acc.active.any():
        inputs = policy_inputs(env, obs)
        actions, why = policy.act(inputs)
        reasons.update(w for w, a in zip(why, acc.active.tolist()) if a)
        acc.before_step(batch, actions, inputs.mask)
        obs, _, terminated, truncated, info = env.step(actions)
        acc.after_step(batch, info["reward_components"], terminated | truncated, cfg.dt_years)
    return acc.per_patient(), reasons


def evaluate(
    policies: list[str], episodes: int, seed: int, config: dict[str, Any] | None = None, shielded: bool = False
) -> dict[str, Any]:
    """Evaluate each named policy (or trained-model directory); a JSON-ready results dict."""
    if shielded and not SAFETY_AVAILABLE:
        raise NotImplementedError("--shielded needs twin_env.safety (the safety harness), which is not available yet")
    if episodes < 2:
        raise ValueError(f"episodes must be >= 2 for a confidence interval, got {episodes}")
    out: dict[str, Any] = {
        "episodes": episodes,
        "seed": seed,
        "population_seed": EVAL_POPULATION_SEED,
        "config": eval_config(config).to_dict(),
        "shielded": shielded,
        "ci": "normal approximation, mean +/- 1.96 SD/sqrt(n)",
        "policies": {},
    }
    per_patient: dict[str, dict[str, np.ndarray]] = {}
    for name in policies:
        policy = make_policy(name, seed)
        values, reasons = rollout(policy, episodes, seed, config)
        per_patient[policy.name] = values
        out["policies"][policy.name] = {
            "metrics": {m: mean_ci(v) for m, v in values.items()},
            "safety": {
                "proposed_violations": None,
                "executed_violations": None,
                "note": "twin_env.safety not available",
            },
            "top_reasons": dict(reasons.most_common(10)),
        }
    if "do_nothing" in per_patient:
        base = per_patient["do_nothing"]["nmb_gbp"]
        for name, values in per_patient.items():
            out["policies"][name]["nmb_vs_do_nothing_gbp"] = mean_ci(values["nmb_gbp"] - base)  # paired (same patients)
    out["per_patient"] = {p: {m: v.tolist() for m, v in d.items()} for p, d in per_patient.items()}
    return out


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
}


def markdown_table(results: dict[str, Any]) -> str:
    """Policies as rows, metrics as columns: mean (95% CI)."""
    cols = list(METRICS)
    head = ["policy", *[f"{METRICS[m][0]} ({METRICS[m][1]})" for m in cols], "NMB vs do-nothing (GBP, paired)"]
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


def write_outputs(results: dict[str, Any], out_dir: str | Path) -> None:
    """``results.json``, ``table.md``, ``outcomes.csv`` (plot data) and ``per_patient.csv`` in ``out_dir``."""
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
        w.writerow(["policy", "patient_row", *METRICS])
        for name, d in results["per_patient"].items():
            for i in range(results["episodes"]):
                w.writerow([name, i, *[d[m][i] for m in METRICS]])
