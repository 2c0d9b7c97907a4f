"""``twin-env trial``: run an in-silico trial protocol and write its result, report and Kaplan-Meier plots.

``twin-env trial PROTOCOL --out DIR`` takes a protocol JSON file (schema version 1,
``docs/trials.md``) or the name of a shipped development protocol (``twin-env trial --list``).
DIR receives ``result.json``, ``report.md``, ``protocol.json``, ``per_patient.csv`` and, with
matplotlib, ``km_<outcome>.png``; it is written into a temporary sibling and renamed at the end.
``--shards K`` follows the eligible cohort up in K contiguous shards (``--backend local`` or ``ray``): the
same files, byte for byte (``docs/scaling.md``).
A bad protocol is one line naming the field. lifelines and pandas are imported only when a trial runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from twin_env.commands import CommandError, ProgressBar, atomic_output_dir
from twin_env.commands.sharding import add_sharding_arguments, sharding_from_args

if TYPE_CHECKING:
    from twin_env.trials.schema import Protocol

__all__ = ["add_parser", "check_policies", "list_shipped", "load", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trial", help="run an in-silico trial protocol and report it", description=__doc__.splitlines()[0]
    )
    parser.add_argument("protocol", nargs="?", metavar="PROTOCOL", help="protocol JSON file or shipped protocol name")
    parser.add_argument("--out", type=Path, help="output directory (must be empty or absent)")
    parser.add_argument("--list", action="store_true", help="list the shipped development protocols and exit")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    parser.add_argument("--no-plots", action="store_true", help="do not draw the Kaplan-Meier PNGs")
    add_sharding_arguments(parser, "eligible cohort")
    parser.set_defaults(func=run)


def load(source: str) -> Protocol:
    """The protocol in file ``source`` or, if no such file, the shipped protocol of that name; ``CommandError`` else."""
    from twin_env.trials import ProtocolError, list_protocols, load_protocol, shipped_protocol  # noqa: PLC0415

    path = Path(source)
    try:
        if path.is_file():
            return load_protocol(path)
        if source in list_protocols():
            return shipped_protocol(source)
    except ProtocolError as exc:
        raise CommandError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {source}: {getattr(exc, 'strerror', None) or exc}") from None
    if path.exists():
        raise CommandError(f"{source} is not a file")
    raise CommandError(f"{source}: no such file or shipped protocol (shipped: {', '.join(list_protocols())})")


def check_policies(protocol: Protocol) -> None:
    """``CommandError`` naming the field for a ``policy`` arm whose policy is neither a name nor a directory."""
    from twin_env.policies import POLICIES, PRETRAINED  # noqa: PLC0415

    for index, arm in enumerate(protocol.arms):
        name = getattr(arm.strategy, "policy", None)
        if name is not None and name not in POLICIES and name not in PRETRAINED and not Path(name).is_dir():
            allowed = ", ".join([*POLICIES, *PRETRAINED])
            raise CommandError(
                f"arms[{index}].strategy.policy: must be one of {allowed} or a trained model directory, got {name!r}"
            )


def list_shipped() -> list[str]:
    """One line per shipped protocol: its name and the protocol's own one-line name."""
    from twin_env.trials import list_protocols, shipped_protocol  # noqa: PLC0415

    names = list_protocols()
    width = max(map(len, names))
    return [f"{name:<{width}}  {shipped_protocol(name).name}" for name in names]


def run(args: argparse.Namespace) -> int:
    if args.list:
        if args.protocol is not None or args.out is not None:
            raise CommandError("--list takes no PROTOCOL or --out")
        print("\n".join(list_shipped()))
        return 0
    if args.protocol is None or args.out is None:
        raise CommandError("give a PROTOCOL (file or shipped name) and --out DIR, or --list")
    sharding = sharding_from_args(args)
    protocol = load(args.protocol)
    check_policies(protocol)
    with atomic_output_dir(args.out, overwrite=args.overwrite) as work:
        from twin_env.trials import ProtocolError, run_trial  # noqa: PLC0415 (lifelines: keep --help fast)
        from twin_env.trials.report import write_trial_outputs  # noqa: PLC0415

        bar = _Progress(enabled=sys.stderr.isatty())
        try:
            result = run_trial(protocol, progress=bar, sharding=sharding)
        except (ProtocolError, ValueError) as exc:  # ValueError: too few eligible patients, or for the shards
            raise CommandError(str(exc)) from None
        outputs = write_trial_outputs(result, work, plots=not args.no_plots)
    if outputs.plots_skipped and not args.no_plots:
        print(outputs.plots_skipped, file=sys.stderr)
    eligible = result.flow.get("eligible")
    print(f"{protocol.name}: {eligible} eligible, {len(protocol.arms)} arms; {len(outputs.files)} files in {args.out}")
    return 0


class _Progress:
    """``run_trial``'s progress callback ``(done, total)`` drawn as the commands' :class:`ProgressBar`."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: ProgressBar | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None or self._bar.total != max(total, 1):
            self._bar = ProgressBar("trial", total, enabled=self.enabled)
        self._bar.update(done)
