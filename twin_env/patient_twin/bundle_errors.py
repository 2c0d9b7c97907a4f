"""The one error a record reader raises: a user's bad input, named in one line."""

from __future__ import annotations

from typing import Any

__all__ = ["RecordReadError", "entry_label"]


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
