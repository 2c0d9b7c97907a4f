"""``twin-env train``: train a stable-baselines3 agent (PPO, MaskablePPO, DQN) on the native vector env.

Writes ``model.zip``, ``vecnormalize.pkl``, ``config.json`` and ``learning_curve.csv`` to ``--out``
(see :mod:`twin_env.training.train`). Training patients come from population seed 0; evaluation
(``twin-env evaluate``) uses a different population.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from twin_env.commands import CommandError, atomic_output_dir, check_output_dir
from twin_env.commands.checks import MAX_SEED, env_config_arg, int_arg, new_file_path_arg, real_arg

__all__ = ["add_parser", "run"]

MAX_TIMESTEPS, MAX_N_ENVS, MAX_VALIDATION_PATIENTS = 10**11, 4096, 1_000_000
MAX_MINUTES = 60.0 * 24 * 365  # a year of wall clock


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train an RL agent with stable-baselines3", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--algo", choices=("ppo", "maskable_ppo", "dqn"), required=True, help="algorithm")
    parser.add_argument(
        "--timesteps",
        type=int_arg(1, MAX_TIMESTEPS),
        required=True,
        help="env steps to train for, summed over parallel patients",
    )
    parser.add_argument("--seed", type=int_arg(0, MAX_SEED), default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--n-envs", type=int_arg(1, MAX_N_ENVS), default=16, help="patients stepped together (default 16)"
    )
    parser.add_argument(
        "--env-config",
        type=env_config_arg,
        default=None,
        help="EnvConfig overrides as JSON, e.g. '{\"horizon_years\": 5}'",
    )
    parser.add_argument(
        "--tensorboard",
        type=new_file_path_arg,
        default=None,
        metavar="DIR",
        help="TensorBoard log directory (needs tensorboard)",
    )
    parser.add_argument(
        "--max-minutes",
        type=real_arg(0, MAX_MINUTES, lo_open=True),
        default=None,
        help="stop after this much wall-clock time",
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
    parser.add_argument("--no-normalize-reward", action="store_true", help="train on raw rewards (no VecNormalize)")
    parser.add_argument(
        "--shield", choices=("replace", "block"), default=None, help="train behind the safety shield in this mode"
    )
    parser.add_argument(
        "--cost-penalty",
        type=real_arg(0, 1e9),
        default=0.0,
        help="with --shield: reward units (1 = reward_scale_gbp GBP) subtracted per unit of safety-rule cost "
        "(default 0)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory twin-env wrote")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.cost_penalty and args.shield is None:
        raise CommandError(
            f"--cost-penalty {args.cost_penalty:g} needs --shield (the costs come from it); allowed: 0 without it"
        )
    check_output_dir(args.out, overwrite=args.overwrite)
    try:
        from twin_env.training.train import train  # noqa: PLC0415 (needs the sb3 extra)
    except ImportError as exc:
        raise CommandError(
            f"training needs stable-baselines3 and sb3-contrib (pip install 'twin-env[sb3]'): {exc}"
        ) from None
    try:
        with atomic_output_dir(args.out, overwrite=args.overwrite) as work:
            _train(train, args, work)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    out = args.out
    trained = json.loads((out / "config.json").read_text())
    print(
        f"trained {args.algo} for {trained['trained_timesteps']:,} timesteps in {trained['training_minutes']:.1f} min; "
        f"model and learning curve in {out}"
    )
    selected = (trained.get("validation") or {}).get("selected")
    if selected:
        print(
            f"kept the checkpoint at {selected['timesteps']:,} timesteps: "
            f"NMB {selected['nmb_vs_do_nothing_gbp']:+,.0f} GBP "
            f"per patient vs do-nothing on the validation cohort (see validation_curve.csv)"
        )
    return 0


def _train(train, args: argparse.Namespace, work: Path) -> None:  # noqa: ANN001 (twin_env.training.train.train)
    train(
        args.algo,
        args.timesteps,
        args.seed,
        work,
        n_envs=args.n_envs,
        env_config=args.env_config,
        tensorboard_dir=args.tensorboard,
        normalize_reward=not args.no_normalize_reward,
        torch_threads=args.torch_threads,
        max_minutes=args.max_minutes,
        validation_patients=args.validation_patients,
        validate_every=args.validate_every,
        shield=args.shield,
        cost_penalty=args.cost_penalty,
    )
