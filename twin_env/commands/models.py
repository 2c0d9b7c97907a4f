"""``twin-env models evaluate``: deploy QRISK3 or QDiabetes on a simulated cohort, record vs truth.

Prints the markdown report (with ClinRisk's disclaimer); with ``--out DIR`` also writes
``report.json``, ``report.md``, ``calibration.csv`` (the calibration plot's data) and, with
matplotlib installed (the ``viz`` extra), ``calibration.png``.
"""

from __future__ import annotations

import argparse
import sys

from twin_env.analysis.model_monitoring import evaluate
from twin_env.analysis.monitoring_plot import calibration_plot
from twin_env.commands import CommandError, atomic_output_dir, check_output_dir
from twin_env.commands.checks import MAX_SEED, int_arg, years_arg
from twin_env.models.deployment import MODELS

__all__ = ["add_parser", "run"]

MAX_PATIENTS = 10_000_000


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``models`` (with its ``evaluate`` action) on the top-level subparsers."""
    parser = subparsers.add_parser("models", help="deploy and monitor prediction models on the twin")
    actions = parser.add_subparsers(dest="models_action", required=True)
    ev = actions.add_parser(
        "evaluate", help="deploy a model on a simulated cohort; calibration and C statistic, record vs truth"
    )
    ev.add_argument("--model", required=True, choices=sorted(MODELS))
    ev.add_argument(
        "--patients",
        type=int_arg(1, MAX_PATIENTS),
        default=20_000,
        help=f"cohort size (1 to {MAX_PATIENTS:,}; default 20000)",
    )
    ev.add_argument("--seed", type=int_arg(0, MAX_SEED), default=0)
    ev.add_argument(
        "--history-years",
        type=years_arg(50, zero=True),
        default=2.0,
        help="years simulated before deployment (whole months, 0-50; default 2)",
    )
    ev.add_argument(
        "--follow-up-years",
        type=years_arg(50),
        default=10.0,
        help="years of outcomes after deployment (whole months, up to 50; default 10)",
    )
    ev.add_argument("--out", default=None, help="directory for report.json, report.md, calibration.csv and .png")
    ev.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``models evaluate``; 0 on success (bad input raises :class:`CommandError`)."""
    if args.out is not None:
        check_output_dir(args.out, overwrite=args.overwrite)
    try:
        report = evaluate(
            args.model, args.patients, args.seed, history_years=args.history_years, follow_up_years=args.follow_up_years
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.out is not None:
        with atomic_output_dir(args.out, overwrite=args.overwrite) as work:
            report.write(work)
            try:
                calibration_plot(report, work / "calibration.png")
            except ModuleNotFoundError as exc:
                sys.stderr.write(f"calibration.png not written: {exc}\n")
    sys.stdout.write(report.to_markdown())
    return 0
