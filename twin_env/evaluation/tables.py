"""Markdown tables of an evaluation's results: the policy table, the age-band table and the paired differences.

Every cell is ``mean (95% CI low, high)``; intervals are :mod:`twin_env.evaluation.intervals`'.
"""

from __future__ import annotations

import math
from typing import Any

from twin_env.evaluation.audits import AUDIT_METRICS, AUDIT_SUMMARY
from twin_env.evaluation.metric_kinds import ALL_METRICS
from twin_env.evaluation.metrics import METRICS, SAFETY_METRICS

_DIGITS: dict[str, int] = {
    **dict.fromkeys(ALL_METRICS, 3),
    "cost_gbp": 0,
    "nmb_gbp": 0,
    "time_bp_target": 2,
    "time_hba1c_target": 2,
    "tests_per_py": 2,
    "masked_proposals_per_py": 2,
    "mean_drug_classes": 2,
}
#: The policy table's columns (safety columns only when evaluated shielded); by kind and by issuer are in
#: results.json and outcomes.csv.
DEFAULT_COLUMNS: tuple[str, ...] = (*METRICS, *AUDIT_SUMMARY, *SAFETY_METRICS)
#: The short comparison table (``twin-env demo``): outcomes and safety.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "nmb_gbp",
    "qalys",
    "cost_gbp",
    "cvd_events",
    "proposed_hard_violations",
    "executed_hard_violations",
    "record_hard_violations_per_patient",
)
#: Columns of the age-band and paired-difference tables.
BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "nmb_gbp",
    "qalys",
    "cost_gbp",
    "cvd_events",
    "deaths",
    *(m for m in AUDIT_SUMMARY if m in AUDIT_METRICS),
)


def _fmt(s: dict[str, float], digits: int) -> str:
    if s["n"] == 0 or s["mean"] is None or math.isnan(s["mean"]):
        return "n/a"
    if s["ci_low"] is None or math.isnan(s["ci_low"]):
        return f"{s['mean']:.{digits}f}"
    return f"{s['mean']:.{digits}f} ({s['ci_low']:.{digits}f}, {s['ci_high']:.{digits}f})"


def _head(cols: list[str], *first: str) -> list[str]:
    lines = ["| " + " | ".join([*first, *[f"{ALL_METRICS[m][0]} ({ALL_METRICS[m][1]})" for m in cols]])]
    return [lines[0] + " |", "|" + "---|" * (len(first) + len(cols))]


def markdown_table(results: dict[str, Any], columns: tuple[str, ...] | None = None) -> str:
    """Policies as rows, metrics as columns, then the paired NMB against do-nothing; safety columns only when
    evaluated shielded."""
    cols = [m for m in (columns or DEFAULT_COLUMNS) if m not in SAFETY_METRICS or results["shielded"]]
    lines = _head(cols, "policy")
    lines[0] = lines[0][:-2] + " | NMB vs do-nothing (GBP, paired) |"
    lines[1] += "---|"
    for name, r in results["policies"].items():
        paired = _fmt(r["nmb_vs_do_nothing_gbp"], 0) if "nmb_vs_do_nothing_gbp" in r else "-"
        lines.append("| " + " | ".join([name, *[_fmt(r["metrics"][m], _DIGITS[m]) for m in cols], paired]) + " |")
    return "\n".join(lines) + "\n"


def age_band_table(results: dict[str, Any], columns: tuple[str, ...] = BREAKDOWN_COLUMNS) -> str:
    """One row per policy and age band (age at the start of the episode)."""
    cols = list(columns)
    lines = _head(cols, "policy", "age band", "patients")
    for name, r in results["policies"].items():
        for band, metrics in r["by_age_band"].items():
            n = max((s["n"] for s in metrics.values()), default=0)
            lines.append("| " + " | ".join([name, band, str(n), *[_fmt(metrics[m], _DIGITS[m]) for m in cols]]) + " |")
    return "\n".join(lines) + "\n"


def paired_table(results: dict[str, Any], reference: str, columns: tuple[str, ...] = BREAKDOWN_COLUMNS) -> str:
    """Each other policy minus ``reference`` on the same patients: mean difference (paired bootstrap 95% CI)."""
    cols = list(columns)
    lines = _head(cols, f"policy minus {reference}")
    for name, r in results["policies"].items():
        diff = r.get("paired_differences", {}).get(reference)
        if diff:
            lines.append("| " + " | ".join([name, *[_fmt(diff[m], _DIGITS[m]) for m in cols]]) + " |")
    return "\n".join(lines) + "\n"


def report_markdown(results: dict[str, Any]) -> str:
    """The policy table, the paired differences against each reference evaluated and the age-band table."""
    parts = [markdown_table(results)]
    references = {ref for r in results["policies"].values() for ref in r.get("paired_differences", {})}
    for ref in (r for r in results["policies"] if r in references):
        parts.append(f"\nPaired differences against {ref} (same patients):\n\n{paired_table(results, ref)}")
    parts.append(f"\nBy age band at the start:\n\n{age_band_table(results)}")
    return "".join(parts)
