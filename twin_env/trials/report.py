"""A trial's output directory: ``result.json``, ``report.md``, ``per_patient.csv``, ``protocol.json``, KM PNGs.

``result.json`` is exactly ``result.to_json()`` (keys ``flow``, ``baseline``, ``achieved``,
``outcomes``), written with sorted keys and NaN/inf as null, so a seed gives the same bytes.
``report.md`` reads like a trial report: the CONSORT-style flow, baseline characteristics and
achieved risk factors per arm, every outcome per arm against the reference arm and, for a shipped
development protocol, the published results beside the twin's. The PNGs (``km_<outcome>.png``)
need matplotlib (the ``viz`` extra); without it everything else is written and the report says so.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from typing import Protocol as TypingProtocol

import pandas as pd

from twin_env.trials.protocol import protocol_to_dict
from twin_env.trials.schema import (
    BpTargetStrategy,
    DrugsStrategy,
    PhysiologyStrategy,
    PolicyStrategy,
    Protocol,
    Strategy,
)
from twin_env.trials.shipped import PublishedResult, list_protocols, published_results, shipped_protocol
from twin_env.trials.statistics import ArmResult, KaplanMeierCurve
from twin_env.vocab.drugs import DRUGS

__all__ = [
    "TrialOutputs",
    "TrialResultLike",
    "json_bytes",
    "report_markdown",
    "shipped_name",
    "write_trial_outputs",
]

MISSING = "n/a"


class TrialResultLike(TypingProtocol):
    """What the report reads of a :class:`twin_env.trials.result.TrialResult`."""

    protocol: Protocol
    flow: Mapping[str, Any]
    baseline: Mapping[str, Any]
    achieved: Mapping[str, Any]
    outcomes: Mapping[str, Mapping[str, ArmResult]]
    survival: Mapping[str, Mapping[str, KaplanMeierCurve]]
    per_patient: pd.DataFrame

    def to_json(self) -> dict[str, Any]: ...


@dataclasses.dataclass(frozen=True)
class TrialOutputs:
    """The files written (sorted) and, when no plot could be drawn, the one-line reason."""

    files: tuple[Path, ...]
    plots_skipped: str | None


def write_trial_outputs(result: TrialResultLike, out_dir: str | Path, *, plots: bool = True) -> TrialOutputs:
    """Write every output of ``result`` into ``out_dir`` (created if needed); the files written.

    Callers wanting all-or-nothing output pass a temporary directory (the CLI uses
    :func:`twin_env.commands.atomic_output_dir`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "result.json", out / "protocol.json", out / "per_patient.csv", out / "report.md"]
    files[0].write_bytes(json_bytes(result.to_json()))
    files[1].write_bytes(json_bytes(protocol_to_dict(result.protocol)))
    result.per_patient.to_csv(files[2], index=False, lineterminator="\n")
    skipped = "Kaplan-Meier plots not drawn (--no-plots)." if not plots else None
    pngs: dict[str, Path] = {}
    if plots:
        try:
            from twin_env.trials.plots import write_km_plots  # noqa: PLC0415 (matplotlib is optional)

            pngs = write_km_plots(result.survival, out, reference=result.protocol.reference_arm)
        except ImportError as exc:
            skipped = f"Kaplan-Meier plots not drawn: {exc}."
    files[3].write_text(report_markdown(result, plots=pngs, plots_skipped=skipped), encoding="utf-8")
    return TrialOutputs(tuple(sorted([*files, *pngs.values()])), skipped)


def json_bytes(data: Any) -> bytes:
    """``data`` as indented JSON with sorted keys, NaN and inf as null, a final newline (UTF-8)."""
    return (json.dumps(_json_safe(data), indent=2, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def shipped_name(protocol: Protocol) -> str | None:
    """The name of the shipped development protocol equal to ``protocol``, if it is one unchanged."""
    for name in list_protocols():
        if shipped_protocol(name) == protocol:
            return name
    return None


# --- report.md -------------------------------------------------------------------------------------------------


def report_markdown(
    result: TrialResultLike, *, plots: Mapping[str, Path] | None = None, plots_skipped: str | None = None
) -> str:
    """The trial report as markdown. ``plots``: outcome -> PNG path (linked by file name)."""
    protocol = result.protocol
    trial = shipped_name(protocol)
    lines = [f"# {protocol.name}", ""]
    lines += _design(protocol, trial)
    lines += ["## Flow (CONSORT)", "", *_flow(result.flow, protocol.arm_names), ""]
    lines += ["## Baseline characteristics", "", *_baseline(result.baseline, protocol.arm_names), ""]
    lines += ["## Achieved risk factors and treatment by year", "", *_achieved(result.achieved, protocol.arm_names)]
    lines += ["## Outcomes", "", *_outcome_preamble(protocol)]
    for outcome, arms in result.outcomes.items():
        lines += [f"### {_outcome_heading(protocol, outcome)}", "", *_outcome_table(arms, protocol), ""]
        if plots and outcome in plots:
            lines += [f"![Kaplan-Meier, {outcome}]({plots[outcome].name})", ""]
    if plots_skipped:
        lines += [plots_skipped, ""]
    if trial is not None:
        lines += _published(trial, result.outcomes, protocol)
    return "\n".join(lines).rstrip("\n") + "\n"


def _design(protocol: Protocol, trial: str | None) -> list[str]:
    population = protocol.population
    lines = [
        f"Allocation: {protocol.allocation}. Follow-up: {protocol.follow_up_years:g} years. "
        f"Population: {population.n:,} people aged {population.min_age:g}-{population.max_age:g} sampled "
        f"with seed {population.seed} on {population.start_date.isoformat()}, then screened "
        "(the protocol as run: `protocol.json`).",
        "",
        "| arm | strategy |",
        "|---|---|",
    ]
    for arm in protocol.arms:
        note = " (reference)" if arm.name == protocol.reference_arm else ""
        lines.append(f"| {arm.name}{note} | {describe_strategy(arm.strategy)} |")
    lines.append("")
    if trial is not None:
        lines += [
            f"A shipped development protocol (`{trial}`): what it cannot express of the real trial is listed in "
            "`twin_env/trials/protocols/README.md`; its published results are compared at the end.",
            "",
        ]
    return lines


def describe_strategy(strategy: Strategy) -> str:
    """One phrase for a strategy, e.g. ``bp_target: titrate towards SBP < 120 mmHg every 3 months``."""
    if isinstance(strategy, DrugsStrategy):
        drugs = ", ".join(f"{s.drug} {s.dose:g} {DRUGS[s.drug].dose_unit}" for s in strategy.start)
        return f"drugs: start {drugs} at baseline and keep them"
    if isinstance(strategy, BpTargetStrategy):
        return (
            f"bp_target: titrate antihypertensives towards visit SBP < {strategy.target_sbp_mmhg:g} mmHg "
            f"every {strategy.visit_months} months"
        )
    if isinstance(strategy, PhysiologyStrategy):
        offsets = {k: v for k, v in dataclasses.asdict(strategy).items() if v}
        shown = ", ".join(f"{k} {v:+g}" for k, v in offsets.items()) or "no offset"
        return f"physiology: {shown}"
    if isinstance(strategy, PolicyStrategy):
        return f"policy: {strategy.policy}"
    return "none: background care only"


def _flow(flow: Mapping[str, Any], arms: Sequence[str]) -> list[str]:
    """Scalar counts (sampled, eligible) as a list, then the counts per arm (allocated, died, completed) as a table."""
    lines = [f"- {key.replace('_', ' ')}: {_number(value)}" for key, value in flow.items() if _is_scalar(value)]
    per_arm = {key: value for key, value in flow.items() if isinstance(value, Mapping)}
    if per_arm:
        lines += ["", "| | " + " | ".join(arms) + " |", "|---|" + "---|" * len(arms)]
        for key, value in per_arm.items():
            lines.append(f"| {key.replace('_', ' ')} | " + " | ".join(_cell(value.get(a)) for a in arms) + " |")
    return lines


def _per_arm(data: Mapping[str, Any], arms: Sequence[str]) -> Mapping[str, Mapping[str, Any]] | None:
    """``data`` itself when keyed by arm, else its first value keyed by arm (e.g. ``flow["arms"]``)."""
    if set(arms) <= set(data):
        return data
    for value in data.values():
        if isinstance(value, Mapping) and set(arms) <= set(value):
            return value
    return None


def _arm_table(per_arm: Mapping[str, Mapping[str, Any]], arms: Sequence[str]) -> list[str]:
    """Rows: the keys of the arms' mappings (first-seen order); columns: arms."""
    keys = list(dict.fromkeys(k for arm in arms for k in per_arm[arm]))
    lines = ["| | " + " | ".join(arms) + " |", "|---|" + "---|" * len(arms)]
    for key in keys:
        lines.append(
            f"| {_row_label(key)} | " + " | ".join(_baseline_cell(key, per_arm[a].get(key)) for a in arms) + " |"
        )
    return lines


_UNITS = (
    ("_years", "years"),
    ("_mmhg", "mmHg"),
    ("_mmol_l", "mmol/L"),
    ("_mmol_mol", "mmol/mol"),
    ("_kg_m2", "kg/m2"),
)
_NAMES = {
    "sbp": "SBP",
    "dbp": "DBP",
    "ldl": "LDL",
    "hba1c": "HbA1c",
    "egfr": "eGFR (mL/min/1.73m2)",
    "bmi": "BMI (kg/m2)",
}


def _row_label(key: str) -> str:
    """``sbp_mmhg_mean`` -> ``SBP (mmHg), mean``; ``on_statin_percent`` -> ``on statin, %``."""
    stat = ""
    for suffix, text in (("_mean", ", mean"), ("_percent", ", %")):
        if key.endswith(suffix):
            key, stat = key[: -len(suffix)], text
    unit = ""
    for suffix, text in _UNITS:
        if key.endswith(suffix):
            key, unit = key[: -len(suffix)], f" ({text})"
    return _NAMES.get(key, key.replace("_", " ")) + unit + stat


def _baseline_cell(key: str, value: Any) -> str:
    """Counts as integers, percentages to 1 decimal, other numbers to 2."""
    if isinstance(value, float) and math.isfinite(value):
        if key == "n" and value.is_integer():
            return f"{int(value):,}"
        if key.endswith("_percent"):
            return _fixed(value, 1)
    return _cell(value)


def _baseline(baseline: Mapping[str, Any], arms: Sequence[str]) -> list[str]:
    per_arm = _per_arm(baseline, arms)
    if per_arm is None:
        return [f"- {k.replace('_', ' ')}: {_cell(v)}" for k, v in baseline.items()]
    return _arm_table(per_arm, arms)


def _achieved(achieved: Mapping[str, Any], arms: Sequence[str]) -> list[str]:
    """One table per arm: a row per year, a column per measure (lists indexed by year)."""
    lines: list[str] = []
    for arm in arms:
        measures = achieved.get(arm, {})
        if not measures:
            continue
        names = list(measures)
        years = max(len(v) for v in measures.values())
        lines += [f"**{arm}**", "", "| year | " + " | ".join(_measure_label(n) for n in names) + " |"]
        lines.append("|---|" + "---|" * len(names))
        for year in range(years):
            cells = [_cell(measures[n][year] if year < len(measures[n]) else None) for n in names]
            label = "0 (baseline)" if year == 0 else str(year)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _measure_label(name: str) -> str:
    return {
        "sbp_mmhg": "SBP (mmHg)",
        "ldl_mmol_l": "LDL (mmol/L)",
        "hba1c_mmol_mol": "HbA1c (mmol/mol)",
        "drug_classes": "drug classes",
    }.get(name, name.replace("_", " "))


def _outcome_preamble(protocol: Protocol) -> list[str]:
    paired = protocol.allocation == "paired"
    return [
        f"Each arm against the reference arm ({protocol.reference_arm}). An outcome is the first of its events during "
        "follow-up; death without it censors. Rate per 1,000 person-years; HR: Cox model (Efron ties"
        + (", cluster-robust CI on patient" if paired else "")
        + "); RR: risk ratio"
        + (" of matched proportions" if paired else " (Katz log CI)")
        + ", 95% CIs.",
        "",
    ]


def _outcome_heading(protocol: Protocol, outcome: str) -> str:
    """``cv_events: mi, stroke, ...``; just the name when it is its only event."""
    events = protocol.outcomes.get(outcome, ())
    return outcome if tuple(events) == (outcome,) else f"{outcome}: {', '.join(events)}"


def _outcome_table(arms: Mapping[str, ArmResult], protocol: Protocol) -> list[str]:
    lines = [
        "| arm | patients | events | person-years | rate per 1,000 PY | HR (95% CI) | RR (95% CI) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in protocol.arm_names:
        if name not in arms:
            continue
        r = arms[name]
        if name == protocol.reference_arm:
            hr = rr = "1 (reference)"
        else:
            hr, rr = estimate_text(r.hr, r.hr_ci95), estimate_text(r.rr, r.rr_ci95)
        rate = _fixed(r.rate_per_1000_person_years, 1)
        lines.append(f"| {name} | {r.patients:,} | {r.events:,} | {_fixed(r.person_years, 1)} | {rate} | {hr} | {rr} |")
    return lines


def _published(trial: str, outcomes: Mapping[str, Mapping[str, ArmResult]], protocol: Protocol) -> list[str]:
    rows = [p for p in published_results(trial) if p.outcome in outcomes]
    lines = [
        "## Published results beside the twin's",
        "",
        "The twin reproduces a published result when its point estimate lies within the published 95% CI. "
        "Status of the published figure: verified, verified-secondary, derived or unverified "
        "(`twin_env/trials/published_results.csv`, with sources).",
        "",
        "| outcome | published outcome | arm | measure | published (95% CI) | twin (95% CI) "
        "| within published 95% CI | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    reproduced = 0
    compared = 0
    for row in rows:
        for arm in protocol.comparison_arms:
            twin, ci = twin_estimate(row, outcomes[row.outcome][arm])
            within = compare_published(row, twin)
            compared += 1
            reproduced += within == "yes"
            lines.append(
                f"| {row.outcome} | {row.published_outcome} | {arm} | {row.measure} "
                f"| {estimate_text(row.estimate, row.ci95)} | {estimate_text(twin, ci)} | {within} | {row.status} |"
            )
    lines += ["", f"The twin's estimate lies within {reproduced} of {compared} published 95% CIs.", ""]
    return lines


def twin_estimate(row: PublishedResult, arm: ArmResult) -> tuple[float, tuple[float, float]]:
    """The twin's estimate on the published result's measure (HR or RR) with its 95% CI."""
    return (arm.hr, arm.hr_ci95) if row.measure == "HR" else (arm.rr, arm.rr_ci95)


def compare_published(row: PublishedResult, twin: float) -> str:
    """``yes`` when the twin's finite point estimate lies within the published 95% CI, else ``no``."""
    return "yes" if math.isfinite(twin) and row.contains(twin) else "no"


# --- number formatting ------------------------------------------------------------------------------------------


def estimate_text(estimate: float, ci95: Iterable[float | None]) -> str:
    """``0.72 (0.55-0.94)``; NaN or None as n/a, inf as inf."""
    lo, hi = ci95
    return f"{_fixed(estimate, 2)} ({_fixed(lo, 2)} to {_fixed(hi, 2)})"


def _fixed(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:,.{digits}f}"


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str))


def _number(value: Any) -> str:
    """Integers with thousands separators, other numbers to 2 decimals, None as n/a."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return MISSING if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return _fixed(float(value), 2)


def _cell(value: Any) -> str:
    """A table cell: numbers to 2 decimals (integers as such), mappings as ``key value`` pairs."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, Mapping):
        if set(value) >= {"mean", "sd"}:
            return f"{_number(value['mean'])} ({_number(value['sd'])})"
        return ", ".join(f"{k.replace('_', ' ')} {_number(v)}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    return _number(value)
