"""The forecast calibration plot (PNG): predicted vs observed five-year risk by decile, one panel per outcome.

matplotlib is the optional ``viz`` extra; object API only, PNG metadata without the matplotlib version.
"""

from __future__ import annotations

from pathlib import Path

from twin_env.trials.plots import DPI, _figure

_PNG_METADATA = {"Software": None}


def forecast_check_plot(report: dict, path: str | Path) -> Path:
    """Write ``path`` from a :func:`twin_env.trials.forecast_check.forecast_check` report."""
    outcomes = report["outcomes"]
    fig = _figure(figsize=(3.0 * len(outcomes), 3.3))
    axes = fig.subplots(1, len(outcomes), squeeze=False)[0]
    for ax, (name, c) in zip(axes, outcomes.items(), strict=True):
        predicted = [d["predicted_percent"] for d in c["by_decile"]]
        observed = [d["observed_percent"] for d in c["by_decile"]]
        top = max([*predicted, *observed, 1.0]) * 1.1
        ax.plot([0, top], [0, top], color="0.6", linewidth=1, linestyle="--")
        ax.plot(predicted, observed, marker="o", markersize=4)
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_title(f"{name}: O/E {c['o_e']}", fontsize=10)
        ax.set_xlabel("predicted 5-year risk (%)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("observed (%), by decile")
    fig.suptitle(f"{report['twinned']} twins from exported FHIR, {report['n_samples']} samples each", fontsize=10)
    fig.tight_layout()
    fig.savefig(Path(path), dpi=DPI, metadata=_PNG_METADATA)
    return Path(path)
