"""Evaluation plots (matplotlib, the optional ``viz`` extra): outcomes per policy and example timelines.

``outcomes.png``: mean and 95% CI of NMB (paired vs do-nothing when evaluated), QALYs, NHS cost and
CVD events per policy.
``timeline_<policy>.png``: the example patient of :mod:`twin_env.evaluation.timeline` under each policy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.evaluation.metrics import METRICS

DPI = 80
OUTCOMES: tuple[str, ...] = ("nmb_gbp", "qalys", "cost_gbp", "cvd_events")


def _figure(**kwargs: Any):  # noqa: ANN202 (matplotlib.figure.Figure)
    """A matplotlib Figure (object API: no pyplot state, no backend switch)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'twin-env[viz]' (or matplotlib)") from None
    return Figure(**kwargs)


def write_plots(results: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write ``outcomes.png`` and one ``timeline_<policy>.png`` per policy; the paths written."""
    out = Path(out_dir)
    paths = [outcomes_plot(results, out / "outcomes.png")]
    for name, data in results.get("timelines", {}).items():
        if data:
            paths.append(timeline_plot(name, data, out / f"timeline_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"))
    return paths


def outcomes_plot(results: dict[str, Any], path: Path) -> Path:
    """Bar per policy with 95% CI error bars, one panel per outcome in :data:`OUTCOMES`.

    NMB is shown as the paired difference from do-nothing when do-nothing was evaluated: absolute
    NMBs (about 150,000 GBP) differ by under 1% and the bars would look equal.
    """
    names = list(results["policies"])
    paired = all("nmb_vs_do_nothing_gbp" in results["policies"][p] for p in names)
    fig = _figure(figsize=(3.2 * len(OUTCOMES), 3.6))
    axes = fig.subplots(1, len(OUTCOMES))
    for ax, m in zip(axes, OUTCOMES):
        if m == "nmb_gbp" and paired:
            s = [results["policies"][p]["nmb_vs_do_nothing_gbp"] for p in names]
        else:
            s = [results["policies"][p]["metrics"][m] for p in names]
        mean = np.array([x["mean"] for x in s], dtype=float)
        err = np.array([[x["mean"] - x["ci_low"] for x in s], [x["ci_high"] - x["mean"] for x in s]], dtype=float)
        ax.bar(range(len(names)), mean, yerr=np.nan_to_num(err), capsize=3, color="tab:blue", alpha=0.8)
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
        title = "NMB vs do-nothing, paired" if m == "nmb_gbp" and paired else METRICS[m][0]
        ax.set_title(f"{title}\n({METRICS[m][1]})", fontsize=9)
        ax.axhline(0, color="grey", lw=0.5)
    fig.suptitle(
        f"{results['episodes']} evaluation patients, mean and 95% CI" + (" (shielded)" if results["shielded"] else ""),
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path


def timeline_plot(policy: str, data: dict[str, Any], path: Path) -> Path:
    """Recorded SBP and HbA1c, prescription bars, true events and the policy's actions over time."""
    years = lambda d: 1970 + np.asarray(d, dtype=float) / 365.25  # noqa: E731
    fig = _figure(figsize=(8, 6.4))
    bp, a1c, rx = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [2, 2, 3]})
    for ax, key, label, target in ((bp, "sbp", "SBP (mmHg)", 140), (a1c, "hba1c", "HbA1c (mmol/mol)", 53)):
        pts = np.array(data[key], dtype=float).reshape(-1, 2)
        ax.plot(years(pts[:, 0]), pts[:, 1], "o-", ms=3, lw=1)
        ax.axhline(target, color="grey", ls="--", lw=0.8)
        if not len(pts):
            ax.text(0.5, 0.5, "none recorded", transform=ax.transAxes, ha="center", fontsize=8, color="grey")
        ax.set_ylabel(label, fontsize=8)
    drugs = sorted({d for d, *_ in data["prescriptions"]})
    for d, start, end, dose in data["prescriptions"]:
        y = drugs.index(d)
        rx.barh(y, (end - start) / 365.25, left=years(start), height=0.6, color="tab:green", alpha=0.7)
        rx.text(years(start), y, f"{dose:g}", fontsize=6, va="center")
    lane = len(drugs)
    for day, proposed, executed in data["actions"]:
        colour = "tab:blue" if proposed == executed else "tab:orange"
        rx.plot(years(day), lane, "|", color=colour, ms=8)
    for day, what in data["events"]:
        for ax in (bp, a1c, rx):
            ax.axvline(years(day), color="black" if what == "death" else "tab:red", lw=1)
        rx.text(years(day), lane + 0.6, what, fontsize=7, color="tab:red")
    rx.set_yticks(range(lane + 1), [*drugs, "actions"], fontsize=7)
    rx.set_ylim(-0.7, lane + 1.2)
    rx.set_xlabel(
        "year (actions: blue as proposed, orange replaced by the shield; red/black lines: CVD events/death)", fontsize=7
    )
    fig.suptitle(f"{policy}: example patient {data['patient_index']} (evaluation row {data['row']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path
