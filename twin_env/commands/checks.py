"""Argument checks at the command-line boundary: each bad value becomes one line naming the option and what is allowed.

The ``*_arg`` factories return argparse ``type=`` callables (argparse prefixes ``argument
--name:``); :func:`check_budget` refuses runs whose estimated memory or time would explode,
with the estimate in the message.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twin_env.commands.errors import CommandError

__all__ = [
    "MAX_SEED",
    "check_budget",
    "env_config_arg",
    "file_arg",
    "int_arg",
    "new_file_path_arg",
    "physical_memory_bytes",
    "real_arg",
    "years_arg",
]

#: Largest seed accepted (numpy seeds are unbounded; this keeps them within a signed 64-bit integer).
MAX_SEED = 2**63 - 1


def int_arg(lo: int, hi: int) -> Callable[[str], int]:
    """An integer in ``[lo, hi]``."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer in [{lo:,}, {hi:,}], got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer in [{lo:,}, {hi:,}], got {value:,}")
        return value

    parse.__name__ = "integer"
    return parse


def real_arg(lo: float, hi: float, *, lo_open: bool = False) -> Callable[[str], float]:
    """A finite number in ``[lo, hi]`` (``(lo, hi]`` if ``lo_open``)."""
    interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number in {interval}, got {text!r}") from None
        if not math.isfinite(value) or value < lo or value > hi or (lo_open and value == lo):
            raise argparse.ArgumentTypeError(f"must be a number in {interval}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def years_arg(hi: float, *, zero: bool = False) -> Callable[[str], float]:
    """Years as a whole number of months, at most ``hi`` years and at least one month (or 0 if ``zero``)."""
    base = real_arg(0.0, hi, lo_open=not zero)
    least = "0" if zero else "1 month (0.0833)"

    def parse(text: str) -> float:
        value = base(text)
        months = value * 12
        if (months < 1 - 1e-9 and not (zero and months == 0)) or abs(months - round(months)) > 0.01:
            raise argparse.ArgumentTypeError(
                f"must be a whole number of months (years x 12), at least {least}, got {text} = {months:g} months"
            )
        return value

    parse.__name__ = "years"
    return parse


def env_config_arg(text: str) -> dict[str, Any]:
    """``--env-config``: a JSON object of :class:`~twin_env.envs.config.EnvConfig` overrides, checked now."""
    from twin_env.envs.config import EnvConfig  # noqa: PLC0415 (keeps `twin-env --help` light)

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"not valid JSON ({exc.msg} at char {exc.pos}); allowed: a JSON object"
        ) from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object of EnvConfig fields, got {type(value).__name__}")
    try:
        EnvConfig.from_value(value)
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def file_arg(text: str) -> Path:
    """An existing readable file."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not an existing file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text!r} is not readable")
    return path


def new_file_path_arg(text: str) -> Path:
    """A directory path that is not an existing file (e.g. a log directory)."""
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a directory, got ''")
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a directory")
    return path


def physical_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover (not POSIX)
        return 16 * 2**30


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"  # pragma: no cover


def _human_seconds(s: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if s >= size:
            return f"{s / size:,.1f} {unit}"
    return f"{s:.0f} s"


def check_budget(
    what: str,
    memory_bytes: float,
    seconds: float,
    allowed: str,
    *,
    max_seconds: float,
    memory_limit_bytes: float | None = None,
) -> None:
    """Refuse a run whose estimated memory exceeds the machine's (or ``memory_limit_bytes``) or whose
    estimated time exceeds ``max_seconds``; the message names both estimates and what is allowed."""
    limit = memory_limit_bytes if memory_limit_bytes is not None else physical_memory_bytes()
    if memory_bytes > limit or seconds > max_seconds:
        raise CommandError(
            f"{what} would need about {_human_bytes(memory_bytes)} of memory (this machine: {_human_bytes(limit)}) "
            f"and about {_human_seconds(seconds)}; allowed: {allowed}"
        )
