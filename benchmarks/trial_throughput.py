"""Trial throughput: a two-arm, 5-year randomised trial with a ``bp_target`` arm (issue 14).

Target: 100,000 patients (all eligible, 50,000 per arm) in at most 300 s. References measured in the
same process: CartPole-v1 steps/s (the machine's speed) and usual care on the same patients through
``Simulation`` alone (the twin, care and record the trial cannot avoid): the trial's overhead is
its time over that reference. With ``--n`` below 100,000 the time is extrapolated linearly in n
(the runner's work per step is linear in the patients simulated) and the table says so.

    python benchmarks/trial_throughput.py [--n 100000] [--years 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cartpole_steps_per_second, print_table, write_results  # noqa: E402
from twin_env.simulation import Simulation  # noqa: E402
from twin_env.trials import run_trial  # noqa: E402

TARGET_N = 100_000
TARGET_SECONDS = 300.0


def protocol(n: int, years: float) -> dict:
    """The benchmark protocol: everyone eligible, bp_target 120 mmHg every 3 months against usual care."""
    return {
        "version": 1,
        "name": "throughput benchmark",
        "population": {"n": n, "seed": 1, "min_age": 40, "max_age": 80, "start_date": "2020-04-01"},
        "eligibility": {},
        "allocation": "randomised",
        "arms": [
            {"name": "intensive", "strategy": {"kind": "bp_target", "target_sbp_mmhg": 120, "visit_months": 3}},
            {"name": "usual", "strategy": {"kind": "none"}},
        ],
        "reference_arm": "usual",
        "follow_up_years": years,
        "outcomes": {"cv_events": ["mi", "stroke", "heart_failure", "cvd_death"], "death": ["death"]},
    }


def usual_care_seconds(n: int, years: float) -> float:
    """Seconds to simulate the same n patients (no trial) under usual care, record without artefacts."""
    start = time.perf_counter()
    sim = Simulation.from_population(n, 1, min_age_years=40, max_age_years=80, artefacts=False)
    sim.run(years)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=TARGET_N, help="patients sampled (default 100,000)")
    parser.add_argument("--years", type=float, default=5.0, help="follow-up (years)")
    args = parser.parse_args()
    cartpole = cartpole_steps_per_second()
    start = time.perf_counter()
    result = run_trial(protocol(args.n, args.years))
    trial_s = time.perf_counter() - start
    reference_s = usual_care_seconds(args.n, args.years)
    scale = TARGET_N / args.n
    extrapolated_s = trial_s * scale
    rows = [
        ["patients (sampled = allocated)", f"{args.n:,}", f"{result.flow['eligible']:,}"],
        ["follow-up (years)", f"{args.years:g}", ""],
        ["trial wall time (s)", f"{trial_s:.1f}", ""],
        ["usual care, same patients, Simulation only (s)", f"{reference_s:.1f}", ""],
        ["trial / usual-care ratio", f"{trial_s / reference_s:.2f}", ""],
        [f"trial at n = {TARGET_N:,} (s){' extrapolated' if scale != 1 else ''}", f"{extrapolated_s:.0f}", ""],
        ["target (s)", f"{TARGET_SECONDS:.0f}", "met" if extrapolated_s <= TARGET_SECONDS else "NOT met"],
        ["CartPole-v1 steps/s (reference)", f"{cartpole:,.0f}", ""],
    ]
    print_table(["measure", "value", "note"], rows)
    path = write_results(
        "trial_throughput",
        {
            "n": args.n,
            "follow_up_years": args.years,
            "trial_seconds": trial_s,
            "usual_care_seconds": reference_s,
            "trial_to_usual_care_ratio": trial_s / reference_s,
            "seconds_at_100000": extrapolated_s,
            "extrapolated": scale != 1,
            "target_seconds": TARGET_SECONDS,
            "target_met": extrapolated_s <= TARGET_SECONDS,
            "cartpole_steps_per_s": cartpole,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
