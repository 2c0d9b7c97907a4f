"""Every metric an evaluation reports, its label and unit, and the kind of interval it gets.

Kinds (:mod:`twin_env.evaluation.intervals`): ``proportion`` for a share of patients (0/1 per patient),
``count`` for events per patient, ``mean`` for anything else.
"""

from __future__ import annotations

from twin_env.evaluation.audits import AUDIT_METRICS
from twin_env.evaluation.metrics import METRICS, SAFETY_METRICS

#: Every reported metric: key -> (label, unit).
ALL_METRICS: dict[str, tuple[str, str]] = {
    **METRICS,
    **SAFETY_METRICS,
    **{k: (label, unit) for k, (label, unit, _) in AUDIT_METRICS.items()},
}
#: Interval kind of each metric.
INTERVAL_KINDS: dict[str, str] = {
    **dict.fromkeys(ALL_METRICS, "mean"),
    "deaths": "proportion",
    "cvd_events": "count",
    "proposed_hard_violations": "count",
    "executed_hard_violations": "count",
    **{k: kind for k, (_, _, kind) in AUDIT_METRICS.items()},
}
