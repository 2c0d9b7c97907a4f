"""Evaluate policies on a cohort (the fixed evaluation cohort by default): per-patient outcomes, audits, 95% CIs.

Each policy runs one episode per patient on the native vector env (``episodes`` rows seeded
``seed``; population ``population_seed``, default :data:`twin_env.evaluation.cohorts.EVAL_POPULATION_SEED`), so
every policy meets the same patients. Every evaluation reports the outcomes (:data:`METRICS`) and the behaviour
audits (:mod:`twin_env.evaluation.audits`), overall and by age band, with intervals from
:mod:`twin_env.evaluation.intervals`, and paired differences against do-nothing and the NICE guideline when they
are evaluated too. With ``shielded`` the env runs behind
:class:`~twin_env.envs.wrappers.vector_shield.VectorSafetyShield` (``replace`` mode) and the proposed and
executed hard violations and soft costs are reported per patient. Outputs (:func:`write_outputs`):
``results.json``, ``table.md``, ``outcomes.csv`` (plot data: one row per policy and metric),
``per_patient.csv`` and, with matplotlib, ``outcomes.png`` and ``timeline_<policy>.png``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from twin_env.evaluation.audits import AGE_BANDS, AUDIT_METRICS, AUDIT_SUMMARY, REPORTED_AGE_BANDS, age_bands
from twin_env.evaluation.cohorts import POPULATION_ROLES, cohort_config, evaluation_population
from twin_env.evaluation.intervals import METHODS, paired_difference, summarise
from twin_env.evaluation.metric_kinds import ALL_METRICS, INTERVAL_KINDS
from twin_env.evaluation.metrics import METRICS, SAFETY_METRICS
from twin_env.evaluation.rollout import check_observation_space, rollout
from twin_env.evaluation.shards import shard_count, sharded_rollouts
from twin_env.evaluation.tables import SUMMARY_COLUMNS, markdown_table, report_markdown
from twin_env.policies import Policy, make_policy
from twin_env.trials.shard_backend import Sharding, shard_bounds

__all__ = [
    "ALL_METRICS",
    "DIFFERENCE_METRICS",
    "INTERVAL_KINDS",
    "PAIRED_REFERENCES",
    "SUMMARY_COLUMNS",
    "evaluate",
    "evaluation_overrides",
    "json_safe",
    "markdown_table",
    "report_markdown",
    "check_observation_space",
    "rollout",
    "write_outputs",
]

#: Policies every other policy is compared with, paired on the same patients, when they are evaluated too.
PAIRED_REFERENCES: tuple[str, ...] = ("do_nothing", "nice_guideline")
#: Metrics compared pairwise: the outcomes, the audit totals and the shield's counts (by kind and by issuer the
#: paired bootstrap would double an evaluation's interval time at 20,000 patients for little).
DIFFERENCE_METRICS: tuple[str, ...] = (*METRICS, *AUDIT_SUMMARY, *SAFETY_METRICS)
#: Per-patient columns that describe the patient rather than measure the policy.
PATIENT_COLUMNS: tuple[str, ...] = ("start_age_years",)
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


def summarise_metrics(values: dict[str, np.ndarray], rows: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """``{metric: {mean, ci_low, ci_high, n}}`` of per-patient ``values`` (on ``rows`` only, if given)."""
    pick = (lambda v: v) if rows is None else (lambda v: v[rows])
    return {m: summarise(pick(v), INTERVAL_KINDS[m]) for m, v in values.items() if m not in PATIENT_COLUMNS}


def by_age_band(values: dict[str, np.ndarray]) -> dict[str, dict[str, dict[str, float]]]:
    """``{band: {metric: summary}}`` for :data:`~twin_env.evaluation.audits.REPORTED_AGE_BANDS` and any other band
    with patients (ages at the start of the episode)."""
    band = age_bands(values["start_age_years"])
    names = [b[0] for b in AGE_BANDS if b[0] in REPORTED_AGE_BANDS or (band == b[0]).any()]
    return {name: summarise_metrics(values, np.flatnonzero(band == name)) for name in names}


def paired_differences(per_patient: dict[str, dict[str, np.ndarray]], name: str) -> dict[str, dict[str, Any]]:
    """``{reference: {metric: paired summary of name - reference}}`` for each of :data:`PAIRED_REFERENCES` evaluated
    and each of :data:`DIFFERENCE_METRICS` reported."""
    mine = per_patient[name]
    return {
        ref: {m: paired_difference(mine[m], per_patient[ref][m]) for m in DIFFERENCE_METRICS if m in mine}
        for ref in PAIRED_REFERENCES
        if ref in per_patient and ref != name
    }


def evaluate(
    policies: list[str | Policy],
    episodes: int,
    seed: int,
    config: dict[str, Any] | None = None,
    shielded: bool = False,
    population_seed: int | None = None,
    algo: str | None = None,
    progress: bool = False,
    sharding: Sharding | None = None,
) -> dict[str, Any]:
    """Evaluate each policy (a name or specification for :func:`~twin_env.policies.make_policy`, or a
    :class:`Policy`); a JSON-ready results dict.

    ``population_seed``: the population the patients are drawn from (default: ``config``'s, else the documented
    evaluation population). ``algo``: for a saved ``.zip`` that does not say which algorithm saved it.
    ``progress``: draw a tqdm bar on stderr. ``sharding``: run each policy over contiguous shards of the cohort
    (:mod:`twin_env.evaluation.shards`; default one, in this process): the results are the same for every
    sharding; a policy whose rows depend on each other (``batch_dependent``) runs as one shard. Raises ``ValueError``
    (one line) for more shards than episodes.
    """
    if episodes < 2:
        raise ValueError(f"episodes must be >= 2 for a confidence interval, got {episodes}")
    made = [make_policy(p, seed, algo=algo) for p in policies]
    names = [p.name for p in made]
    if len(set(names)) != len(names):
        raise ValueError(f"two policies share a name in {names}; allowed: each policy once")
    config = evaluation_overrides(config, made)
    population = evaluation_population(config, population_seed)
    out: dict[str, Any] = {
        "episodes": episodes,
        "seed": seed,
        "population_seed": population,
        "population": POPULATION_ROLES.get(population, "other"),
        "shielded": shielded,
        "shield_mode": "replace" if shielded else None,
        "ci": {"level": 0.95, **METHODS},
        "interval_kinds": INTERVAL_KINDS,
        "policies": {},
        "timelines": {},
    }
    cfg = cohort_config(config, population)
    out["config"] = cfg.to_dict()
    per_patient: dict[str, dict[str, np.ndarray]] = {}
    sharding = sharding or Sharding()
    shard_bounds(episodes, sharding.shards)  # more shards than patients: refused before any rollout
    counts = [shard_count(policy, sharding) for policy in made]
    with tqdm(total=sum(counts) * cfg.max_steps, desc="evaluate", unit="step", disable=not progress) as bar:
        if sharding.shards > 1:
            merged = sharded_rollouts(
                policies, made, episodes, seed, config, shielded, population, algo, sharding, bar, cfg.max_steps
            )
        for k, policy in enumerate(made):
            bar.set_description(f"evaluate {policy.name}")
            if sharding.shards == 1:
                values, reasons, timeline = rollout(policy, episodes, seed, config, shielded, population, bar)
            else:
                values, reasons, timeline = merged[k]
            per_patient[policy.name] = values
            out["policies"][policy.name] = {
                "metrics": summarise_metrics(values),
                "by_age_band": by_age_band(values),
                "safety": _safety_totals(values, shielded),
                "top_reasons": dict(reasons.most_common(10)),
            }
            out["timelines"][policy.name] = timeline
    for name in per_patient:
        diffs = paired_differences(per_patient, name)
        out["policies"][name]["paired_differences"] = diffs
        if "do_nothing" in per_patient:
            same = {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": episodes}
            out["policies"][name]["nmb_vs_do_nothing_gbp"] = (
                same if name == "do_nothing" else diffs["do_nothing"]["nmb_gbp"]
            )
    out["per_patient"] = {p: {m: v.tolist() for m, v in d.items()} for p, d in per_patient.items()}
    return out


def _safety_totals(values: dict[str, np.ndarray], shielded: bool) -> dict[str, float]:
    """Cohort totals of the record's hard violations by issuer and (``shielded``) of the shield's counts
    (the per-patient means are in ``metrics``)."""
    keys = [k for k in AUDIT_METRICS if k.startswith("record_hard_violations")]
    return {k: float(values[k].sum()) for k in (*(SAFETY_METRICS if shielded else ()), *keys)}


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
    (out / "table.md").write_text(report_markdown(results))
    with (out / "outcomes.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["policy", "metric", "mean", "ci_low", "ci_high", "n", "age_band"])
        for name, r in results["policies"].items():
            for band, metrics in {"all": r["metrics"], **r["by_age_band"]}.items():
                for m, s in metrics.items():
                    w.writerow([name, m, s["mean"], s["ci_low"], s["ci_high"], s["n"], band])
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
