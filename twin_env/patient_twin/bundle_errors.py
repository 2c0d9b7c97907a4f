"""The one error a record reader raises (a user's bad input, in one line), and whether an impossible value is one."""

from __future__ import annotations

from typing import Any

__all__ = ["IMPOSSIBLE_VALUES", "RecordReadError", "check_impossible_values", "entry_label"]

#: What ``read_record(..., impossible_values=)`` does with a value outside its variable's plausible range:
#: ``"error"`` refuses the Bundle (a :class:`RecordReadError`), ``"ignore"`` lists the entry as ignored with why.
IMPOSSIBLE_VALUES: tuple[str, ...] = ("error", "ignore")


class RecordReadError(ValueError):
    """A Bundle that cannot be read: one line naming the entry (``Bundle.entry[3] Observation/abc``), the
    field and what is allowed. Commands report it as a user's mistake (no traceback)."""

    def __init__(self, where: str, field: str, problem: str) -> None:
        text = f"{where}: {field}: {problem}" if field else f"{where}: {problem}"
        super().__init__(" ".join(text.split()))


def entry_label(index: int, resource: Any) -> str:
    """``Bundle.entry[i] <resourceType>/<id>`` (``?`` where the entry does not say)."""
    if not isinstance(resource, dict):
        return f"Bundle.entry[{index}]"
    return f"Bundle.entry[{index}] {resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def check_impossible_values(value: Any, where: str = "read_record") -> str:
    """``value`` if it is one of :data:`IMPOSSIBLE_VALUES`; otherwise a one-line :class:`RecordReadError`."""
    if isinstance(value, str) and value in IMPOSSIBLE_VALUES:
        return value
    allowed = ", ".join(repr(v) for v in IMPOSSIBLE_VALUES)
    raise RecordReadError(where, "impossible_values", f"{value!r}; allowed: {allowed}")
