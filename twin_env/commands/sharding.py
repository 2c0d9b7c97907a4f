"""``--shards``, ``--backend``, ``--processes`` and ``--address``: the sharding options of ``trial`` and ``evaluate``.

A run split into ``--shards K`` contiguous shards of its cohort gives the same outputs, to the byte, as one
shard (:mod:`twin_env.trials.shard_backend`); ``--backend local`` runs them here (``--processes N`` worker
processes), ``--backend ray`` as Ray tasks (``--address auto`` joins the cluster ``ray start --head`` started).
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import TYPE_CHECKING

from twin_env.commands.checks import int_arg
from twin_env.commands.errors import CommandError

if TYPE_CHECKING:
    from twin_env.trials.shard_backend import Sharding

__all__ = ["BACKENDS", "MAX_SHARDS", "add_sharding_arguments", "sharding_from_args"]

#: twin_env.trials.shard_backend's BACKENDS and MAX_SHARDS, kept here so ``--help`` imports no trial code.
BACKENDS = ("local", "ray")
MAX_SHARDS = 100_000


def add_sharding_arguments(parser: argparse.ArgumentParser, cohort: str) -> None:
    """Add the four options to ``parser``; ``cohort`` names what is split (for the help)."""
    group = parser.add_argument_group("sharding (same results for any split)")
    group.add_argument(
        "--shards",
        metavar="K",
        type=int_arg(1, MAX_SHARDS),
        default=1,
        help=f"split the {cohort} into this many contiguous shards (default 1)",
    )
    group.add_argument("--backend", choices=BACKENDS, default="local", help="where the shards run (default local)")
    group.add_argument(
        "--processes",
        metavar="N",
        type=int_arg(1, 1024),
        default=1,
        help="worker processes of the local backend (default 1: the shards run one after another here)",
    )
    group.add_argument(
        "--address",
        metavar="ADDRESS",
        default=None,
        help="Ray cluster to join with --backend ray ('auto': the one on this machine)",
    )


def sharding_from_args(args: argparse.Namespace) -> Sharding:
    """The :class:`~twin_env.trials.shard_backend.Sharding` the options ask for; ``CommandError`` (one line) else."""
    if args.backend == "ray" and importlib.util.find_spec("ray") is None:
        raise CommandError("--backend ray needs Ray (pip install 'twin-env[ray]'); or use --backend local")
    if args.processes > 1 and args.backend != "local":
        raise CommandError("--processes is for --backend local; Ray sizes its own workers")
    if args.address is not None and args.backend != "ray":
        raise CommandError("--address is for --backend ray")
    from twin_env.trials.shard_backend import Sharding  # noqa: PLC0415 (keep --help fast)

    return Sharding(args.shards, args.backend, args.processes, args.address)
