"""``twin-env train``: train a stable-baselines3 agent (PPO, MaskablePPO, DQN) on a registered training env.

Hyperparameters from ``twin_env/training/hyperparams/<algo>.yml`` under ``--hyperparams key=value ...``; the
run is ``--total-timesteps`` env steps long (default: the file's ``n_timesteps``); ``--max-minutes`` is a
safety stop, recorded in ``config.json``. ``--seeds 0 1 2`` trains one run per seed into ``--out/seed_<S>/``.
Writes ``model.zip``, ``vecnormalize.pkl``, ``config.json``, ``learning_curve.csv``/``.png`` and TensorBoard logs
(see :mod:`twin_env.training.train`). Training patients come from population seed 0; evaluation
(``twin-env evaluate``) uses a different population.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from twin_env.commands import CommandError, atomic_output_dir, check_output_dir
from twin_env.commands.checks import MAX_SEED, env_config_arg, int_arg, new_file_path_arg, real_arg
from twin_env.envs.registration import TRAINING_ENV_IDS

__all__ = ["add_parser", "run"]

MAX_TIMESTEPS, MAX_N_ENVS, MAX_VALIDATION_PATIENTS, MAX_SEEDS = 10**11, 4096, 1_000_000, 100
MAX_MINUTES = 60.0 * 24 * 365  # a year of wall clock


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train an RL agent with stable-baselines3", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--algo", choices=("ppo", "maskable_ppo", "dqn"), required=True, help="algorithm")
    parser.add_argument(
        "--total-timesteps",
        "--timesteps",
        dest="total_timesteps",
        type=int_arg(1, MAX_TIMESTEPS),
        default=None,
        help="env steps to train for, summed over parallel patients (default: n_timesteps of the algorithm's file)",
    )
    parser.add_argument(
        "--hyperparams",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override the algorithm's hyperparameters file, e.g. learning_rate=1e-4 n_steps=128",
    )
    parser.add_argument(
        "--env", choices=TRAINING_ENV_IDS, default=TRAINING_ENV_IDS[-1], help="training env id (default %(default)s)"
    )
    seeds = parser.add_mutually_exclusive_group()
    # default None, not 0: argparse tells a given --seed 0 from the default only when they differ
    seeds.add_argument("--seed", type=int_arg(0, MAX_SEED), default=None, help="random seed (default 0)")
    seeds.add_argument(
        "--seeds",
        type=int_arg(0, MAX_SEED),
        nargs="+",
        default=None,
        metavar="S",
        help="one run per seed, in --out/seed_<S>/",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--n-envs",
        type=int_arg(1, MAX_N_ENVS),
        default=None,
        help="patients stepped together (default: n_envs of the algorithm's file)",
    )
    parser.add_argument(
        "--env-config",
        type=env_config_arg,
        default=None,
        help="EnvConfig overrides of the training env as JSON, e.g. '{\"horizon_years\": 5}'",
    )
    parser.add_argument(
        "--tensorboard",
        type=new_file_path_arg,
        default=None,
        metavar="DIR",
        help="TensorBoard log directory (default: --out/tensorboard when tensorboard is installed)",
    )
    parser.add_argument("--no-tensorboard", action="store_true", help="write no TensorBoard logs")
    parser.add_argument(
        "--max-minutes",
        type=real_arg(0, MAX_MINUTES, lo_open=True),
        default=None,
        help="safety stop: end a run after this much wall-clock time (recorded in config.json)",
    )
    parser.add_argument(
        "--torch-threads",
        type=int_arg(1, max(1, os.cpu_count() or 1) * 4),
        default=1,
        help="torch intra-op threads (default 1)",
    )
    parser.add_argument(
        "--validation-patients",
        type=int_arg(0, MAX_VALIDATION_PATIENTS),
        default=2000,
        help="validation-cohort patients for checkpoint selection; 0 keeps the last weights (default 2000)",
    )
    parser.add_argument(
        "--validate-every",
        type=int_arg(1, MAX_TIMESTEPS),
        default=250_000,
        help="env steps between validations (default 250000)",
    )
    parser.add_argument(
        "--log-every",
        type=int_arg(1, MAX_TIMESTEPS),
        default=50_000,
        help="env steps between progress lines on stderr (default 50000)",
    )
    parser.add_argument(
        "--progress-bar",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="SB3's progress bar (tqdm and rich; default: on when stderr is a terminal)",
    )
    parser.add_argument("--no-plots", action="store_true", help="no learning_curve.png (needs no matplotlib)")
    parser.add_argument("--no-normalize-reward", action="store_true", help="train on raw rewards (no VecNormalize)")
    parser.add_argument(
        "--shield",
        choices=("replace", "block", "mask"),
        default=None,
        help="train behind the safety shield in this mode (mask: hard-forbidden actions masked; many times slower)",
    )
    parser.add_argument(
        "--cost-penalty",
        type=real_arg(0, 1e9),
        default=0.0,
        help="with --shield: reward units (1 = reward_scale_gbp GBP) subtracted per unit of safety-rule cost "
        "(default 0)",
    )
    parser.add_argument(
        "--cost-limit",
        type=real_arg(0, 1e9),
        default=None,
        help="with --shield: Lagrangian training, the multiplier adapted from 0 by dual ascent so that the mean "
        "episode safety cost approaches this limit (not with --cost-penalty)",
    )
    parser.add_argument(
        "--lagrange-lr",
        type=real_arg(0, 1e9, lo_open=True),
        default=None,
        help="with --cost-limit: the multiplier's learning rate per rollout (default 0.05)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory twin-env wrote")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.cost_penalty and args.shield is None:
        raise CommandError(
            f"--cost-penalty {args.cost_penalty:g} needs --shield (the costs come from it); allowed: 0 without it"
        )
    if args.cost_limit is not None and (args.shield is None or args.cost_penalty):
        raise CommandError(
            f"--cost-limit {args.cost_limit:g} needs --shield and no --cost-penalty; allowed: one of the two penalties"
        )
    if args.lagrange_lr is not None and args.cost_limit is None:
        raise CommandError(f"--lagrange-lr {args.lagrange_lr:g} needs --cost-limit; allowed: leave it out")
    if args.seeds is not None and len(set(args.seeds)) != len(args.seeds):
        raise CommandError(f"--seeds {args.seeds} repeats a seed; allowed: distinct seeds")
    if args.seeds is not None and len(args.seeds) > MAX_SEEDS:
        raise CommandError(f"--seeds gives {len(args.seeds)} seeds; allowed: at most {MAX_SEEDS}")
    if args.no_tensorboard and args.tensorboard is not None:
        raise CommandError("--tensorboard DIR and --no-tensorboard contradict each other; allowed: one of them")
    check_output_dir(args.out, overwrite=args.overwrite)
    try:
        from twin_env.training.hyperparameters import load_hyperparameters, parse_overrides  # noqa: PLC0415
        from twin_env.training.train import train  # noqa: PLC0415 (needs the sb3 extra)
    except ImportError as exc:
        raise CommandError(
            f"training needs stable-baselines3, sb3-contrib and pyyaml (pip install 'twin-env[sb3]'): {exc}"
        ) from None
    try:
        overrides = parse_overrides(args.hyperparams)
        load_hyperparameters(args.algo, overrides)  # every key and value checked before anything is written
        seeds = [args.seed or 0] if args.seeds is None else args.seeds
        with atomic_output_dir(args.out, overwrite=args.overwrite) as work:
            for seed in seeds:
                run_dir = work if args.seeds is None else work / f"seed_{seed}"
                _train(train, args, run_dir, seed, overrides)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    for seed in seeds:
        _report(args.algo, args.out if args.seeds is None else args.out / f"seed_{seed}")
    return 0


def _report(algo: str, out: Path) -> None:
    trained = json.loads((out / "config.json").read_text())
    print(
        f"trained {algo} seed {trained['seed']} for {trained['trained_timesteps']:,} of "
        f"{trained['total_timesteps']:,} timesteps in {trained['training_minutes']:.1f} min; "
        f"model and learning curve in {out}"
    )
    if trained.get("lagrangian"):
        lagrangian = trained["lagrangian"]
        print(
            f"  Lagrange multiplier {lagrangian['final_multiplier']:.3f} after {len(lagrangian['updates'])} updates "
            f"(cost limit {lagrangian['cost_limit_per_episode']:g} per episode; history in config.json)"
        )
    if trained["stopped_by_wall_clock"]:
        print(f"  stopped early by --max-minutes {trained['max_minutes']:g} (config.json: stopped_by_wall_clock)")
    selected = (trained.get("validation") or {}).get("selected")
    if selected:
        print(
            f"  kept the checkpoint at {selected['timesteps']:,} timesteps: "
            f"NMB {selected['nmb_vs_do_nothing_gbp']:+,.0f} GBP "
            f"per patient vs do-nothing on the validation cohort (see validation_curve.csv)"
        )


def _train(train, args: argparse.Namespace, out: Path, seed: int, overrides: dict[str, Any]) -> None:  # noqa: ANN001
    progress_bar = sys.stderr.isatty() if args.progress_bar is None else args.progress_bar
    train(
        args.algo,
        args.total_timesteps,
        seed,
        out,
        n_envs=args.n_envs,
        env_config=args.env_config,
        hyperparams=overrides,
        env_id=args.env,
        tensorboard=not args.no_tensorboard,
        tensorboard_dir=_tensorboard_dir(args, seed),
        normalize_reward=not args.no_normalize_reward,
        torch_threads=args.torch_threads,
        max_minutes=args.max_minutes,
        validation_patients=args.validation_patients,
        validate_every=args.validate_every,
        shield=args.shield,
        cost_penalty=args.cost_penalty,
        cost_limit=args.cost_limit,
        lagrange_lr=0.05 if args.lagrange_lr is None else args.lagrange_lr,
        progress_bar=progress_bar,
        log_every=args.log_every,
        log=sys.stderr,
        plots=not args.no_plots,
    )


def _tensorboard_dir(args: argparse.Namespace, seed: int) -> Path | None:
    """``--tensorboard DIR`` (``DIR/seed_<S>`` with ``--seeds``); None: the run's own ``tensorboard/``."""
    if args.tensorboard is None or args.seeds is None:
        return args.tensorboard
    return args.tensorboard / f"seed_{seed}"
