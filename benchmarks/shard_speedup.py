"""Sharding speed-up: a trial and an evaluation split into shards on local worker processes, against one shard.

The reference is the same run as one shard in this process, timed in the same process; the ratio is its wall
time over the sharded run's (process start-up, imports and merging included). Every sharded run's output is
checked byte-identical to the reference's. The machine's load average is printed with the table: on a shared
machine other work takes cores from the workers, so repeat and read the best ratio.

    python benchmarks/shard_speedup.py [--processes 2] [--n 4000] [--years 2] [--episodes 256] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import print_table, write_results  # noqa: E402
from benchmarks.trial_throughput import protocol  # noqa: E402
from twin_env.evaluation.evaluate import evaluate, json_safe  # noqa: E402
from twin_env.trials import run_trial  # noqa: E402
from twin_env.trials.report import json_bytes  # noqa: E402
from twin_env.trials.shard_backend import Sharding  # noqa: E402

POLICIES = ["do_nothing", "nice_guideline"]


def best_seconds(run: Callable[[], bytes], repeats: int) -> tuple[float, bytes]:
    """(best wall seconds of ``repeats`` runs, the output bytes of the last)."""
    best, out = float("inf"), b""
    for _ in range(repeats):
        start = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2, help="worker processes, one shard each (default 2)")
    parser.add_argument("--n", type=int, default=4000, help="trial patients (all eligible; default 4,000)")
    parser.add_argument("--years", type=float, default=2.0, help="trial follow-up and evaluation horizon (years)")
    parser.add_argument("--episodes", type=int, default=256, help="evaluation patients (default 256)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each, best taken (default 2)")
    args = parser.parse_args()
    sharded = Sharding(shards=args.processes, processes=args.processes)
    trial = protocol(args.n, args.years)
    config = {"horizon_years": args.years}

    def trial_run(sharding: Sharding | None) -> Callable[[], bytes]:
        return lambda: json_bytes(run_trial(trial, sharding=sharding).to_json())

    def evaluation_run(sharding: Sharding | None) -> Callable[[], bytes]:
        return lambda: json.dumps(json_safe(evaluate(POLICIES, args.episodes, 0, config, sharding=sharding))).encode()

    load_before = os.getloadavg()
    rows, payload = [], {}
    for name, make in (("trial", trial_run), ("evaluation", evaluation_run)):
        one_s, one = best_seconds(make(None), args.repeats)
        many_s, many = best_seconds(make(sharded), args.repeats)
        same = one == many
        rows.append([name, f"{one_s:.1f}", f"{many_s:.1f}", f"{one_s / many_s:.2f}", "yes" if same else "NO"])
        payload[name] = {"one_shard_s": one_s, "sharded_s": many_s, "speedup": one_s / many_s, "identical": same}
    load_after = os.getloadavg()
    print(
        f"{args.processes} local processes, {os.cpu_count()} CPUs; load average (1 min) {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; trial n = {args.n:,} x {args.years:g} years, evaluation {args.episodes} patients "
        f"x {len(POLICIES)} policies x {args.years:g} years"
    )
    print_table(["run", "1 shard (s)", f"{args.processes} processes (s)", "speed-up", "same bytes"], rows)
    path = write_results(
        "shard_speedup",
        {
            "processes": args.processes,
            "cpus": os.cpu_count(),
            "load_average_1min": {"before": load_before[0], "after": load_after[0]},
            "trial": {"n": args.n, "years": args.years, **payload["trial"]},
            "evaluation": {"episodes": args.episodes, "policies": POLICIES, **payload["evaluation"]},
        },
    )
    print(f"wrote {path}")
    if not all(p["identical"] for p in payload.values()):
        raise SystemExit("a sharded run differs from one shard")


if __name__ == "__main__":
    main()
