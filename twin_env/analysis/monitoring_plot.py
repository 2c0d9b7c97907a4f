"""The monitoring calibration plot (PNG): observed vs predicted risk by decile, record and truth side by side.

matplotlib is the optional ``viz`` extra (``pip install twin_env[viz]``): it is imported only here,
when a plot is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from twin_env.analysis.pyplot import agg_pyplot

if TYPE_CHECKING:
    from twin_env.analysis.model_monitoring import MonitoringReport

MISSING_MATPLOTLIB = "the calibration plot needs matplotlib: pip install 'twin_env[viz]'"


def calibration_plot(report: MonitoringReport, path: str | Path) -> Path:
    """Write ``path`` (PNG): one panel per side, decile points, the diagonal; ModuleNotFoundError without matplotlib."""
    plt = agg_pyplot(MISSING_MATPLOTLIB)
    sides = (("record", report.record), ("truth", report.truth))
    points = [c[k] for _, s in sides for c in s["calibration"] for k in ("expected_percent", "observed_percent")]
    top = max([*points, 1.0])
    fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharex=True, sharey=True)
    for ax, (name, side) in zip(axes, sides):
        cal = side["calibration"]
        ax.plot([0, top * 1.05], [0, top * 1.05], color="0.6", lw=1, ls="--", label="perfect calibration")
        ax.plot([c["expected_percent"] for c in cal], [c["observed_percent"] for c in cal], "o-", ms=4, label="decile")
        ax.set_title(f"{name}: O/E {side['o_e']:.2f}, C {side['c_statistic']:.3f}", fontsize=10)
        ax.set_xlabel("predicted 10-year risk, %")
        ax.set_aspect("equal")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("observed 10-year risk, %")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{report.model}, {report.patients} patients, seed {report.seed}", fontsize=10)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out
