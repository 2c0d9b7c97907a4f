"""Twins of simulated patients built from their exported FHIR records only: the cohort both patient-twin checks use.

:func:`twinned_cohort` samples patients aged 40-80, simulates them under usual care (record artefacts included),
exports each survivor's GP record as a FHIR Bundle (:func:`twin_env.formats.export.fhir_bundle`), reads it back
(:func:`twin_env.read_record`, as of the simulation's end, with ``impossible_values="ignore"``: these are the
project's own exports, artefacts included, and about 1 in 95 carries an impossible value such as a unit slip, which
is listed as ignored rather than refusing the record) and builds its posterior ensemble
(:func:`twin_env.twin_from_record`). A Bundle the reader still refuses is listed under ``unreadable`` and left out.
Used by the round trip (:mod:`twin_env.analysis.patient_twin_roundtrip`) and the forecast check
(:mod:`twin_env.trials.forecast_check`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from twin_env.formats.export import RecordSource, fhir_bundle
from twin_env.patient_twin.bundle_errors import RecordReadError
from twin_env.patient_twin.posterior import PatientTwin, twin_from_record
from twin_env.patient_twin.reading import read_record
from twin_env.patient_twin.record import PatientRecord
from twin_env.simulation import Simulation, simulate
from twin_env.twin.cohort import validate_seed

MIN_AGE_YEARS, MAX_AGE_YEARS = 40.0, 80.0
DECILES = 10


@dataclasses.dataclass
class TwinnedCohort:
    """The simulation, and for each survivor whose record was read: its row, record and twin (same order)."""

    sim: Simulation
    source: RecordSource
    patients: list[int]
    records: list[PatientRecord]
    twins: list[PatientTwin]
    unreadable: list[str]


def twinned_cohort(patients: int, seed: int, years: float, n_samples: int) -> TwinnedCohort:
    """``patients`` of population ``seed`` simulated ``years``, each survivor twinned with ``n_samples`` samples
    (seeded ``seed + row``) from the FHIR export of their GP record alone."""
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < 1:
        raise ValueError(f"patients must be an integer >= 1, got {patients!r}")
    seed = validate_seed(seed)
    sim = simulate(patients, seed, float(years), min_age_years=MIN_AGE_YEARS, max_age_years=MAX_AGE_YEARS)
    source = RecordSource.from_simulation(sim)
    cohort = TwinnedCohort(sim, source, [], [], [], [])
    for patient in np.flatnonzero(sim.state.alive):
        try:
            record = read_record(fhir_bundle(source, int(patient)), as_of=source.end, impossible_values="ignore")
        except RecordReadError as error:  # a Bundle the reader refuses even with impossible values ignored
            cohort.unreadable.append(f"patient {patient}: {error}")
            continue
        cohort.patients.append(int(patient))
        cohort.records.append(record)
        cohort.twins.append(twin_from_record(record, n_samples=n_samples, seed=seed + int(patient)))
    return cohort


def decile_calibration(predicted: np.ndarray, observed: np.ndarray) -> dict:
    """Expected (sum of predicted probabilities (n,)) vs observed (bool (n,)), O/E, and both by decile of prediction."""
    order = np.argsort(predicted, kind="stable")
    deciles = [
        {
            "n": int(idx.size),
            "predicted_percent": round(100.0 * float(predicted[idx].mean()), 2),
            "observed_percent": round(100.0 * float(observed[idx].mean()), 2),
        }
        for idx in np.array_split(order, DECILES)
        if idx.size
    ]
    expected = float(predicted.sum())
    return {
        "n": int(predicted.size),
        "expected": round(expected, 2),
        "observed": int(observed.sum()),
        "o_e": round(float(observed.sum()) / expected, 3) if expected > 0 else None,
        "by_decile": deciles,
    }


def check_main(
    argv: list[str] | None,
    *,
    prog: str,
    description: str | None,
    run: Callable[[int, int, int], dict],
    default_samples: int,
    stem: str,
    plot: Callable[[dict, Path], Path],
    table: Callable[[dict], str],
) -> int:
    """The CLI of a patient-twin check: ``--patients --seed --samples --out``; ``run(patients, seed, samples)``
    gives the report, written to ``DIR/<stem>.json`` and plotted to ``DIR/<stem>.png``; prints ``table(report)``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--patients", type=int, default=200, help="patients to simulate (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="population seed (default 0)")
    samples_help = f"posterior samples per patient (default {default_samples})"
    parser.add_argument("--samples", type=int, default=default_samples, help=samples_help)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    try:
        report = run(args.patients, args.seed, args.samples)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.out / f"{stem}.png")
    print(table(report))
    return 0
