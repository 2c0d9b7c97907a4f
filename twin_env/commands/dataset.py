"""``twin-env dataset``: write a Minari offline-RL dataset of a policy's episodes (needs the ``minari`` extra).

Writes ``DIR/<dataset_id>`` (default id ``twin_env/primary-care-<policy>[-shielded]-v0``): observations, actions,
rewards, terminations, truncations and the env's infos (action masks, reward components; costs with
``--shielded``). Read it back with ``MINARI_DATASETS_PATH=DIR`` and ``minari.load_dataset(<dataset_id>)``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from twin_env.commands import CommandError, atomic_output_dir

__all__ = ["add_parser", "run"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dataset", help="write a Minari dataset of a policy's episodes", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--policy", required=True, metavar="NAME|PATH", help="a baseline name or a train directory")
    parser.add_argument("--episodes", type=_positive_int, required=True, help="episodes (one patient each), >= 1")
    parser.add_argument("--out", type=Path, required=True, help="output directory (MINARI_DATASETS_PATH to read it)")
    parser.add_argument("--seed", type=int, default=0, help="first patient's seed (default 0)")
    parser.add_argument("--shielded", action="store_true", help="run behind the safety shield (replace mode); costs")
    parser.add_argument(
        "--env-config", type=json.loads, default=None, help="EnvConfig overrides as JSON, e.g. '{\"horizon_years\": 5}'"
    )
    parser.add_argument("--dataset-id", default=None, help="Minari dataset id (namespace/name-vN)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from twin_env.evaluation.minari_dataset import check_dataset_id, default_dataset_id, write_dataset  # noqa: PLC0415
    except ImportError as exc:
        raise CommandError(f"{exc}; install the minari extra: pip install 'twin-env[minari]'") from None
    if args.env_config is not None and not isinstance(args.env_config, dict):
        raise CommandError(f"--env-config must be a JSON object, got {type(args.env_config).__name__}")
    try:
        dataset_id = check_dataset_id(args.dataset_id or default_dataset_id(args.policy, args.shielded))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    with atomic_output_dir(args.out, overwrite=args.overwrite) as work:
        try:
            dataset = write_dataset(
                args.policy,
                args.episodes,
                work,
                seed=args.seed,
                shielded=args.shielded,
                env_config=args.env_config,
                dataset_id=dataset_id,
            )
        except (ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from None
        steps = int(dataset.total_steps)
    print(f"{dataset_id}: {args.episodes} episodes, {steps} steps in {args.out}")
    print(f"read it with MINARI_DATASETS_PATH={args.out} and minari.load_dataset({dataset_id!r})")
    return 0
