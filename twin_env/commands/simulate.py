"""``twin-env simulate``: sample a cohort, simulate care, write every format and a manifest.

The output directory holds ``fhir/``, ``hl7/``, ``letters/``, ``opensafely/`` (``fhir_ndjson/``
with ``--fhir-ndjson``) and
``manifest.json`` (counts per format and per record item type, the seed, the configuration and
package versions; no timestamps, so the same seed gives a byte-identical directory). It is
written into a temporary sibling and renamed at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.commands import CommandError, ProgressBar, atomic_output_dir
from twin_env.formats.export import BUNDLE_TYPES, FORMATS, RecordSource, check_formats, write_outputs

__all__ = ["SimulationConfig", "add_parser", "run", "simulate"]

_PACKAGES = ("twin-env", "numpy", "pandas", "fhirclient")
_PROGRESS_MIN_PATIENTS = 2_000  # smaller runs finish in seconds: no bar


@dataclasses.dataclass(frozen=True)
class SimulationConfig:
    """What to simulate: ``patients`` aged ``min_age``-``max_age`` for ``years``, monthly steps."""

    patients: int
    years: float
    seed: int
    min_age: float = 0.0
    max_age: float = 100.0
    artefacts: bool = True
    formats: tuple[str, ...] = FORMATS
    fhir_bundle_type: str = "collection"
    fhir_ndjson: bool = False

    def __post_init__(self) -> None:
        if self.patients < 0:
            raise CommandError(f"--patients must be a non-negative integer, got {self.patients}")
        if not (self.years >= 0 and np.isfinite(self.years)):
            raise CommandError(f"--years must be a non-negative number, got {self.years:g}")
        if self.seed < 0:
            raise CommandError(f"--seed must be a non-negative integer, got {self.seed}")
        if not 0 <= self.min_age <= self.max_age <= 100:
            raise CommandError(f"ages must satisfy 0 <= --min-age <= --max-age <= 100, got {self.min_age:g}-{self.max_age:g}")
        try:
            object.__setattr__(self, "formats", check_formats(self.formats))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if self.fhir_bundle_type not in BUNDLE_TYPES:
            allowed = ", ".join(BUNDLE_TYPES)
            raise CommandError(f"--fhir-bundle-type must be one of {allowed}, got {self.fhir_bundle_type!r}")
        if self.fhir_ndjson and "fhir" not in self.formats:
            raise CommandError("--fhir-ndjson needs the fhir format; add fhir to --formats")


def _versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _record_counts(source: RecordSource) -> dict[str, dict[str, int]]:
    from twin_env.record.store import ItemType

    counts = {}
    for system, store in source.record.stores.items():
        items, n = np.unique(store.columns["item"], return_counts=True)
        counts[system] = {ItemType(int(i)).name.lower(): int(k) for i, k in zip(items, n)}
    return counts


def simulate(
    config: SimulationConfig,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = False,
    validate: bool = False,
) -> dict[str, Any]:
    """Run ``config`` and write every chosen format plus ``manifest.json`` to ``out``; return the manifest.

    ``validate`` checks every FHIR bundle with the R4 models before it is written; a failure is a
    ``CommandError`` naming the patient and nothing is left at ``out``.
    """
    if validate and "fhir" not in config.formats:
        raise CommandError("--validate checks the FHIR output; add fhir to --formats")
    from twin_env.record.ledger import LedgerKind
    from twin_env.simulation import simulate as run_simulation

    with atomic_output_dir(out, overwrite=overwrite) as work:
        show = progress and config.patients >= _PROGRESS_MIN_PATIENTS
        bar = ProgressBar("simulate", int(round(config.years * 12)), enabled=show)
        sim = run_simulation(config.patients, config.seed, config.years, min_age_years=config.min_age,
                             max_age_years=config.max_age, artefacts=config.artefacts,
                             on_step=lambda _, done: bar.update(done))
        source = RecordSource.from_simulation(sim)
        bar = ProgressBar("write", config.patients, enabled=show)
        try:
            counts = write_outputs(source, work, formats=config.formats, progress=bar.update,
                                   fhir_bundle_type=config.fhir_bundle_type, fhir_ndjson=config.fhir_ndjson,
                                   validate=validate)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        kinds = sim.ledger.columns["kind"]
        manifest = {
            "config": {**dataclasses.asdict(config), "formats": list(config.formats)},
            "seed": config.seed,
            "start_date": source.start.isoformat(),
            "end_date": source.end.isoformat(),
            "ledger_events": len(sim.ledger),
            "deaths": int((kinds == LedgerKind.DEATH).sum()),
            "admissions": int((kinds == LedgerKind.ADMISSION).sum()),
            "record_items": _record_counts(source),
            "outputs": counts,
            "versions": _versions(),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("simulate", help="simulate a cohort and write its record in every format",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, required=True, help="number of patients (>= 0)")
    parser.add_argument("--years", type=float, required=True, help="years to simulate, in monthly steps")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), metavar="FORMAT",
                        help=f"formats to write (default: all of {', '.join(FORMATS)})")
    parser.add_argument("--min-age", type=float, default=0.0, help="youngest age at the start (years)")
    parser.add_argument("--max-age", type=float, default=100.0, help="oldest age at the start (years)")
    parser.add_argument("--no-artefacts", action="store_true", help="record exactly what happened (no delays, gaps or errors)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    parser.add_argument("--fhir-bundle-type", choices=BUNDLE_TYPES, default="collection",
                        help="FHIR Bundle type: collection (default) or transaction (every entry PUT <type>/<id>)")
    parser.add_argument("--fhir-ndjson", action="store_true",
                        help="also write the FHIR resources as Bulk Data NDJSON, one file per resource type")
    parser.add_argument("--validate", action="store_true",
                        help="check every FHIR resource with the FHIR R4 models (fhirclient) before writing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = SimulationConfig(
        patients=args.patients, years=args.years, seed=args.seed, min_age=args.min_age, max_age=args.max_age,
        artefacts=not args.no_artefacts, formats=tuple(args.formats),
        fhir_bundle_type=args.fhir_bundle_type, fhir_ndjson=args.fhir_ndjson,
    )
    manifest = simulate(
        config, args.out, overwrite=args.overwrite, progress=sys.stderr.isatty(), validate=args.validate
    )
    files = sum(c["files"] for c in manifest["outputs"].values())
    print(f"wrote {files} files for {config.patients} patients to {args.out}")
    return 0
