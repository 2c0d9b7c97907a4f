"""The ``twin-env`` command line: ``twin-env <command> [options]`` (also ``python -m twin_env.cli``).

Each subcommand lives in its own module under :mod:`twin_env.commands`. Bad input gives one line
on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from collections.abc import Sequence
from typing import NoReturn

from twin_env.commands import COMMANDS, CommandError

__all__ = ["build_parser", "main"]

_PROG = "twin-env"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def package_version() -> str:
    """The installed distribution's version (package metadata); ``twin_env.__version__`` in an uninstalled checkout."""
    try:
        return importlib.metadata.version("twin-env")
    except importlib.metadata.PackageNotFoundError:
        from twin_env import __version__  # noqa: PLC0415

        return __version__


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand of :data:`twin_env.commands.COMMANDS` registered."""
    parser = _Parser(prog=_PROG, description="A digital twin of an NHS primary care record.")
    parser.add_argument("--version", action="version", version=f"{_PROG} {package_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"twin_env.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as exc:
        print(f"{_PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
