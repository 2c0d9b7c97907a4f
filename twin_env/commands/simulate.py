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
import math
import numbers
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.commands import CommandError, ProgressBar, atomic_output_dir
from twin_env.commands.checks import MAX_SEED, check_budget, int_arg, physical_memory_bytes, real_arg, years_arg
from twin_env.formats.export import BUNDLE_TYPES, FORMATS, RecordSource, check_formats, write_outputs

__all__ = ["SimulationConfig", "add_parser", "run", "simulate"]

_PACKAGES = ("twin-env", "numpy", "pandas", "fhirclient")
_PROGRESS_MIN_PATIENTS = 2_000  # smaller runs finish in seconds: no bar
MAX_PATIENTS, MAX_YEARS = 10_000_000, 100.0
#: Budget estimates (docs/cli.md; deliberately high; measured peak RSS 245 MB for 500 patients x 5 years and 253 MB for
#: 2,000 x 5; about 75 patient-years/s on a loaded 2-core machine): memory at start and per patient-year,
#: throughput, and the longest run accepted.
BASE_BYTES, BYTES_PER_PATIENT_YEAR = 300 * 2**20, 2_000
PATIENT_YEARS_PER_S, MAX_RUN_S = 100.0, 7 * 86400.0


def _max_patient_years() -> float:
    by_memory = (physical_memory_bytes() - BASE_BYTES) / BYTES_PER_PATIENT_YEAR
    return max(0.0, min(by_memory, MAX_RUN_S * PATIENT_YEARS_PER_S))


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
        for name, lo, hi in (("patients", 1, MAX_PATIENTS), ("seed", 0, MAX_SEED)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
                raise CommandError(f"--{name} must be an integer in [{lo:,}, {hi:,}], got {value!r}")
        for name in ("years", "min_age", "max_age"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise CommandError(f"--{name.replace('_', '-')} must be a finite number, got {value!r}")
        try:
            years_arg(MAX_YEARS)(repr(float(self.years)))
        except argparse.ArgumentTypeError as exc:
            raise CommandError(f"--years {exc}") from None
        if not 0 <= self.min_age <= self.max_age <= 100:
            raise CommandError(
                f"ages must satisfy 0 <= --min-age <= --max-age <= 100, got {self.min_age:g}-{self.max_age:g}"
            )
        if not isinstance(self.artefacts, bool):
            raise CommandError(f"artefacts must be a bool, got {self.artefacts!r}")
        try:
            object.__setattr__(self, "formats", check_formats(self.formats))
        except (TypeError, ValueError) as exc:
            raise CommandError(f"--formats: {exc}") from None
        if self.fhir_bundle_type not in BUNDLE_TYPES:
            allowed = ", ".join(BUNDLE_TYPES)
            raise CommandError(f"--fhir-bundle-type must be one of {allowed}, got {self.fhir_bundle_type!r}")
        if self.fhir_ndjson and "fhir" not in self.formats:
            raise CommandError("--fhir-ndjson needs the fhir format; add fhir to --formats")
        patient_years = self.patients * self.years
        check_budget(
            f"--patients {self.patients:,} x --years {self.years:g} ({patient_years:,.0f} patient-years)",
            patient_years * BYTES_PER_PATIENT_YEAR + BASE_BYTES,
            patient_years / PATIENT_YEARS_PER_S,
            f"up to about {_max_patient_years():,.0f} patient-years per run here (split a larger cohort over seeds)",
            max_seconds=MAX_RUN_S,
        )


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
        sim = run_simulation(
            config.patients,
            config.seed,
            config.years,
            min_age_years=config.min_age,
            max_age_years=config.max_age,
            artefacts=config.artefacts,
            on_step=lambda _, done: bar.update(done),
        )
        source = RecordSource.from_simulation(sim)
        bar = ProgressBar("write", config.patients, enabled=show)
        try:
            counts = write_outputs(
                source,
                work,
                formats=config.formats,
                progress=bar.update,
                fhir_bundle_type=config.fhir_bundle_type,
                fhir_ndjson=config.fhir_ndjson,
                validate=validate,
            )
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
    parser = subparsers.add_parser(
        "simulate", help="simulate a cohort and write its record in every format", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--patients",
        type=int_arg(1, MAX_PATIENTS),
        required=True,
        help=f"number of patients (1 to {MAX_PATIENTS:,}; memory permitting)",
    )
    parser.add_argument(
        "--years",
        type=years_arg(MAX_YEARS),
        required=True,
        help=f"years to simulate, a whole number of months (1/12 to {MAX_YEARS:g})",
    )
    parser.add_argument("--seed", type=int_arg(0, MAX_SEED), default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--formats",
        nargs="+",
        default=list(FORMATS),
        metavar="FORMAT",
        help=f"formats to write (default: all of {', '.join(FORMATS)})",
    )
    parser.add_argument(
        "--min-age", type=real_arg(0, 100), default=0.0, help="youngest age at the start (years, 0-100)"
    )
    parser.add_argument(
        "--max-age", type=real_arg(0, 100), default=100.0, help="oldest age at the start (years, 0-100)"
    )
    parser.add_argument(
        "--no-artefacts", action="store_true", help="record exactly what happened (no delays, gaps or errors)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    parser.add_argument(
        "--fhir-bundle-type",
        choices=BUNDLE_TYPES,
        default="collection",
        help="FHIR Bundle type: collection (default) or transaction (every entry PUT <type>/<id>)",
    )
    parser.add_argument(
        "--fhir-ndjson",
        action="store_true",
        help="also write the FHIR resources as Bulk Data NDJSON, one file per resource type",
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="check every FHIR resource with the FHIR R4 models (fhirclient) before writing",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = SimulationConfig(
        patients=args.patients,
        years=args.years,
        seed=args.seed,
        min_age=args.min_age,
        max_age=args.max_age,
        artefacts=not args.no_artefacts,
        formats=tuple(args.formats),
        fhir_bundle_type=args.fhir_bundle_type,
        fhir_ndjson=args.fhir_ndjson,
    )
    manifest = simulate(
        config, args.out, overwrite=args.overwrite, progress=sys.stderr.isatty(), validate=args.validate
    )
    files = sum(c["files"] for c in manifest["outputs"].values())
    print(f"wrote {files} files for {config.patients} patients to {args.out}")
    return 0
