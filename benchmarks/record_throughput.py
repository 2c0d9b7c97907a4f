"""Record throughput: FHIR rendering vs fhir.resources, full ``simulate`` speed, record memory.

Run: ``python benchmarks/record_throughput.py`` (one core; ``--fhir-only`` runs just the FHIR
comparison and writes nothing). Prints a table and writes ``benchmarks/results/record_throughput.json``.
Targets (issue 3): our FHIR renderer >= 10x fhir.resources R4B models; >= 100 patient-decades/s
for ``simulate`` with every format; 1,000 patient-decades of in-memory record < 100 MB.

FHIR comparison (like for like). Both sides start from the same record (50 patients, 10 years,
seed 1), render every patient's GP record as one Bundle and serialise it to one JSON string, and
count the same resources (the Bundle's entries). Per patient:

- ours: ``fhir_bundle(source, p)`` (read the record's GP and imaging views, make the ids, look
  up the codes, build plain dicts: the entries and the Bundle) then ``dumps`` (``json``, sorted
  keys, compact);
- fhir.resources: the same ``fhir_bundle(source, p)`` as the models' input (reading the record
  and assembling the nested inputs is work a model-based renderer does too; constructing the
  models from keyword arguments validates the same nested structures), then each entry's
  resource built as its R4B model (``model_validate``), the models wrapped in ``BundleEntry`` s
  and a ``Bundle``, and ``Bundle.model_dump_json()``. (Validating the whole Bundle dict in one
  ``Bundle.model_validate`` gives the same JSON but was about 10% slower, so it is not used.)

The two JSON strings hold the same content (checked before timing; they differ only in key
order and in writing UTC instants as ``Z`` rather than ``+00:00``). Our side also sorts keys,
which fhir.resources does not. Each side is warmed up once first (NHS-number serials, code and
validator caches), then the two are timed in alternation, best of 3 rounds of at least 1 s each,
in one process, so both see the same machine load. Also reported, as a conservative lower bound:
fhir.resources' model step alone (``model_validate`` + ``model_dump_json`` of each prebuilt
resource dict; no record read, no input assembly, no Bundle), which is what this script measured
before; our end-to-end rate divided by it is the speed-up against that.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_rate, print_table, write_results  # noqa: E402


def _source(n: int, years: float, seed: int = 1):
    from twin_env.formats.export import RecordSource
    from twin_env.simulation import simulate

    return RecordSource.from_simulation(simulate(n, seed, years, min_age_years=40, max_age_years=74))


def _same_content(ours: str, models: str) -> bool:
    """True if two FHIR JSON texts hold the same content (UTC instants as ``Z`` or ``+00:00``)."""

    def norm(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: norm(v) for k, v in node.items()}
        if isinstance(node, list):
            return [norm(v) for v in node]
        if isinstance(node, str) and node.endswith("+00:00"):
            return node[: -len("+00:00")] + "Z"
        return node

    return norm(json.loads(ours)) == norm(json.loads(models))


def fhir_rates(n_patients: int = 50, rounds: int = 3) -> dict[str, float]:
    """Resources per second, from the same record to the same Bundle JSON (see the module docstring).

    Keys: ``ours``, ``models`` (fhir.resources end to end), ``models_step`` (fhir.resources
    validate + serialise of prebuilt resource dicts only), ``resources`` (per pass over the patients).
    """
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.bundle import Bundle, BundleEntry

    from twin_env.formats.export import fhir_bundle
    from twin_env.formats.fhir_resources import dumps

    source = _source(n_patients, 10.0)
    patients = list(source.patients)
    resources = [e["resource"] for p in patients for e in fhir_bundle(source, p)["entry"]]

    def ours() -> int:
        count = 0
        for p in patients:
            bundle = fhir_bundle(source, p)
            dumps(bundle)
            count += len(bundle["entry"])
        return count

    def model_json(bundle: dict[str, Any]) -> str:
        entries = [
            BundleEntry(
                fullUrl=e["fullUrl"],
                resource=get_fhir_model_class(e["resource"]["resourceType"]).model_validate(e["resource"]),
            )
            for e in bundle["entry"]
        ]
        return Bundle(id=bundle["id"], meta=bundle["meta"], type=bundle["type"], entry=entries).model_dump_json()

    def models() -> int:
        count = 0
        for p in patients:
            bundle = fhir_bundle(source, p)
            model_json(bundle)
            count += len(bundle["entry"])
        return count

    def models_step() -> int:
        for resource in resources:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource).model_dump_json()
        return len(resources)

    for p in patients:  # same content, checked once (also warms the caches of both sides)
        bundle = fhir_bundle(source, p)
        if not _same_content(dumps(bundle), model_json(bundle)):
            raise AssertionError(f"patient {p}: fhir.resources and our renderer disagree on the bundle")
    models_step()
    rates = {"ours": 0.0, "models": 0.0, "models_step": 0.0}
    for _ in range(rounds):  # alternate, so both sides see the same machine load
        for name, run in (("ours", ours), ("models", models), ("models_step", models_step)):
            gc.collect()
            rates[name] = max(rates[name], best_rate(run, repeats=1, min_seconds=1.0))
    return {**rates, "resources": float(len(resources))}


def simulate_rate(n_patients: int = 1_000, years: float = 10.0) -> tuple[float, float]:
    """Patient-decades per second of ``twin-env simulate`` with every format, and its seconds."""
    from twin_env.commands.simulate import SimulationConfig, simulate

    config = SimulationConfig(patients=n_patients, years=years, seed=1, min_age=40, max_age=74)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        simulate(config, Path(tmp) / "out")
        seconds = time.perf_counter() - start
    return n_patients * years / 10.0 / seconds, seconds


def record_bytes(n_patients: int = 1_000, years: float = 10.0) -> float:
    """Bytes of the in-memory record per patient-decade."""
    source = _source(n_patients, years)
    return source.record.nbytes / (n_patients * years / 10.0)


def _fhir_rows(fhir: dict[str, float]) -> list[list[str]]:
    ours, models, step = fhir["ours"], fhir["models"], fhir["models_step"]
    return [
        [
            f"FHIR resources/s, ours: record -> dicts -> Bundle JSON ({fhir['resources']:,.0f} resources, 50 patients)",
            f"{ours:,.0f}",
            "",
        ],
        ["FHIR resources/s, fhir.resources R4B: record -> dicts -> Bundle model -> JSON", f"{models:,.0f}", ""],
        ["renderer speed-up, like for like (same record, same Bundle JSON)", f"{ours / models:.1f}x", ">= 10x"],
        ["FHIR resources/s, fhir.resources model step only (prebuilt dicts -> model -> JSON)", f"{step:,.0f}", ""],
        ["ours vs fhir.resources model step only (conservative bound)", f"{ours / step:.1f}x", ""],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fhir-only", action="store_true", help="only the FHIR comparison; write no JSON")
    args = parser.parse_args()
    fhir = fhir_rates()
    if args.fhir_only:
        print_table(["measure", "value", "target"], _fhir_rows(fhir))
        return
    ours, models = fhir["ours"], fhir["models"]
    pd_rate, seconds = simulate_rate()
    per_pd = record_bytes()
    rows = [
        *_fhir_rows(fhir),
        ["simulate, all formats: patient-decades/s", f"{pd_rate:,.0f} ({seconds:.1f} s for 1,000)", ">= 100"],
        ["record bytes per patient-decade", f"{per_pd:,.0f}", ""],
        ["record MB per 1,000 patient-decades", f"{per_pd * 1000 / 1e6:.1f}", "< 100"],
    ]
    print_table(["measure", "value", "target"], rows)
    path = write_results(
        "record_throughput",
        {
            "fhir_resources_per_s_ours": ours,
            "fhir_resources_per_s_fhir_resources_r4b": models,
            "fhir_speedup": ours / models,
            "fhir_resources_per_s_fhir_resources_r4b_model_step_only": fhir["models_step"],
            "fhir_speedup_vs_model_step_only": ours / fhir["models_step"],
            "fhir_resources_per_pass": fhir["resources"],
            "simulate_patient_decades_per_s": pd_rate,
            "simulate_seconds_1000_patient_decades": seconds,
            "record_bytes_per_patient_decade": per_pd,
            "record_mb_per_1000_patient_decades": per_pd * 1000 / 1e6,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
