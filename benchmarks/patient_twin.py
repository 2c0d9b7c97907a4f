"""Patient twin: time to read a FHIR record and infer its posterior ensemble (n_samples 200), per patient.

Run: ``python benchmarks/patient_twin.py`` (one core). Prints a table and writes
``benchmarks/results/patient_twin.json``. Records: the shipped example (``examples/patient_record.json``)
and the GP records of 5 simulated patients (seed 3, 5 years of usual care, ages 40-80) exported as FHIR.
Each record is read (:func:`twin_env.read_record`) and inferred (:func:`twin_env.twin_from_record`,
n_samples 200, seed 0) once to warm up (the compiled kernels), then timed best of 3. The reference, in
the same process, is Gymnasium's CartPole-v1 with random actions (``benchmarks/common.py``): a twin's time
is also given in CartPole steps, which is comparable between machines where seconds are not.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cartpole_steps_per_second, print_table, write_results  # noqa: E402

N_SAMPLES = 200
SIMULATED = 5
REPEATS = 3


def _bundles() -> dict[str, dict | str]:
    from twin_env.formats.export import RecordSource, fhir_bundle
    from twin_env.simulation import simulate

    example = Path(__file__).resolve().parent.parent / "examples" / "patient_record.json"
    sim = simulate(SIMULATED, 3, 5.0, min_age_years=40, max_age_years=80)
    source = RecordSource.from_simulation(sim)
    bundles: dict[str, dict | str] = {"example": str(example)}
    for patient in source.patients:
        if sim.state.alive[patient]:
            bundles[f"simulated {patient}"] = fhir_bundle(source, patient, as_of=source.end)
    return bundles


def _twin_seconds(bundle: dict | str) -> tuple[float, int, float]:
    """Best-of-REPEATS seconds to read and infer, the record's measurements and the twin's ESS."""
    import twin_env

    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        record = twin_env.read_record(bundle)
        twin = twin_env.twin_from_record(record, n_samples=N_SAMPLES, seed=0)
        best = min(best, time.perf_counter() - start)
    return best, len(record.measurements), twin.effective_sample_size


def main() -> None:
    import twin_env

    bundles = _bundles()
    twin_env.twin_from_record(twin_env.read_record(bundles["example"]), n_samples=N_SAMPLES)  # compile kernels
    reference = cartpole_steps_per_second()
    rows, results = [], {}
    for name, bundle in bundles.items():
        seconds, measurements, ess = _twin_seconds(bundle)
        results[name] = {
            "seconds": round(seconds, 3),
            "measurements": measurements,
            "effective_sample_size": round(ess, 1),
            "cartpole_steps": round(seconds * reference),
        }
        rows.append([name, measurements, f"{seconds:.2f}", f"{seconds * reference:,.0f}", f"{ess:.0f}"])
    mean_seconds = sum(r["seconds"] for r in results.values()) / len(results)
    rows.append(["mean", "", f"{mean_seconds:.2f}", f"{mean_seconds * reference:,.0f}", ""])
    print_table(["record", "measurements", "read + infer, s", "in CartPole steps", "ESS"], rows)
    print(f"reference: CartPole-v1 {reference:,.0f} steps/s")
    path = write_results(
        "patient_twin",
        {
            "n_samples": N_SAMPLES,
            "cartpole_steps_per_second": round(reference),
            "records": results,
            "mean_seconds_per_twin": round(mean_seconds, 3),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
