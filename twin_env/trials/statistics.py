"""Trial statistics per arm against a reference arm: events, person-years, rates, Cox HR, risk ratio, Kaplan-Meier.

Inputs are per-patient arrays: the arm, the time to the first event or censoring (years) and the
event flag. Design choices:

- Cox model: lifelines ``CoxPHFitter``, one 0/1 arm indicator per comparison (the arm against the
  reference only), Efron's method for tied times, Wald 95% CI. Randomised designs collapse censored
  rows of equal (time, arm) into one row with an integer case weight (exact: a censored row only
  enters risk-set sums); event rows stay one per patient, as lifelines' weighted Efron ties are not
  those of replicated rows.
- Paired designs (every patient in every arm on common random numbers): the same Cox point
  estimate with a cluster-robust (sandwich) variance clustered on patient (lifelines
  ``cluster_col``; one row per patient and arm, so slower: about 12 s for 20,000 pairs), and the
  risk ratio of matched proportions. lifelines' score residuals treat tied event times
  approximately, so identical arms get a narrow robust CI around 1 rather than a zero-width one.
- Zero events: an arm with none against a reference with some has HR 0 and CI [0, NaN]; a
  reference with none against an arm with some has HR inf and CI [NaN, inf]; none in either is
  NaN. Arms whose (time, event) pairs are the same multiset have HR exactly 1 (the Cox score
  vanishes at 0 by symmetry); their CI is the fit's.
- Risk ratio: risk = events / patients allocated; log-method CI (Katz). A zero event count in
  either arm adds 0.5 to all four cells (Cochrane's rule); zero in both is NaN.
- The reference arm reports HR and RR 1 with CIs NaN (null in JSON): it is not compared with itself.
"""

from __future__ import annotations

import dataclasses
import math
import statistics as _stdlib_statistics
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning

#: Two-sided 95% normal quantile.
Z95 = _stdlib_statistics.NormalDist().inv_cdf(0.975)
NAN = float("nan")
CONTINUITY = 0.5


@dataclasses.dataclass(frozen=True)
class ArmResult:
    """One arm's outcome against the reference arm. Times in years; rates per 1,000 person-years."""

    arm: str
    patients: int
    events: int
    person_years: float
    hr: float
    hr_ci95: tuple[float, float]
    rr: float
    rr_ci95: tuple[float, float]

    @property
    def rate_per_1000_person_years(self) -> float:
        return 1000.0 * self.events / self.person_years if self.person_years > 0 else NAN

    def to_json(self) -> dict[str, Any]:
        """``{"events", "person_years", "hr", "hr_ci95", "rr", "rr_ci95"}``; NaN and inf become null."""
        return {
            "events": self.events,
            "person_years": _finite(self.person_years),
            "hr": _finite(self.hr),
            "hr_ci95": [_finite(x) for x in self.hr_ci95],
            "rr": _finite(self.rr),
            "rr_ci95": [_finite(x) for x in self.rr_ci95],
        }


@dataclasses.dataclass(frozen=True)
class KaplanMeierCurve:
    """A Kaplan-Meier survival curve (event-free probability) for one arm, as arrays for plotting."""

    arm: str
    time_years: np.ndarray
    survival: np.ndarray
    ci95_lower: np.ndarray
    ci95_upper: np.ndarray
    at_risk: np.ndarray

    def to_json(self) -> dict[str, list[float]]:
        return {
            "time_years": self.time_years.tolist(),
            "survival": self.survival.tolist(),
            "ci95_lower": self.ci95_lower.tolist(),
            "ci95_upper": self.ci95_upper.tolist(),
            "at_risk": self.at_risk.tolist(),
        }


def compare_arms(
    arm: Sequence[str] | np.ndarray,
    time_years: Sequence[float] | np.ndarray,
    event: Sequence[bool] | np.ndarray,
    reference: str,
    *,
    patient_id: Sequence[Any] | np.ndarray | None = None,
    arms: Sequence[str] | None = None,
) -> dict[str, ArmResult]:
    """Every arm (reference included) against ``reference``, keyed by arm.

    ``arms`` gives the order and the full set (an arm without patients reports 0 events and NaN
    estimates); by default the arms present, in order of first appearance. Pass ``patient_id`` for
    a paired design: each patient then appears exactly once in every arm, the Cox CI is
    cluster-robust on patient and the RR is for matched proportions.
    """
    frame = _frame(arm, time_years, event, patient_id)
    present = list(dict.fromkeys(frame["arm"]))
    if arms is None:
        arms = present
    elif set(present) - set(arms):
        raise ValueError(f"patients in arms not listed: {sorted(set(present) - set(arms))}")
    if reference not in present:
        raise ValueError(f"reference arm {reference!r} has no patients; arms: {present}")
    results = {}
    for name in arms:
        rows = frame[frame["arm"] == name]
        events, person_years = int(rows["event"].sum()), float(rows["time"].sum())
        if name == reference:
            results[name] = ArmResult(name, len(rows), events, person_years, 1.0, (NAN, NAN), 1.0, (NAN, NAN))
            continue
        pair = frame[frame["arm"].isin((name, reference))]
        hr, hr_ci = cox_hazard_ratio(pair, name, paired=patient_id is not None)
        if rows.empty:
            rr, rr_ci = NAN, (NAN, NAN)
        elif patient_id is None:
            ref = frame[frame["arm"] == reference]
            rr, rr_ci = risk_ratio(events, len(rows), int(ref["event"].sum()), len(ref))
        else:
            rr, rr_ci = paired_risk_ratio(*_matched_events(frame, name, reference))
        results[name] = ArmResult(name, len(rows), events, person_years, hr, hr_ci, rr, rr_ci)
    return results


def outcome_json(results: Mapping[str, ArmResult]) -> dict[str, dict[str, Any]]:
    """``{arm: {"events", "person_years", "hr", "hr_ci95", "rr", "rr_ci95"}}`` for ``result.json``."""
    return {name: result.to_json() for name, result in results.items()}


def cox_hazard_ratio(frame: pd.DataFrame, arm: str, *, paired: bool = False) -> tuple[float, tuple[float, float]]:
    """HR (95% CI) of ``arm`` against the other arm in ``frame`` (columns arm, time, event[, patient])."""
    x = (frame["arm"] == arm).to_numpy()
    time, event = frame["time"].to_numpy(), frame["event"].to_numpy()
    events_arm, events_other = int(event[x].sum()), int(event[~x].sum())
    if x.all() or not x.any() or (events_arm == 0 and events_other == 0):
        return NAN, (NAN, NAN)
    if events_arm == 0:
        return 0.0, (0.0, NAN)
    if events_other == 0:
        return math.inf, (NAN, math.inf)
    data = pd.DataFrame({"time": time, "event": event.astype(np.int64), "x": x.astype(np.float64)})
    try:
        if paired:
            data["patient"] = frame["patient"].to_numpy()
            beta, se = _fit(data, cluster_col="patient")
        else:
            beta, se = _fit(_collapse_censored(data), weights_col="weight")
    except ConvergenceError:
        return NAN, (NAN, NAN)
    if _same_multiset(time[x], event[x], time[~x], event[~x]):
        beta = 0.0
    return math.exp(beta), (math.exp(beta - Z95 * se), math.exp(beta + Z95 * se))


def risk_ratio(events: int, n: int, ref_events: int, ref_n: int) -> tuple[float, tuple[float, float]]:
    """Risk ratio (95% CI, log method, Katz) of ``events``/``n`` against ``ref_events``/``ref_n``."""
    if n == 0 or ref_n == 0 or (events == 0 and ref_events == 0):
        return NAN, (NAN, NAN)
    a, n1, c, n0 = float(events), float(n), float(ref_events), float(ref_n)
    if events == 0 or ref_events == 0:
        a, c, n1, n0 = a + CONTINUITY, c + CONTINUITY, n1 + 2 * CONTINUITY, n0 + 2 * CONTINUITY
    log_rr = math.log((a / n1) / (c / n0))
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return math.exp(log_rr), (math.exp(log_rr - Z95 * se), math.exp(log_rr + Z95 * se))


def paired_risk_ratio(event_arm: np.ndarray, event_ref: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Risk ratio (95% CI) of matched proportions: var log RR = (b + c) / ((a + b)(a + c)).

    ``a`` patients have the event in both arms, ``b`` in the arm only, ``c`` in the reference only.
    A zero margin adds 0.5 to the four cells of the paired table; both margins zero is NaN.
    """
    event_arm, event_ref = np.asarray(event_arm, dtype=bool), np.asarray(event_ref, dtype=bool)
    a = float(np.sum(event_arm & event_ref))
    b = float(np.sum(event_arm & ~event_ref))
    c = float(np.sum(~event_arm & event_ref))
    if a + b == 0 and a + c == 0:
        return NAN, (NAN, NAN)
    if a + b == 0 or a + c == 0:
        a, b, c = a + CONTINUITY, b + CONTINUITY, c + CONTINUITY
    log_rr = math.log((a + b) / (a + c))
    se = math.sqrt((b + c) / ((a + b) * (a + c)))
    return math.exp(log_rr), (math.exp(log_rr - Z95 * se), math.exp(log_rr + Z95 * se))


def kaplan_meier(
    arm: Sequence[str] | np.ndarray, time_years: Sequence[float] | np.ndarray, event: Sequence[bool] | np.ndarray
) -> dict[str, KaplanMeierCurve]:
    """Kaplan-Meier event-free survival per arm (lifelines; exponential Greenwood 95% CI)."""
    frame = _frame(arm, time_years, event, None)
    curves = {}
    for name in dict.fromkeys(frame["arm"]):
        rows = frame[frame["arm"] == name]
        fitter = KaplanMeierFitter().fit(rows["time"], rows["event"])
        ci = fitter.confidence_interval_survival_function_
        curves[name] = KaplanMeierCurve(
            arm=name,
            time_years=fitter.timeline.astype(np.float64),
            survival=fitter.survival_function_.iloc[:, 0].to_numpy(np.float64),
            ci95_lower=ci.iloc[:, 0].to_numpy(np.float64),
            ci95_upper=ci.iloc[:, 1].to_numpy(np.float64),
            at_risk=fitter.event_table["at_risk"].to_numpy(np.int64),
        )
    return curves


def _fit(data: pd.DataFrame, **kwargs: Any) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitter = CoxPHFitter().fit(data, duration_col="time", event_col="event", **kwargs)
    return float(fitter.params_["x"]), float(fitter.standard_errors_["x"])


def _collapse_censored(data: pd.DataFrame) -> pd.DataFrame:
    events = data[data["event"] == 1].assign(weight=1)
    censored = data[data["event"] == 0].groupby(["time", "x"], as_index=False).size()
    censored = censored.rename(columns={"size": "weight"}).assign(event=0)
    return pd.concat([events, censored[["time", "event", "x", "weight"]]], ignore_index=True)


def _same_multiset(t1: np.ndarray, e1: np.ndarray, t0: np.ndarray, e0: np.ndarray) -> bool:
    if len(t1) != len(t0):
        return False
    order1, order0 = np.lexsort((e1, t1)), np.lexsort((e0, t0))
    return bool(np.array_equal(t1[order1], t0[order0]) and np.array_equal(e1[order1], e0[order0]))


def _frame(arm: Any, time_years: Any, event: Any, patient_id: Any) -> pd.DataFrame:
    arm = np.asarray(arm).astype(str)
    time = np.asarray(time_years, dtype=np.float64)
    flags = np.asarray(event)
    if not (arm.ndim == time.ndim == flags.ndim == 1) or not (len(arm) == len(time) == len(flags)):
        raise ValueError("arm, time_years and event must be 1-D arrays of one length")
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ValueError("time_years must be finite and non-negative")
    if not np.all(np.isin(flags, (0, 1))):
        raise ValueError("event must be 0/1 or boolean")
    frame = pd.DataFrame({"arm": arm, "time": time, "event": flags.astype(bool)})
    if patient_id is not None:
        patient = np.asarray(patient_id)
        if patient.shape != arm.shape:
            raise ValueError("patient_id must have the shape of arm")
        frame["patient"] = patient
        counts = frame.groupby("arm")["patient"].agg(["nunique", "size"])
        ids = {name: frozenset(rows) for name, rows in frame.groupby("arm")["patient"]}
        if (counts["nunique"] != counts["size"]).any() or len(set(ids.values())) != 1:
            raise ValueError("paired design: every patient must appear exactly once in every arm")
    return frame


def _matched_events(frame: pd.DataFrame, arm: str, reference: str) -> tuple[np.ndarray, np.ndarray]:
    a = frame[frame["arm"] == arm].set_index("patient")["event"]
    r = frame[frame["arm"] == reference].set_index("patient")["event"]
    return a.to_numpy(), r.reindex(a.index).to_numpy()


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
