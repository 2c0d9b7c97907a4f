"""Twin throughput: patient-months simulated per second at N = 1, 1,000 and 100,000 on one core.

Targets (issue 2): >= 5 million patient-months/s at N = 100,000 (about 40x CartPole-v1 steps/s in the
same process on the idle 2-core machine); state <= 1 KB per patient. CartPole-v1 is measured in the same
process as a reference for this machine's speed, in wall-clock time and in CPU time of the process
(``time.process_time``): on a machine shared with other jobs the CPU-time ratio is the steadier one.

    python benchmarks/twin_throughput.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_rate, cartpole_steps_per_second, print_table, write_results  # noqa: E402
from twin_env.twin import TwinSimulator, sample_population  # noqa: E402

TARGET_PATIENT_MONTHS_PER_S = 5_000_000
TARGET_BYTES_PER_PATIENT = 1024


def measure(n: int, seed: int = 0) -> dict[str, float]:
    """Patient-months/s, state bytes per patient and peak traced memory of stepping N patients."""
    state, _ = sample_population(n, seed, min_age=40, max_age=74)
    simulator = TwinSimulator()
    simulator.step(state)  # warm caches
    steps = max(1, min(1_000, 200_000 // n))  # about 200,000 patient-months a repeat; at most 1,000 steps

    def run() -> int:
        for _ in range(steps):
            simulator.step(state)
        return steps * n

    rate = best_rate(run)
    cpu_rate = best_rate(run, clock=time.process_time)
    tracemalloc.start()
    simulator.step(state)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n,
        "patient_months_per_s": rate,
        "patient_months_per_cpu_s": cpu_rate,
        "state_bytes_per_patient": state.nbytes / n,
        "step_peak_memory_mb": peak / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 1 and 1,000 only")
    args = parser.parse_args()
    sizes = [1, 1_000] if args.quick else [1, 1_000, 100_000]
    cartpole, cartpole_cpu = cartpole_steps_per_second(), cartpole_steps_per_second(clock=time.process_time)
    results = [measure(n) for n in sizes]
    rows = [
        [
            f"{r['n']:,}",
            f"{r['patient_months_per_s']:,.0f}",
            f"{r['patient_months_per_s'] / cartpole:.1f}",
            f"{r['patient_months_per_cpu_s'] / cartpole_cpu:.1f}",
            f"{r['state_bytes_per_patient']:.0f}",
            f"{r['step_peak_memory_mb']:.1f}",
        ]
        for r in results
    ]
    print(f"CartPole-v1 reference: {cartpole:,.0f} steps/s, {cartpole_cpu:,.0f} steps per CPU second")
    headers = ["N", "patient-months/s", "x CartPole steps/s", "x CartPole, CPU time", "state B/patient", "step peak MB"]
    print_table(headers, rows)
    largest = results[-1]
    meets = {
        "throughput": largest["n"] == 100_000 and largest["patient_months_per_s"] >= TARGET_PATIENT_MONTHS_PER_S,
        "memory": all(r["state_bytes_per_patient"] <= TARGET_BYTES_PER_PATIENT for r in results),
    }
    print("targets:", {k: "met" if v else "NOT met" for k, v in meets.items()})
    path = write_results(
        "twin_throughput",
        {
            "cartpole_steps_per_s": cartpole,
            "cartpole_steps_per_cpu_s": cartpole_cpu,
            "results": results,
            "targets": {
                "patient_months_per_s_at_100k": TARGET_PATIENT_MONTHS_PER_S,
                "state_bytes_per_patient": TARGET_BYTES_PER_PATIENT,
            },
            "meets": meets,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
