"""How often a policy gave each reason, remembering where each reason first appeared, so shards merge exactly."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence


class ReasonTally(collections.Counter):
    """A ``Counter`` of reasons whose keys are in order of first appearance: by decision step, then by row.

    ``first_seen[reason]`` is that ``(step, row)``. :func:`merge_tallies` rebuilds the tally of a whole cohort
    from its shards' (rows offset by each shard's first row) with the same counts and the same key order, so
    ``most_common`` breaks ties the same way.
    """

    def __init__(self, counts: dict[str, int] | None = None, first_seen: dict[str, tuple[int, int]] | None = None):
        super().__init__(counts or {})
        self.first_seen: dict[str, tuple[int, int]] = dict(first_seen or {})

    def __reduce__(self) -> tuple[type, tuple[dict[str, int], dict[str, tuple[int, int]]]]:
        """Pickle counts and first sights (shards return tallies from worker processes)."""
        return type(self), (dict(self), self.first_seen)

    def add(self, step: int, reasons: Sequence[str], active: Iterable[bool]) -> None:
        """Count the reasons of the active rows at decision ``step`` (``reasons`` and ``active`` row by row)."""
        for row, (why, counted) in enumerate(zip(reasons, active)):
            if counted:
                self[why] += 1
                self.first_seen.setdefault(why, (step, row))


def merge_tallies(parts: Sequence[tuple[int, ReasonTally]]) -> ReasonTally:
    """One tally from ``(first row, tally)`` per shard: counts summed, keys in the cohort's order of first sight."""
    seen: dict[str, tuple[int, int]] = {}
    for first_row, tally in parts:
        for why, (step, row) in tally.first_seen.items():
            at = (step, first_row + row)
            seen[why] = min(seen.get(why, at), at)
    merged = ReasonTally()
    for why in sorted(seen, key=seen.__getitem__):
        merged[why] = sum(tally[why] for _, tally in parts)
        merged.first_seen[why] = seen[why]
    return merged
