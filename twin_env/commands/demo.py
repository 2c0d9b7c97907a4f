"""``twin-env demo``: 1,000 patients aged 40-74 for 10 years, every format, and a short summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from twin_env.commands.simulate import SimulationConfig, simulate

__all__ = ["DEMO", "add_parser", "run", "summary"]

DEMO = SimulationConfig(patients=1_000, years=10.0, seed=2024, min_age=40.0, max_age=74.0)


def summary(manifest: dict[str, Any], out: Path) -> str:
    """A short plain-text table of what the run produced."""
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
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="simulate 1,000 patients for 10 years and write every format",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_output"), help="output directory (replaced)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    manifest = simulate(DEMO, args.out, overwrite=True, progress=sys.stderr.isatty())
    print(summary(manifest, args.out))
    return 0
