"""Subcommands of the ``twin-env`` command line, one module each.

A subcommand module defines ``add_parser(subparsers)`` (registers its arguments and sets
``func``) and a function ``run(args) -> int``. This package also holds what they share: the
one-line :class:`CommandError`, the all-or-nothing output directory and a small progress bar.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["COMMANDS", "CommandError", "ProgressBar", "atomic_output_dir"]

#: Subcommand modules, in the order ``twin-env --help`` lists them.
COMMANDS: tuple[str, ...] = ("simulate", "demo", "train", "evaluate", "dataset", "models", "audit")


class CommandError(Exception):
    """Bad input or an unusable path: reported as one line on stderr, exit code 2."""


def _writable_parent(target: Path) -> Path:
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write to {target}: {parent} is not a writable directory")
    return parent


@contextlib.contextmanager
def atomic_output_dir(target: str | Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary sibling of ``target`` to write into; on success it replaces ``target``.

    Refuses a non-empty ``target`` unless ``overwrite``; on any error (or interrupt) the temporary
    directory is removed and ``target`` is left as it was.
    """
    target = Path(target).absolute()
    if target.exists() and not target.is_dir():
        raise CommandError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise CommandError(f"{target} is not empty; use --overwrite to replace it")
    _writable_parent(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError as exc:
        raise CommandError(f"cannot write to {target}: {exc.strerror or exc}") from None
    try:
        yield work
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.rename(old / target.name)
            work.rename(target)
            shutil.rmtree(old)
        else:
            work.rename(target)
    finally:
        if work.exists():
            shutil.rmtree(work)


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
