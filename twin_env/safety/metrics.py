"""Safety metrics per episode and aggregated over episodes."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any


@dataclasses.dataclass
class EpisodeSafety:
    """Counts of one episode: steps, proposed/executed hard violations, soft cost, interventions, per rule."""

    steps: int = 0
    proposed_hard: int = 0
    executed_hard: int = 0
    soft_cost: float = 0.0
    cost: float = 0.0
    interventions: int = 0
    per_rule: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    @property
    def intervention_rate(self) -> float:
        return self.interventions / self.steps if self.steps else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps, "proposed_hard_violations": self.proposed_hard,
            "executed_hard_violations": self.executed_hard,
            "soft_cost": self.soft_cost, "cost": self.cost, "interventions": self.interventions,
            "intervention_rate": self.intervention_rate, "per_rule": dict(sorted(self.per_rule.items())),
        }  # fmt: skip


class SafetyMetrics:
    """Episodes' :class:`EpisodeSafety` (the last one open) and their aggregate :meth:`summary`."""

    def __init__(self) -> None:
        self.episodes: list[EpisodeSafety] = []

    def start_episode(self) -> None:
        self.episodes.append(EpisodeSafety())

    def record(
        self,
        *,
        proposed_hard: int,
        executed_hard: int,
        soft_cost: float,
        cost: float,
        intervened: bool,
        fired: list[str],
    ) -> None:
        """Add one step to the current episode."""
        if not self.episodes:
            self.start_episode()
        e = self.episodes[-1]
        e.steps += 1
        e.proposed_hard += proposed_hard
        e.executed_hard += executed_hard
        e.soft_cost += soft_cost
        e.cost += cost
        e.interventions += int(intervened)
        e.per_rule.update(fired)

    def summary(self) -> dict[str, Any]:
        """Totals over all episodes (intervention rate per step) and the per-episode dicts."""
        total = EpisodeSafety()
        for e in self.episodes:
            total.steps += e.steps
            total.proposed_hard += e.proposed_hard
            total.executed_hard += e.executed_hard
            total.soft_cost += e.soft_cost
            total.cost += e.cost
            total.interventions += e.interventions
            total.per_rule.update(e.per_rule)
        return {"episodes": len(self.episodes), **total.to_dict(), "per_episode": [e.to_dict() for e in self.episodes]}
