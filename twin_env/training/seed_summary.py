"""Training runs summarised across seeds, rliable style: per-run validation scores, their mean and IQM with
stratified-bootstrap 95% intervals (the ``rliable`` package, Agarwal et al. 2021, "Deep RL at the edge of the
statistical precipice"), and the honestly selected run (the best validation score; the evaluation population
is never looked at).

A run's score is the validation NMB vs do-nothing (GBP per patient, paired on the validation cohort) of the
checkpoint it kept (``config.json`` ``validation.selected``); its last checkpoint's score is reported too (the
kept one is the maximum over the run's validations, so it is optimistic by construction).

    python -m twin_env.training.seed_summary runs/lagrangian runs/plain   # each holding seed_<S>/ runs
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Bootstrap replications and the seed of the intervals (deterministic output). rliable resamples through numpy's
#: global generator (``np.random.choice``, whatever ``random_state`` says), so it is seeded for the call and restored.
#: With n seeds there are only C(2n-1, n) distinct resamples (10 for 3 seeds): 2,000 replications are plenty.
BOOTSTRAP_REPS, BOOTSTRAP_SEED = 2_000, 0


def run_scores(run_dir: str | Path) -> dict[str, Any]:
    """One ``twin-env train`` run: seed, steps, minutes, shield, Lagrangian settings and validation scores (GBP)."""
    run = Path(run_dir)
    config = json.loads((run / "config.json").read_text())
    validation = config.get("validation")
    if not validation or not validation.get("selected"):
        raise ValueError(f"{run}: the run has no validation score (trained with --validation-patients 0)")
    with (run / "validation_curve.csv").open() as fh:
        curve = list(csv.DictReader(fh))
    lagrangian = config.get("lagrangian")
    return {
        "run": str(run),
        "seed": config["seed"],
        "trained_timesteps": config["trained_timesteps"],
        "training_minutes": config["training_minutes"],
        "shield": config["shield"],
        "cost_limit_per_episode": None if lagrangian is None else lagrangian["cost_limit_per_episode"],
        "final_multiplier": None if lagrangian is None else lagrangian["final_multiplier"],
        "validation_patients": validation["patients"],
        "selected_timesteps": validation["selected"]["timesteps"],
        "validation_nmb_vs_do_nothing_gbp": validation["selected"]["nmb_vs_do_nothing_gbp"],
        "validation_ci_gbp": [validation["selected"]["ci_low_gbp"], validation["selected"]["ci_high_gbp"]],
        "last_validation_nmb_vs_do_nothing_gbp": float(curve[-1]["nmb_vs_do_nothing_gbp"]),
    }


def across_seeds(scores: Sequence[float], reps: int | None = None) -> dict[str, Any]:
    """Mean and interquartile mean of per-seed ``scores`` (GBP) with 95% stratified-bootstrap (percentile)
    intervals from ``rliable`` (``reps`` replications, default :data:`BOOTSTRAP_REPS`); ``n`` seeds. With 3
    seeds the intervals only span the seeds seen."""
    from rliable import library as rly  # noqa: PLC0415 (optional: the sb3 extra)
    from rliable import metrics  # noqa: PLC0415

    reps = BOOTSTRAP_REPS if reps is None else reps
    values = np.asarray(scores, dtype=float).reshape(-1, 1)  # (runs, tasks = 1)
    if values.shape[0] < 2:
        raise ValueError(f"across_seeds needs at least 2 runs, got {values.shape[0]}")
    aggregate = lambda x: np.array([metrics.aggregate_mean(x), metrics.aggregate_iqm(x)])  # noqa: E731
    saved = np.random.get_state()
    np.random.seed(BOOTSTRAP_SEED)
    try:
        points, intervals = rly.get_interval_estimates({"runs": values}, aggregate, reps=reps)
    finally:
        np.random.set_state(saved)
    (mean, iqm), ci = points["runs"], intervals["runs"]
    return {
        "n": int(values.shape[0]),
        "mean": float(mean),
        "mean_ci": [float(ci[0, 0]), float(ci[1, 0])],
        "iqm": float(iqm),
        "iqm_ci": [float(ci[0, 1]), float(ci[1, 1])],
        "method": f"rliable stratified bootstrap, percentile, {reps} reps, seed {BOOTSTRAP_SEED}",
    }


def summarise(groups: dict[str, Sequence[str | Path]]) -> dict[str, Any]:
    """``{group name: run directories}`` -> per-run scores, across-seed aggregates per group and the selected run
    (highest kept-checkpoint validation score over all groups)."""
    out: dict[str, Any] = {"groups": {}}
    best: dict[str, Any] | None = None
    for name, dirs in groups.items():
        runs = [run_scores(d) for d in dirs]
        scores = [r["validation_nmb_vs_do_nothing_gbp"] for r in runs]
        out["groups"][name] = {
            "runs": runs,
            "kept_checkpoint": across_seeds(scores),
            "last_checkpoint": across_seeds([r["last_validation_nmb_vs_do_nothing_gbp"] for r in runs]),
        }
        for r in runs:
            if best is None or r["validation_nmb_vs_do_nothing_gbp"] > best["validation_nmb_vs_do_nothing_gbp"]:
                best = {**r, "group": name}
    out["selected"] = best
    return out


def markdown(summary: dict[str, Any]) -> str:
    """The per-run table and the across-seed lines (GBP per patient vs do-nothing on the validation cohort)."""
    lines = [
        "| group | seed | steps | minutes | final lambda | kept at | validation NMB (95% CI) | last checkpoint |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, group in summary["groups"].items():
        for r in group["runs"]:
            lam = "-" if r["final_multiplier"] is None else f"{r['final_multiplier']:.2f}"
            low, high = r["validation_ci_gbp"]
            lines.append(
                f"| {name} | {r['seed']} | {r['trained_timesteps']:,} | {r['training_minutes']:.1f} | {lam} | "
                f"{r['selected_timesteps']:,} | {r['validation_nmb_vs_do_nothing_gbp']:+,.0f} ({low:+,.0f} to "
                f"{high:+,.0f}) | {r['last_validation_nmb_vs_do_nothing_gbp']:+,.0f} |"
            )
    lines.append("")
    for name, group in summary["groups"].items():
        for which in ("kept_checkpoint", "last_checkpoint"):
            a = group[which]
            lines.append(
                f"- {name}, {which.replace('_', ' ')}: mean {a['mean']:+,.0f} GBP ({a['mean_ci'][0]:+,.0f} to "
                f"{a['mean_ci'][1]:+,.0f}), IQM {a['iqm']:+,.0f} ({a['iqm_ci'][0]:+,.0f} to {a['iqm_ci'][1]:+,.0f}), "
                f"{a['n']} seeds"
            )
    s = summary["selected"]
    lines.append(f"- selected: {s['group']} seed {s['seed']} ({s['run']})")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="+", type=Path, help="directories of seed_<S>/ runs, one per group")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary as JSON here")
    args = parser.parse_args(argv)
    groups = {g.name: sorted(p for p in g.glob("seed_*") if (p / "config.json").is_file()) for g in args.groups}
    empty = [name for name, runs in groups.items() if len(runs) < 2]
    if empty:
        parser.error(f"groups {empty} hold fewer than 2 finished seed_<S>/ runs; allowed: directories with 2 or more")
    try:
        summary = summarise(groups)
    except ValueError as exc:
        parser.error(str(exc))
    print(markdown(summary), end="")
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
