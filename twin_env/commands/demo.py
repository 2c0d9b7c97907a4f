"""``twin-env demo``: the main job end to end: records in every format, then a shielded policy comparison.

1. simulate 500 patients aged 40-74 for 10 years and write every format (``records/``);
2. train MaskablePPO briefly (60,000 env steps on 16 patients at a time on the v1 training env, ``ppo/``);
3. evaluate the five baselines, the shipped agent (``agent``, ``docs/report.md`` section 6) and the brief
   PPO behind the vector safety shield (``replace`` mode) on 200 evaluation patients x 10 years
   (``evaluation/``: JSON, markdown, CSVs, plots);
4. print the comparison table and where everything is.

Everything is deterministic for the fixed seeds: training runs a fixed number of env steps
(``--train-timesteps``); ``--train-minutes`` is only a safety stop (a run it stops varies between machines,
and the demo says so). ``--quick`` shrinks every stage (for tests).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from twin_env.commands import CommandError, atomic_output_dir, check_output_dir
from twin_env.commands.checks import int_arg, real_arg
from twin_env.commands.evaluate import DEFAULT_POLICIES
from twin_env.commands.simulate import SimulationConfig, simulate
from twin_env.policies.pretrained import AGENT

__all__ = ["DEMO", "POLICIES", "QUICK", "add_parser", "run", "summary"]

#: Policies evaluated besides the brief PPO: the baselines and the shipped agent (``agent``, whichever it is).
POLICIES: tuple[str, ...] = (*DEFAULT_POLICIES, AGENT)
#: Full and ``--quick`` settings: records cohort, evaluation cohort, training budget.
DEMO: dict[str, Any] = {
    "records": SimulationConfig(patients=500, years=10.0, seed=2024, min_age=40.0, max_age=74.0),
    "episodes": 200,
    "eval_years": 10.0,
    "timesteps": 60_000,
    "n_envs": 16,
    "validation_patients": 500,
}
QUICK: dict[str, Any] = {
    "records": SimulationConfig(patients=20, years=1.0, seed=2024, min_age=40.0, max_age=74.0),
    "episodes": 8,
    "eval_years": 1.0,
    "timesteps": 256,
    "n_envs": 8,
    "validation_patients": 8,
}


def summary(manifest: dict[str, Any], out: Path) -> str:
    """A short plain-text table of what the records run produced."""
    config = manifest["config"]
    rows = [
        ("patients", f"{config['patients']:,} aged {config['min_age']:g}-{config['max_age']:g}"),
        ("simulated", f"{manifest['start_date']} to {manifest['end_date']} (seed {manifest['seed']})"),
        ("ledger events", f"{manifest['ledger_events']:,}"),
        ("deaths", f"{manifest['deaths']:,}"),
        ("admissions", f"{manifest['admissions']:,}"),
    ]
    for system, items in manifest["record_items"].items():
        rows.append((f"{system} items", f"{sum(items.values()):,}"))
    for name, counts in manifest["outputs"].items():
        rows.append((f"{name} files", f"{counts['files']:,} in {out / name}"))
    rows.append(("manifest", str(out / "manifest.json")))
    return _columns(rows)


def _columns(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="records in every format, then a shielded comparison of policies and a brief PPO",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--out", type=Path, default=Path("demo_output"), help="output directory (replaced)")
    parser.add_argument(
        "--train-minutes",
        type=real_arg(0, 24 * 60, lo_open=True),
        default=5.0,
        help="safety stop of PPO training (wall-clock minutes, up to a day; default 5)",
    )
    parser.add_argument(
        "--train-timesteps",
        type=int_arg(1, 10**9),
        default=None,
        help=f"env steps of PPO training (default {DEMO['timesteps']:,}; {QUICK['timesteps']} with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny settings (seconds; for tests)")
    parser.set_defaults(func=run)


def _has_matplotlib() -> bool:
    """The learning-curve plot is drawn when matplotlib (the viz extra) is there; the demo runs without it."""
    try:
        import matplotlib  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def _step(n: int, text: str, started: float) -> None:
    print(f"[{n}/4 {time.monotonic() - started:5.0f} s] {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from twin_env.evaluation.evaluate import SUMMARY_COLUMNS, evaluate, markdown_table, write_outputs  # noqa: PLC0415

    check_output_dir(args.out, overwrite=True)
    try:
        from twin_env.training.train import train  # noqa: PLC0415 (needs the sb3 extra)
    except ImportError as exc:
        raise CommandError(
            f"the demo trains an agent: it needs stable-baselines3 and sb3-contrib (pip install 'twin-env[sb3]'): {exc}"
        ) from None
    s = QUICK if args.quick else DEMO
    started, out = time.monotonic(), args.out.absolute()
    with atomic_output_dir(out, overwrite=True) as work:
        rec = s["records"]
        _step(1, f"simulating {rec.patients} patients for {rec.years:g} years and writing every format", started)
        manifest = simulate(rec, work / "records", overwrite=True, progress=sys.stderr.isatty())
        steps = s["timesteps"] if args.train_timesteps is None else args.train_timesteps
        _step(2, f"training MaskablePPO for {steps:,} env steps (stop after {args.train_minutes:g} min)", started)
        train(
            "maskable_ppo",
            steps,
            0,
            work / "ppo",
            n_envs=s["n_envs"],
            max_minutes=args.train_minutes,
            validation_patients=s["validation_patients"],
            log_every=max(steps // 6, 1),
            plots=_has_matplotlib(),
        )
        cohort = f"{s['episodes']} patients x {s['eval_years']:g} years"
        _step(3, f"evaluating {', '.join(POLICIES)} and the brief PPO behind the safety shield on {cohort}", started)
        results = evaluate(
            [*POLICIES, str(work / "ppo")], s["episodes"], 0, {"horizon_years": s["eval_years"]}, shielded=True
        )
        _step(4, "writing tables and plots", started)
        try:
            plots = [str(out / "evaluation" / p.name) for p in write_outputs(results, work / "evaluation")]
        except ImportError as exc:
            plots = [f"none: {exc}"]
    print(summary(manifest, out / "records"))
    print()
    print(markdown_table(results, SUMMARY_COLUMNS), end="")
    ev = out / "evaluation"
    print()
    print(_columns([
        ("records", f"{out / 'records'} (fhir, hl7, letters, opensafely, manifest.json)"),
        ("evaluation", f"{ev / 'results.json'}, {ev / 'table.md'} (every metric), outcomes.csv, per_patient.csv"),
        ("plots", ", ".join(plots)),
        ("PPO model", f"{out / 'ppo' / 'model.zip'} (config.json, learning_curve.csv/.png, tensorboard/)"),
        ("time", f"{time.monotonic() - started:.0f} s"),
    ]))  # fmt: skip
    return 0
