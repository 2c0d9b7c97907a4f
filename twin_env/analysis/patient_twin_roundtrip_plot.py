"""The patient-twin round-trip plot (PNG): 90% interval coverage by latent level, and the calibration of the
posterior probability of uncoded conditions by decile.

matplotlib is the optional ``viz`` extra (``pip install twin_env[viz]``): it is imported only here.
"""

from __future__ import annotations

from pathlib import Path

from twin_env.analysis.pyplot import agg_pyplot

MISSING_MATPLOTLIB = "the round-trip plot needs matplotlib: pip install 'twin_env[viz]'"


def roundtrip_plot(report: dict, path: str | Path) -> Path:
    """Write ``path`` (PNG) from a :func:`twin_env.analysis.patient_twin_roundtrip.roundtrip` report."""
    plt = agg_pyplot(MISSING_MATPLOTLIB)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    coverage = report["coverage_90_percent"]
    names = list(coverage)
    left.axhspan(85, 95, color="0.9", label="target 85-95%")
    left.axhline(90, color="0.5", lw=1, ls="--")
    left.bar(range(len(names)), [coverage[n]["covered_percent"] for n in names], color="tab:blue")
    left.set_xticks(range(len(names)), [n.split("_")[0] + ("\nuntreated" if "untreated" in n else "") for n in names])
    left.set_ylim(0, 100)
    left.set_ylabel("truth inside the 90% interval, %")
    left.set_title("latent levels at the end", fontsize=10)
    left.legend(fontsize=8, loc="lower left")
    u = report["undiagnosed"]
    deciles = u["by_decile"]
    top = max([d["predicted_percent"] for d in deciles] + [d["observed_percent"] for d in deciles] + [1.0]) * 1.05
    right.plot([0, top], [0, top], color="0.6", lw=1, ls="--", label="perfect calibration")
    right.plot([d["predicted_percent"] for d in deciles], [d["observed_percent"] for d in deciles], "o-", ms=4)
    right.set_xlabel("posterior probability, % (decile mean)")
    right.set_ylabel("present in the original, %")
    right.set_title(f"uncoded conditions: O/E {u['o_e']}", fontsize=10)
    right.set_aspect("equal")
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"patient twin round trip: {report['twinned']} patients, {report['years']:g} years, seed {report['seed']}",
        fontsize=10,
    )
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out
