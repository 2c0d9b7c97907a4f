"""Kaplan-Meier plots of a trial (matplotlib, the optional ``viz`` extra): ``km_<outcome>.png``, one per outcome.

Each plot shows the event-free probability of every arm over follow-up (years) as a step curve
with its 95% CI band. Object API only (no pyplot state); PNG metadata without the matplotlib
version, so the bytes depend only on the curves (for one matplotlib version).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.trials.statistics import KaplanMeierCurve

__all__ = ["km_plot", "write_km_plots"]

DPI = 80
_PNG_METADATA = {"Software": None}


def _figure(**kwargs: Any):  # noqa: ANN202 (matplotlib.figure.Figure)
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("matplotlib is not installed (pip install 'twin-env[viz]')") from None
    return Figure(**kwargs)


def write_km_plots(
    survival: Mapping[str, Mapping[str, KaplanMeierCurve]], out_dir: str | Path, *, reference: str | None = None
) -> dict[str, Path]:
    """Write ``km_<outcome>.png`` for every outcome into ``out_dir``; outcome -> path."""
    out = Path(out_dir)
    return {
        outcome: km_plot(outcome, curves, out / f"km_{outcome}.png", reference=reference)
        for outcome, curves in survival.items()
    }


def km_plot(outcome: str, curves: Mapping[str, KaplanMeierCurve], path: Path, *, reference: str | None = None) -> Path:
    """One outcome's Kaplan-Meier curves, an arm per line (the reference arm dashed), to ``path``."""
    fig = _figure(figsize=(6.0, 4.0))
    ax = fig.subplots()
    low = 1.0
    for name, curve in curves.items():
        if len(curve.time_years) == 0:
            continue
        style = "--" if name == reference else "-"
        line = ax.step(curve.time_years, curve.survival, where="post", linestyle=style, label=name)[0]
        ax.fill_between(
            curve.time_years,
            curve.ci95_lower,
            curve.ci95_upper,
            step="post",
            alpha=0.2,
            color=line.get_color(),
            linewidth=0,
        )
        finite = curve.ci95_lower[np.isfinite(curve.ci95_lower)]
        low = min(low, float(finite.min())) if len(finite) else low
    ax.set_ylim(max(0.0, low - 0.02), 1.005)
    ax.set_xlabel("years since randomisation")
    ax.set_ylabel(f"free of {outcome}")
    ax.set_title(f"Kaplan-Meier: {outcome} (95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata=_PNG_METADATA)
    return path
