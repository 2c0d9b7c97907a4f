"""Policy benchmark: the baseline comparison table on the evaluation cohort.

    python -m benchmarks.policies                         # CI settings: 64 patients x 2 years (< 1 minute)
    python -m benchmarks.policies --episodes 500 --years 10   # the docs/policies.md table (a few minutes)
    python -m benchmarks.policies --policy nice_guideline runs/maskable_ppo   # add a trained model

Prints the markdown table and writes ``benchmarks/results/policies.json`` (or ``--json PATH``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import RESULTS_DIR
from twin_env.commands.evaluate import DEFAULT_POLICIES
from twin_env.evaluation.evaluate import evaluate, interval_gap, json_safe, markdown_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=64, help="evaluation patients (default 64)")
    parser.add_argument("--years", type=float, default=2.0, help="horizon in years (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="first evaluation patient (default 0)")
    parser.add_argument(
        "--policy", nargs="+", default=list(DEFAULT_POLICIES), help="policies or trained-model directories"
    )
    parser.add_argument(
        "--shielded", action="store_true", help="behind the vector safety shield (adds violation columns)"
    )
    parser.add_argument(
        "--env-config",
        type=json.loads,
        default=None,
        help="further EnvConfig overrides as JSON (trained models set their decision interval)",
    )
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "policies.json", help="output JSON")
    parser.add_argument("--per-patient", type=Path, default=None, help="also write per-patient outcomes (JSON) here")
    parser.add_argument(
        "--plots",
        type=Path,
        default=None,
        help="also draw outcomes.png and timeline_<policy>.png in this directory (matplotlib)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    config = {**(args.env_config or {}), "horizon_years": args.years}
    results = evaluate(args.policy, args.episodes, args.seed, config, shielded=args.shielded)
    per_patient = results.pop("per_patient")
    if args.plots is not None:
        from twin_env.evaluation.plots import write_plots  # noqa: PLC0415 (matplotlib is optional)

        args.plots.mkdir(parents=True, exist_ok=True)
        write_plots(results, args.plots)
    results.pop("timelines")
    if args.per_patient is not None:
        args.per_patient.parent.mkdir(parents=True, exist_ok=True)
        args.per_patient.write_text(json.dumps(json_safe(per_patient)))
    results["seconds"] = round(time.perf_counter() - start, 1)
    print(markdown_table(results), end="")
    print(f"{args.episodes} patients x {args.years:g} years, {results['seconds']} s")
    names = list(results["policies"])
    references = [r for r in ("do_nothing", "random") if r in names]
    for better in (n for n in names if n not in references):
        for worse in references:
            gap = interval_gap(results, better, worse)
            verdict = "disjoint" if gap > 0 else "overlapping"
            print(f"NMB 95% intervals, {better} vs {worse}: {verdict} (lower bound minus upper bound {gap:+,.0f} GBP)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(json_safe(results), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
