"""The one error type of the command line: a user's mistake, reported as one line."""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """Bad input or an unusable path: reported as one line on stderr, exit code 2."""
