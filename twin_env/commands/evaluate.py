"""``twin-env evaluate``: compare policies on a cohort (mean and 95% CI per outcome and behaviour audit).

``--policy`` takes baseline names (do_nothing, random, usual_care, nice_guideline, qrisk3_threshold),
``agent`` (the shipped agent, also by its own name), saved SB3 / sb3-contrib models (a ``twin-env train``
directory or any ``.zip``; ``--algo`` when the zip does not say) and Python policies as ``module:callable``.
Patients come from the documented evaluation population unless ``--population-seed`` names another.
Prints progress on stderr and the tables (policies, paired differences, age bands); with ``--out`` also
writes ``results.json``, ``table.md``, ``outcomes.csv``, ``per_patient.csv`` and (with matplotlib)
``outcomes.png`` and ``timeline_<policy>.png``. ``--shielded`` runs every policy behind the vector safety
shield (``replace`` mode) and adds proposed/executed hard violations. ``--shards K`` runs each policy over K
contiguous shards of the cohort (``--backend local`` or ``ray``): the same results, byte for byte
(``docs/scaling.md``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from twin_env.commands import CommandError, atomic_output_dir, check_output_dir
from twin_env.commands.checks import MAX_SEED, env_config_arg, int_arg
from twin_env.commands.policy_check import check_policies
from twin_env.commands.sharding import add_sharding_arguments, sharding_from_args

__all__ = ["add_parser", "run"]

DEFAULT_POLICIES = ("do_nothing", "random", "usual_care", "nice_guideline", "qrisk3_threshold")
MAX_EPISODES = 1_000_000
#: Algorithms ``--algo`` accepts (twin_env.policies.sb3_model.ALGOS, kept here so ``--help`` imports no SB3).
ALGOS = ("ppo", "maskable_ppo", "dqn")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="evaluate policies on the evaluation cohort", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--policy",
        nargs="+",
        default=list(DEFAULT_POLICIES),
        metavar="NAME|PATH|MODULE:CALLABLE",
        help=f"policies to compare (default: {' '.join(DEFAULT_POLICIES)}); also agent, a saved .zip or "
        "`twin-env train` directory, or module:callable",
    )
    parser.add_argument(
        "--episodes",
        type=int_arg(2, MAX_EPISODES),
        default=200,
        help=f"evaluation patients, one episode each (2 to {MAX_EPISODES:,}; default 200)",
    )
    parser.add_argument("--seed", type=int_arg(0, MAX_SEED), default=0, help="first evaluation patient (default 0)")
    parser.add_argument(
        "--population-seed",
        type=int_arg(0, MAX_SEED),
        default=None,
        help="population the patients are drawn from (default: the documented evaluation population, 20250007)",
    )
    parser.add_argument(
        "--algo", choices=ALGOS, default=None, help="algorithm of a saved .zip that has no config.json next to it"
    )
    parser.add_argument("--out", type=Path, default=None, help="directory for results.json, table.md, CSVs and plots")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory twin-env wrote")
    parser.add_argument(
        "--env-config",
        type=env_config_arg,
        default=None,
        help="EnvConfig overrides as JSON, e.g. '{\"horizon_years\": 5}'",
    )
    parser.add_argument(
        "--shielded", action="store_true", help="run behind the safety shield (replace mode); report violations"
    )
    parser.add_argument("--no-plots", action="store_true", help="do not draw PNGs (they need matplotlib)")
    parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar on stderr")
    add_sharding_arguments(parser, "patients")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from twin_env.evaluation.evaluate import evaluate, report_markdown, write_outputs  # noqa: PLC0415

    sharding = sharding_from_args(args)
    check_policies(args.policy)
    if args.out is not None:  # refuse a bad --out before the (long) evaluation
        check_output_dir(args.out, overwrite=args.overwrite)
        if not args.no_plots:
            try:
                import matplotlib  # noqa: F401, PLC0415
            except ImportError:
                raise CommandError("plots need matplotlib (pip install 'twin-env[viz]'); or pass --no-plots") from None
    try:
        results = evaluate(
            args.policy,
            args.episodes,
            args.seed,
            args.env_config,
            shielded=args.shielded,
            population_seed=args.population_seed,
            algo=args.algo,
            progress=not args.no_progress,
            sharding=sharding,
        )
    except (ValueError, FileNotFoundError) as exc:
        raise CommandError(str(exc)) from None
    except ImportError as exc:
        raise CommandError(f"{exc}; saved models need the sb3 extra (pip install 'twin-env[sb3]')") from None
    print(report_markdown(results), end="")
    if args.out is not None:
        with atomic_output_dir(args.out, overwrite=args.overwrite) as work:
            try:
                write_outputs(results, work, plots=not args.no_plots)
            except ImportError as exc:
                raise CommandError(f"{exc} (or pass --no-plots)") from None
        print(f"results in {args.out}")
    return 0
