"""The what-if fan chart (matplotlib, the optional ``viz`` extra): risk by year per strategy, with 90% bands.

One panel per outcome of :data:`FAN_OUTCOMES`: each strategy's cumulative risk at year 0 (0) and the end of
every year, a line with its 90% interval shaded. Object API only; PNG metadata without the matplotlib
version, so the bytes depend only on the figures (for one matplotlib version).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twin_env.trials.plots import DPI, _figure

#: Outcomes drawn, in panel order (those the forecast has).
FAN_OUTCOMES: tuple[str, ...] = ("cvd", "mi", "stroke", "death")
_PNG_METADATA = {"Software": None}


def fan_chart(strategies: Mapping[str, Mapping[str, Any]], path: Path, *, title: str = "") -> Path:
    """Draw ``strategies`` (the ``strategies`` of whatif.json) to ``path`` (PNG); returns ``path``."""
    first = next(iter(strategies.values()))["risk_by_year"]
    outcomes = [o for o in FAN_OUTCOMES if o in first] or list(first)[:4]
    fig = _figure(figsize=(3.2 * len(outcomes), 3.4))
    axes = fig.subplots(1, len(outcomes), squeeze=False)[0]
    for ax, outcome in zip(axes, outcomes, strict=True):
        for name, summary in strategies.items():
            rows = summary["risk_by_year"][outcome]
            years = [0] + [r["year"] for r in rows]
            line = ax.plot(years, [0.0] + [100 * r["mean"] for r in rows], marker="o", markersize=3, label=name)[0]
            ax.fill_between(
                years,
                [0.0] + [100 * r["p05"] for r in rows],
                [0.0] + [100 * r["p95"] for r in rows],
                alpha=0.2,
                color=line.get_color(),
                linewidth=0,
            )
        ax.set_title(outcome)
        ax.set_xlabel("years from the record's date")
        ax.set_ylim(bottom=0.0)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cumulative risk (%), 90% interval")
    axes[0].legend(loc="upper left", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata=_PNG_METADATA)
    return path
