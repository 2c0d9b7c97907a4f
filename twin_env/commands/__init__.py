"""Subcommands of the ``twin-env`` command line, one module each.

A subcommand module defines ``add_parser(subparsers)`` (registers its arguments and sets
``func``) and a function ``run(args) -> int``. This package also holds what they share: the
one-line :class:`CommandError` (:mod:`.errors`), the all-or-nothing output directory
(:mod:`.output_dir`) and a small progress bar.
"""

from __future__ import annotations

import sys
from typing import TextIO

from twin_env.commands.errors import CommandError
from twin_env.commands.output_dir import MARKER, atomic_output_dir, check_output_dir

__all__ = ["COMMANDS", "MARKER", "CommandError", "ProgressBar", "atomic_output_dir", "check_output_dir"]

#: Subcommand modules, in the order ``twin-env --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "simulate",
    "demo",
    "train",
    "evaluate",
    "trial",
    "whatif",
    "dataset",
    "models",
    "audit",
    "quality",
)


class ProgressBar:
    """A one-line text progress bar on stderr (drawn only when enabled, e.g. on a terminal)."""

    def __init__(self, label: str, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.label, self.total, self.enabled = label, max(total, 1), enabled
        self.stream = stream or sys.stderr
        self._shown = -1

    def update(self, done: int) -> None:
        percent = min(100, 100 * done // self.total)
        if not self.enabled or percent == self._shown:
            return
        self._shown = percent
        bar = "#" * (percent // 4)
        self.stream.write(f"\r{self.label:<10} [{bar:<25}] {percent:3d}% ({done}/{self.total})")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
