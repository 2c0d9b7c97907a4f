"""``twin-env train``: train a stable-baselines3 agent (PPO, MaskablePPO, DQN) on the native vector env.

Writes ``model.zip``, ``vecnormalize.pkl``, ``config.json`` and ``learning_curve.csv`` to ``--out``
(see :mod:`twin_env.training.train`). Training patients come from population seed 0; evaluation
(``twin-env evaluate``) uses a different population.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from twin_env.commands import CommandError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train an RL agent with stable-baselines3", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--algo", choices=("ppo", "maskable_ppo", "dqn"), required=True, help="algorithm")
    parser.add_argument(
        "--timesteps", type=int, required=True, help="env steps to train for, summed over parallel patients"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--n-envs", type=int, default=16, help="patients stepped together (default 16)")
    parser.add_argument(
        "--env-config", type=json.loads, default=None, help="EnvConfig overrides as JSON, e.g. '{\"horizon_years\": 5}'"
    )
    parser.add_argument(
        "--tensorboard", type=Path, default=None, metavar="DIR", help="TensorBoard log directory (needs tensorboard)"
    )
    parser.add_argument("--max-minutes", type=float, default=None, help="stop after this much wall-clock time")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument(
        "--validation-patients",
        type=int,
        default=2000,
        help="validation-cohort patients for checkpoint selection; 0 keeps the last weights (default 2000)",
    )
    parser.add_argument(
        "--validate-every", type=int, default=250_000, help="env steps between validations (default 250000)"
    )
    parser.add_argument("--no-normalize-reward", action="store_true", help="train on raw rewards (no VecNormalize)")
    parser.add_argument(
        "--shield", choices=("replace", "block"), default=None, help="train behind the safety shield in this mode"
    )
    parser.add_argument(
        "--cost-penalty",
        type=float,
        default=0.0,
        help="with --shield: reward units (1 = reward_scale_gbp GBP) subtracted per unit of safety-rule cost (default 0)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from twin_env.training.train import train  # noqa: PLC0415 (needs the sb3 extra)
    except ImportError as exc:
        raise CommandError(
            f"training needs stable-baselines3 and sb3-contrib (pip install 'twin-env[sb3]'): {exc}"
        ) from None
    try:
        out = train(
            args.algo,
            args.timesteps,
            args.seed,
            args.out,
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
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    trained = json.loads((out / "config.json").read_text())
    print(
        f"trained {args.algo} for {trained['trained_timesteps']:,} timesteps in {trained['training_minutes']:.1f} min; "
        f"model and learning curve in {out}"
    )
    selected = (trained.get("validation") or {}).get("selected")
    if selected:
        print(
            f"kept the checkpoint at {selected['timesteps']:,} timesteps: NMB {selected['nmb_vs_do_nothing_gbp']:+,.0f} GBP "
            f"per patient vs do-nothing on the validation cohort (see validation_curve.csv)"
        )
    return 0
