"""Checks for the fields of a trial protocol: each failure is one line naming the field path and what is allowed."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: Arm and outcome names: used as JSON keys and in file names of plots.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ProtocolError(ValueError):
    """A protocol that does not follow the schema; the message is one line: ``path: problem``."""


def shown(value: Any) -> str:
    """The value as JSON would write it, shortened to one line."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def fail(path: str, allowed: str, value: Any = ...) -> ProtocolError:
    """An error ``path: must be <allowed>, got <value>`` (no ``got`` part when ``value`` is omitted)."""
    got = "" if value is ... else f", got {shown(value)}"
    return ProtocolError(f"{path}: must be {allowed}{got}")


def child(path: str, key: str | int) -> str:
    """The path of a key or list index under ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def mapping(value: Any, path: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    """``value`` as an object having every ``required`` key and no key outside ``required`` + ``optional``."""
    required, optional = tuple(required), tuple(optional)
    if not isinstance(value, Mapping):
        raise fail(path or "protocol", "an object", value)
    allowed = required + optional
    for key in value:
        if key not in allowed:
            raise ProtocolError(f"{child(path, str(key))}: unknown key; allowed: {', '.join(allowed)}")
    for key in required:
        if key not in value:
            raise ProtocolError(f"{child(path, key)}: required")
    return value


def number(
    value: Any, path: str, low: float | None = None, high: float | None = None, *, open_low: bool = False
) -> float:
    """A finite JSON number (not a boolean) in ``[low, high]`` (``(low, high]`` when ``open_low``)."""
    lo = "(" if open_low else "["
    what = "a number" if low is None and high is None else f"a number in {lo}{bound_text(low)}, {bound_text(high)}]"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise fail(path, what, value)
    if low is not None and (value < low or (open_low and value == low)):
        raise fail(path, what, value)
    if high is not None and value > high:
        raise fail(path, what, value)
    return float(value)


def integer(value: Any, path: str, low: int, high: int) -> int:
    """A JSON integer (not a boolean, not ``1.0``) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(path, f"an integer in [{low}, {high}]", value)
    return value


def boolean_or_null(value: Any, path: str) -> bool | None:
    """``true``, ``false`` or ``null`` (null: no constraint)."""
    if value is not None and not isinstance(value, bool):
        raise fail(path, "true, false or null", value)
    return value


def text(value: Any, path: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise fail(path, "a non-empty string", value)
    return value


def name(value: Any, path: str) -> str:
    """A name for JSON keys and file names: letters, digits, ``_`` and ``-``, 1-64 characters."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise fail(path, "a name of 1-64 letters, digits, '_' or '-' (starting with a letter or digit)", value)
    return value


def choice(value: Any, path: str, allowed: Iterable[str]) -> str:
    """One of ``allowed``."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise fail(path, f"one of {', '.join(allowed)}", value)
    return value


def sequence(value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
    """A JSON list (non-empty when asked)."""
    if not isinstance(value, list) or (non_empty and not value):
        raise fail(path, "a non-empty list" if non_empty else "a list", value)
    return value


def names_from(value: Any, path: str, allowed: Iterable[str], *, non_empty: bool = False) -> tuple[str, ...]:
    """A list of distinct names, each one of ``allowed``."""
    allowed = tuple(allowed)
    items = sequence(value, path, non_empty=non_empty)
    for index, item in enumerate(items):
        choice(item, child(path, index), allowed)
        if item in items[:index]:
            raise ProtocolError(f"{child(path, index)}: duplicate {shown(item)}")
    return tuple(items)


def iso_date(value: Any, path: str) -> datetime.date:
    """A calendar date written ``YYYY-MM-DD``."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise fail(path, "an ISO date YYYY-MM-DD", value)


def bound_text(value: float | None) -> str:
    """A range bound as written in messages: ``...`` for open, integers without ``.0``."""
    if value is None:
        return "..."
    return str(int(value)) if float(value).is_integer() else str(value)
