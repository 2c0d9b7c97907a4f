"""The development protocols shipped with the package and the published results each is compared against.

Protocols are ``twin_env/trials/protocols/<name>.json`` (deviations from the real trials in that
folder's README.md); published results are ``twin_env/trials/published_results.csv`` with source
and status (verified, verified-secondary, derived, unverified) per figure.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from importlib import resources
from typing import TYPE_CHECKING

from twin_env.trials.protocol import load_protocol
from twin_env.trials.schema import Protocol

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

STATUSES = ("verified", "verified-secondary", "derived", "unverified")
MEASURES = ("HR", "RR")


@dataclasses.dataclass(frozen=True)
class PublishedResult:
    """A published effect of a shipped protocol's outcome: ``measure`` (HR or RR) with its 95% CI."""

    trial: str
    outcome: str
    published_outcome: str
    measure: str
    estimate: float
    ci95: tuple[float, float]
    source: str
    status: str
    note: str

    def contains(self, estimate: float) -> bool:
        """Whether ``estimate`` lies inside the published 95% CI (inclusive)."""
        return self.ci95[0] <= estimate <= self.ci95[1]


def _folder() -> Traversable:
    return resources.files("twin_env.trials") / "protocols"


def list_protocols() -> tuple[str, ...]:
    """Names of the shipped protocols (file stems), sorted."""
    return tuple(sorted(p.name[: -len(".json")] for p in _folder().iterdir() if p.name.endswith(".json")))


def shipped_protocol(name: str) -> Protocol:
    """The shipped protocol ``name`` (one of :func:`list_protocols`), validated."""
    if name not in list_protocols():
        raise ValueError(f"no shipped protocol {name!r}; shipped: {', '.join(list_protocols())}")
    with resources.as_file(_folder() / f"{name}.json") as path:
        return load_protocol(path)


def published_results(trial: str | None = None) -> tuple[PublishedResult, ...]:
    """The published results, in file order; only those of ``trial`` when given."""
    text = (resources.files("twin_env.trials") / "published_results.csv").read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        if trial is not None and row["trial"] != trial:
            continue
        rows.append(
            PublishedResult(
                trial=row["trial"],
                outcome=row["outcome"],
                published_outcome=row["published_outcome"],
                measure=row["measure"],
                estimate=float(row["estimate"]),
                ci95=(float(row["ci95_low"]), float(row["ci95_high"])),
                source=row["source"],
                status=row["status"],
                note=row["note"],
            )
        )
    return tuple(rows)
