"""Record throughput: FHIR rendering vs fhir.resources, full ``simulate`` speed, record memory.

Run: ``python benchmarks/record_throughput.py`` (one core). Prints a table and writes
``benchmarks/results/record_throughput.json``. Targets (issue 3): our FHIR renderer >= 10x
fhir.resources R4B models; >= 100 patient-decades/s for ``simulate`` with every format;
1,000 patient-decades of in-memory record < 100 MB.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_rate, print_table, write_results  # noqa: E402


def _source(n: int, years: float, seed: int = 1):
    from twin_env.care import CareSimulation
    from twin_env.formats.export import RecordSource
    from twin_env.twin import sample_population

    state, dx = sample_population(n, seed, min_age=40, max_age=74)
    sim = CareSimulation(state, dx)
    for _ in range(int(round(years * 12))):
        sim.step()
    return RecordSource.from_simulation(sim)


def fhir_rates(n_patients: int = 50) -> tuple[float, float]:
    """Resources per second: our renderer (bundle + JSON) vs fhir.resources R4B models (build + JSON)."""
    from fhir.resources.R4B import get_fhir_model_class

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

    def models() -> int:
        for resource in resources:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource).model_dump_json()
        return len(resources)

    return best_rate(ours, repeats=3, min_seconds=1.0), best_rate(models, repeats=2, min_seconds=1.0)


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


def main() -> None:
    ours, models = fhir_rates()
    pd_rate, seconds = simulate_rate()
    per_pd = record_bytes()
    rows = [
        ["FHIR resources/s, our renderer (bundle + JSON)", f"{ours:,.0f}", ""],
        ["FHIR resources/s, fhir.resources R4B (build + JSON)", f"{models:,.0f}", ""],
        ["renderer speed-up", f"{ours / models:.1f}x", ">= 10x"],
        ["simulate, all formats: patient-decades/s", f"{pd_rate:,.0f} ({seconds:.1f} s for 1,000)", ">= 100"],
        ["record bytes per patient-decade", f"{per_pd:,.0f}", ""],
        ["record MB per 1,000 patient-decades", f"{per_pd * 1000 / 1e6:.1f}", "< 100"],
    ]
    print_table(["measure", "value", "target"], rows)
    path = write_results("record_throughput", {
        "fhir_resources_per_s_ours": ours,
        "fhir_resources_per_s_fhir_resources_r4b": models,
        "fhir_speedup": ours / models,
        "simulate_patient_decades_per_s": pd_rate,
        "simulate_seconds_1000_patient_decades": seconds,
        "record_bytes_per_patient_decade": per_pd,
        "record_mb_per_1000_patient_decades": per_pd * 1000 / 1e6,
    })
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
