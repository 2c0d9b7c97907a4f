"""Policy benchmark: the policy comparison tables (outcomes, behaviour audits, paired differences, age bands).

    python -m benchmarks.policies                         # CI settings: 64 patients x 2 years (about a minute)
    python -m benchmarks.policies --episodes 500 --years 10   # the docs/policies.md table (run time in that doc)
    python -m benchmarks.policies --policy do_nothing nice_guideline agent   # add the shipped agent
    python -m benchmarks.policies --population-seed 77   # on a population the project never samples

Prints the tables, the paired NMB differences against the references and the run time; writes
``benchmarks/results/policies.json`` (or ``--json PATH``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import RESULTS_DIR
from twin_env.commands.evaluate import DEFAULT_POLICIES
from twin_env.evaluation.evaluate import PAIRED_REFERENCES, evaluate, json_safe, report_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=64, help="evaluation patients (default 64)")
    parser.add_argument("--years", type=float, default=2.0, help="horizon in years (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="first evaluation patient (default 0)")
    parser.add_argument(
        "--population-seed", type=int, default=None, help="population (default: the documented evaluation one)"
    )
    parser.add_argument(
        "--policy", nargs="+", default=list(DEFAULT_POLICIES), help="policies as twin-env evaluate --policy takes them"
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
    results = evaluate(
        args.policy,
        args.episodes,
        args.seed,
        config,
        shielded=args.shielded,
        population_seed=args.population_seed,
        progress=True,
    )
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
    print(report_markdown(results), end="")
    n_policies = len(results["policies"])
    print(f"\n{args.episodes} patients x {args.years:g} years, {n_policies} policies, {results['seconds']} s")
    for name, r in results["policies"].items():
        for ref, diff in r["paired_differences"].items():
            if ref in PAIRED_REFERENCES and name not in PAIRED_REFERENCES:
                d = diff["nmb_gbp"]
                verdict = "better" if d["ci_low"] > 0 else "worse" if d["ci_high"] < 0 else "no clear difference"
                print(
                    f"NMB {name} minus {ref}: {d['mean']:+,.0f} GBP per patient "
                    f"(paired 95% CI {d['ci_low']:+,.0f} to {d['ci_high']:+,.0f}): {verdict}"
                )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(json_safe(results), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
