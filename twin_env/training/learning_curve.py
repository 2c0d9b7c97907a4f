"""A run's learning curve: ``learning_curve.csv`` and ``learning_curve.png`` (matplotlib, the ``viz`` extra).

The PNG has two panels: the raw return of each finished training episode (reward units, 1 =
``reward_scale_gbp`` GBP; dots) with its rolling mean over ``window`` episodes (line), against env steps;
and, when the run validated, the validation score (NMB vs do-nothing, GBP per patient) with its 95% CI.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

CSV_COLUMNS = ("timesteps", "episode_return", "episode_length")


def write_csv(rows: Sequence[tuple[int, float, int]], path: Path) -> Path:
    """``rows`` of ``(timesteps, episode_return, episode_length)`` as a CSV with a header."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
    return path


def check_matplotlib() -> None:
    """Raises a one-line ``ValueError`` before training if the plot could not be drawn at its end."""
    try:
        import matplotlib  # noqa: F401, PLC0415
    except ImportError:
        raise ValueError(
            "the learning-curve plot needs matplotlib (pip install 'twin-env[viz]'); or pass --no-plots"
        ) from None


def plot(
    rows: Sequence[tuple[int, float, int]],
    validation: Sequence[dict[str, Any]],
    path: Path,
    title: str,
    window: int = 100,
) -> Path:
    """Draw ``learning_curve.png`` (80 dpi) from the curve's rows and the validation rows; returns ``path``."""
    from matplotlib.figure import Figure  # noqa: PLC0415 (the optional viz extra)

    panels = 2 if validation else 1
    fig = Figure(figsize=(7.0, 2.6 * panels + 0.6), dpi=80, layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    steps = np.array([r[0] for r in rows], dtype=float)
    returns = np.array([r[1] for r in rows], dtype=float)
    ax = axes[0]
    if len(rows):
        ax.plot(steps, returns, ".", ms=2, alpha=0.25, color="tab:blue", label="episode")
        k = min(window, len(rows))
        rolling = np.convolve(returns, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1 :], rolling, color="tab:blue", label=f"mean of {k}")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_ylabel("episode return\n(raw reward units)")
    ax.set_title(title, fontsize=10)
    if validation:
        vx = np.array([float(v["timesteps"]) for v in validation])
        ax = axes[1]
        ax.fill_between(
            vx,
            [float(v["ci_low_gbp"]) for v in validation],
            [float(v["ci_high_gbp"]) for v in validation],
            color="tab:green",
            alpha=0.2,
            label="95% CI",
        )
        ax.plot(vx, [float(v["nmb_vs_do_nothing_gbp"]) for v in validation], "o-", color="tab:green", ms=3)
        ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_ylabel("validation NMB vs\ndo-nothing (GBP/patient)")
    axes[-1].set_xlabel("env steps")
    fig.savefig(path)
    return path
