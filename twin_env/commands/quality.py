"""``twin-env quality``: the record measured against the truth (coded conditions, artefacts, prevalence).

Simulates ``--patients`` people aged 40-85 for ``--years`` under usual care and prints the
record-quality report (:mod:`twin_env.analysis.record_quality`) and the recorded prevalence
against published figures (:mod:`twin_env.analysis.recorded_prevalence`). ``--json FILE`` writes
them as JSON: ``{"conditions": {name: {"ppv", "sensitivity", "truly_present", "coded"}}, ...}``,
written to a temporary sibling and renamed, so FILE is complete or untouched.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from twin_env.commands.checks import MAX_SEED, int_arg, years_arg
from twin_env.commands.errors import CommandError

__all__ = ["add_parser", "report_json", "run"]

MAX_PATIENTS, MAX_YEARS = 200_000, 50.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quality",
        help="measure the record against the truth: PPV and sensitivity of coded conditions, artefacts",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "--patients", type=int_arg(1, MAX_PATIENTS), required=True, help=f"patients (1 to {MAX_PATIENTS:,})"
    )
    parser.add_argument(
        "--years", type=years_arg(MAX_YEARS), required=True, help=f"years, a whole number of months (to {MAX_YEARS:g})"
    )
    parser.add_argument("--seed", type=int_arg(0, MAX_SEED), default=0, help="random seed (default 0)")
    parser.add_argument("--no-artefacts", action="store_true", help="a record without artefacts")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the report as JSON")
    parser.set_defaults(func=run)


def _number(x: float) -> float | None:
    """JSON has no NaN: None where nothing was measured."""
    return None if isinstance(x, float) and math.isnan(x) else x


def report_json(report: Any, prevalence: Any) -> dict[str, Any]:
    """The JSON document of a :class:`~twin_env.analysis.record_quality.QualityReport` and a prevalence table."""
    return {
        "patients": report.patients,
        "years": report.years,
        "seed": report.seed,
        "artefacts": report.artefacts,
        "conditions": {
            r["condition"]: {
                "ppv": _number(r["ppv"]),
                "sensitivity": _number(r["sensitivity"]),
                "truly_present": r["true"],
                "coded": r["coded"],
            }
            for r in report.conditions
        },
        "completeness": {k: {"share": _number(v), "n": n} for k, (v, n) in report.completeness.items()},
        "correctness": {k: {"share": _number(v), "n": n} for k, (v, n) in report.correctness.items()},
        "checks": [
            {
                "setting": c.setting,
                "configured": c.configured,
                "measured": _number(c.measured),
                "tolerance": _number(c.tolerance),
                "ok": c.ok,
            }
            for c in report.checks
        ],
        "recorded_prevalence": [row.as_dict() for row in prevalence],
    }


def _check_json_path(path: Path) -> None:
    if path.exists() and path.is_dir():
        raise CommandError(f"--json {str(path)!r} is a directory; allowed: a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CommandError(f"--json {str(path)!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise CommandError(f"--json {str(path)!r}: directory {str(parent)!r} is not writable")


def run(args: argparse.Namespace) -> int:
    """Simulate, measure, print markdown; write JSON if asked. Returns 0."""
    from twin_env.analysis import record_quality, recorded_prevalence  # noqa: PLC0415 (keeps --help light)

    if args.json is not None:
        _check_json_path(args.json)
    sim = record_quality.simulate(args.patients, args.years, args.seed, artefacts=not args.no_artefacts)
    report = record_quality.measure(sim, seed=args.seed, years=args.years)
    prevalence = recorded_prevalence.measure(sim)
    sys.stdout.write(record_quality.to_markdown(report))
    sys.stdout.write("\n" + recorded_prevalence.to_markdown(prevalence))
    if args.json is not None:
        text = json.dumps(report_json(report, prevalence), indent=2, sort_keys=False) + "\n"
        tmp = args.json.with_name(f".{args.json.name}.partial-{os.getpid()}")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, args.json)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CommandError(f"--json {str(args.json)!r}: cannot write ({exc.strerror})") from None
        sys.stdout.write(f"\nwrote {args.json}\n")
    return 0
