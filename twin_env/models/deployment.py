"""Deploying a model on the record: ``deploy(model, record, patients, as_of, registration=...)``.

One vectorised pass: gather the contract's items from the GP record
(:func:`twin_env.models.gather.gather_record`), apply eligibility, then the missing/stale policy
of each input (refuse, or impute and flag), refuse values outside the model's validated range,
score the rest, and write a RiskAssessment per scored patient back into the GP record. The
:class:`DeploymentResult` carries per-patient scores, statuses, reasons and provenance, and
:meth:`DeploymentResult.to_audit` a JSON-serialisable log entry. QRISK3 and QDiabetes results
carry ClinRisk's disclaimer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from twin_env.models.contract import CONTRACTS, QDIABETES_CONTRACT, QRISK3_CONTRACT, ModelContract
from twin_env.models.disclaimer import CLINRISK_DISCLAIMER
from twin_env.models.gather import FOUND, STATUS_NAMES, Gathered, gather_record
from twin_env.models.qdiabetes import QDIABETES_INPUTS, qdiabetes2018_score_array
from twin_env.models.qrisk3 import QRISK3_INPUTS, Real, qrisk3_score_array
from twin_env.record.gp.registration import Registration
from twin_env.record.record import Record
from twin_env.vocab.dates import NO_DAY, DateLike, day_number, to_date

__all__ = [
    "SCORED", "SCORED_WITH_IMPUTATION", "REFUSED", "MODELS", "CallableModel", "ClinRiskModel",
    "DeployableModel", "DeploymentResult", "EstimatorModel", "Registration", "assess", "assess_by_day", "deploy",
    "deploy_by_day",
    "eligible_on_record",
    "get_model", "ineligibility",
]  # fmt: skip
SCORED, SCORED_WITH_IMPUTATION, REFUSED = "scored", "scored-with-imputation", "refused"


class DeployableModel(Protocol):
    """A model with a declared contract: ``predict`` maps input name -> (n,) array to (n,) risk, percent."""

    contract: ModelContract
    disclaimer: str
    limits: Mapping[str, Real]

    def predict(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray: ...


_INT_INPUTS = ("age", "ethnicity", "smoking")


@dataclasses.dataclass(frozen=True)
class ClinRiskModel:
    """QRISK3-2017 or QDiabetes-2018 (model A) through the validated array functions."""

    contract: ModelContract
    limits: Mapping[str, Real]
    equation: str  # "qrisk3" or "qdiabetes-A"
    disclaimer: str = CLINRISK_DISCLAIMER

    def predict(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        kwargs: dict[str, Any] = {}
        for item in self.contract.inputs:
            x = inputs[item.name]
            if item.name == "female":
                kwargs["sex"] = np.where(x > 0, "female", "male")
            elif item.name in _INT_INPUTS:
                kwargs[item.name] = x.astype(np.int64)
            elif item.policy == "absent":
                kwargs[item.name] = x > 0
            else:
                kwargs[item.name] = x
        if self.equation == "qrisk3":
            return qrisk3_score_array(**kwargs)
        return qdiabetes2018_score_array(model=self.equation.removeprefix("qdiabetes-"), **kwargs)


@dataclasses.dataclass(frozen=True)
class CallableModel:
    """A user model: ``fn(inputs) -> (n,)`` risk; ``scale`` 100 if ``fn`` returns a probability."""

    contract: ModelContract
    fn: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    scale: float = 100.0
    limits: Mapping[str, Real] = dataclasses.field(default_factory=dict)
    disclaimer: str = ""

    def predict(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.fn(inputs), dtype=np.float64) * self.scale


@dataclasses.dataclass(frozen=True)
class EstimatorModel:
    """A scikit-learn-style estimator: ``predict_proba(X)[:, 1]`` with X (n, k) in ``features`` order."""

    contract: ModelContract
    estimator: Any
    features: Sequence[str]
    limits: Mapping[str, Real] = dataclasses.field(default_factory=dict)
    disclaimer: str = ""

    def __post_init__(self) -> None:
        if not callable(getattr(self.estimator, "predict_proba", None)):
            raise ValueError("estimator must have a predict_proba(X) method")
        unknown = sorted(set(self.features) - {i.name for i in self.contract.inputs})
        if unknown:
            raise ValueError(f"features {unknown} are not inputs of contract {self.contract.model_id!r}")

    def predict(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        x = np.column_stack([inputs[f] for f in self.features]).astype(np.float64)
        return np.asarray(self.estimator.predict_proba(x), dtype=np.float64)[:, 1] * 100.0


MODELS: dict[str, ClinRiskModel] = {
    "qrisk3": ClinRiskModel(QRISK3_CONTRACT, {k: v for k, v in QRISK3_INPUTS.items() if isinstance(v, Real)}, "qrisk3"),
    "qdiabetes": ClinRiskModel(
        QDIABETES_CONTRACT,
        {k: v for k, v in QDIABETES_INPUTS.items() if isinstance(v, Real) and k not in ("fasting_glucose", "hba1c")},
        "qdiabetes-A",
    ),
}
assert set(MODELS) == set(CONTRACTS)


def get_model(name: str) -> ClinRiskModel:
    """The packaged model ``"qrisk3"`` or ``"qdiabetes"``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; allowed: {sorted(MODELS)}")
    return MODELS[name]


@dataclasses.dataclass(frozen=True)
class DeploymentResult:
    """One run of a model on n patients. Arrays are (n,); ``score`` is percent (NaN if refused).

    ``status``: scored / scored-with-imputation / refused; ``reason``: why refused ("" if not);
    ``eligible``: passed the eligibility rules; ``imputed``: input name -> (n,) bool;
    ``inputs``: the gathered items (values as found, provenance); ``used``: the values passed
    to the model (after imputation; NaN where refused).
    """

    model_id: str
    as_of: dt.date
    patients: np.ndarray
    score: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    eligible: np.ndarray
    imputed: dict[str, np.ndarray]
    inputs: Gathered
    used: dict[str, np.ndarray]
    contract: ModelContract
    disclaimer: str

    @property
    def scored(self) -> np.ndarray:
        return self.status != REFUSED

    def counts(self) -> dict[str, int]:
        """Patients by status and eligibility."""
        return {
            "patients": len(self.patients), "eligible": int(self.eligible.sum()),
            SCORED: int((self.status == SCORED).sum()),
            SCORED_WITH_IMPUTATION: int((self.status == SCORED_WITH_IMPUTATION).sum()),
            REFUSED: int((self.status == REFUSED).sum()),
        }  # fmt: skip

    def patient(self, i: int) -> dict[str, Any]:
        """Row ``i`` as a JSON-serialisable dict: score, status, reason, each input with provenance."""
        g, pid = self.inputs, int(self.patients[i])
        inputs = {}
        for item in self.contract.items:
            day, seq = int(g.day[item.name][i]), int(g.seq[item.name][i])
            date = None if day == NO_DAY else to_date(day)
            value = float(self.used[item.name][i]) if item.name in self.used else float(g.value[item.name][i])
            inputs[item.name] = {
                "value": None if np.isnan(value) else value,
                "record": STATUS_NAMES[g.status[item.name][i]],
                "imputed": bool(self.imputed[item.name][i]) if item.name in self.imputed else False,
                "source": item.source,
                "event_id": None if seq < 0 else f"{pid}-{seq}",
                "date": None if date is None else date.isoformat(),
                "items_used": int(g.count[item.name][i]),
            }
        score = float(self.score[i])
        return {
            "patient": pid,
            "score_percent": None if np.isnan(score) else round(score, 6),
            "status": str(self.status[i]),
            "reason": str(self.reason[i]),
            "eligible": bool(self.eligible[i]),
            "inputs": inputs,
        }

    def to_audit(self) -> dict[str, Any]:
        """A JSON-serialisable audit entry: model, date, counts, disclaimer, every patient's run."""
        output, code = self.contract.output, self.contract.output.code
        return {
            "event": "model_deployment", "model_id": self.model_id, "title": self.contract.title,
            "as_of": self.as_of.isoformat(), "output": {"outcome": output.outcome,
            "horizon_years": output.horizon_years, "code": None if code is None else code.code},
            "counts": self.counts(), "disclaimer": self.disclaimer,
            "patients": self.patient_entries(),
        }  # fmt: skip

    def patient_entries(self) -> list[dict[str, Any]]:
        """Every patient's :meth:`patient` dict, built column by column from Python values converted once."""
        g, n = self.inputs, len(self.patients)
        patients = [int(p) for p in self.patients.tolist()]
        dates: dict[int, str | None] = {}
        names, columns = [], []
        for item in self.contract.items:
            name, source = item.name, item.source
            values = (self.used[name] if name in self.used else g.value[name]).astype(np.float64).tolist()
            imputed = self.imputed[name].tolist() if name in self.imputed else [False] * n
            days = g.day[name].tolist()
            for day in set(days) - dates.keys():
                dates[day] = None if day == NO_DAY else to_date(day).isoformat()
            names.append(name)
            columns.append([
                {
                    "value": None if value != value else value,  # NaN
                    "record": STATUS_NAMES[status],
                    "imputed": bool(imp),
                    "source": source,
                    "event_id": None if seq < 0 else f"{pid}-{seq}",
                    "date": dates[day],
                    "items_used": int(count),
                }
                for pid, value, status, imp, seq, day, count in zip(
                    patients, values, g.status[name].tolist(), imputed, g.seq[name].tolist(), days,
                    g.count[name].tolist(),
                )
            ])  # fmt: skip
        rows = zip(*columns) if columns else ((),) * n
        return [
            {
                "patient": pid,
                "score_percent": None if score != score else round(score, 6),
                "status": str(status),
                "reason": str(reason),
                "eligible": bool(eligible),
                "inputs": dict(zip(names, inputs)),
            }
            for pid, score, status, reason, eligible, inputs in zip(
                patients, self.score.tolist(), self.status.tolist(), self.reason.tolist(), self.eligible.tolist(), rows
            )
        ]

    def take(self, index: np.ndarray) -> DeploymentResult:
        """The run restricted to positions ``index`` (ascending): as if deployed on those patients alone."""
        sub = self.inputs.take(index)
        return dataclasses.replace(
            self,
            patients=self.patients[index],
            score=self.score[index],
            status=self.status[index],
            reason=self.reason[index],
            eligible=self.eligible[index],
            imputed={k: v[index] for k, v in self.imputed.items()},
            inputs=sub,
            used={k: v[index] for k, v in self.used.items()},
        )

    def describe(self, i: int) -> str:
        """One patient's run as text, with the disclaimer whenever a score is shown."""
        p = self.patient(i)
        head = f"{self.contract.title}, patient {p['patient']}, as of {self.as_of}: "
        if p["status"] == REFUSED:
            return head + f"not scored ({p['reason']})"
        imputed = [k for k, v in p["inputs"].items() if v["imputed"]]
        text = head + f"{p['score_percent']:.1f}%" + (f" (imputed: {', '.join(imputed)})" if imputed else "")
        return text + (f"\n{self.disclaimer}" if self.disclaimer else "")


def ineligibility(contract: ModelContract, gathered: Gathered) -> np.ndarray:
    """(n,) str: the first eligibility rule each patient fails ("ineligible: ..."), "" if eligible."""
    reason = np.full(len(gathered.patients), "", dtype=object)
    for rule in contract.eligibility:
        x, found = gathered.value[rule.item], gathered.status[rule.item] == FOUND
        if rule.kind == "between":
            fails = ~found | (x < rule.low) | (x >= rule.high)
        elif rule.kind == "false":
            fails = found & (x > 0)
        else:
            fails = found & (x < rule.low)
        reason[fails & (reason == "")] = f"ineligible: {rule.reason}"
    return reason


def eligible_on_record(
    model: DeployableModel | str,
    record: Record,
    patients: np.ndarray,
    as_of: DateLike | np.ndarray,
    *,
    registration: Registration,
    first_seq: np.ndarray | None = None,
) -> np.ndarray:
    """(n,) bool: ``patients`` that pass the model's eligibility rules on the GP record (no scoring).

    ``as_of``: one date, or (n,) dates, one per patient (``datetime64[D]``, dates, ISO strings or
    day numbers since 1970-01-01).
    """
    contract = (get_model(model) if isinstance(model, str) else model).contract
    needed = {r.item for r in contract.eligibility}
    only = dataclasses.replace(contract, inputs=(), context=tuple(i for i in contract.items if i.name in needed))
    ids = np.asarray(patients, dtype=np.int64)
    days = np.asarray(as_of, dtype="datetime64[D]").astype(np.int64)
    day = days if days.ndim else int(days)
    return ineligibility(only, gather_record(only, record, registration, ids, day, first_seq)) == ""


def assess(model: DeployableModel, gathered: Gathered, as_of: dt.date) -> DeploymentResult:
    """Apply eligibility, missing-data policy and input limits to ``gathered``; score the rest."""
    contract, n = model.contract, len(gathered.patients)
    reason = ineligibility(contract, gathered)

    def refuse(mask: np.ndarray, why: np.ndarray | str) -> None:
        new = mask & (reason == "")
        reason[new] = why if isinstance(why, str) else why[new]

    eligible = reason == ""
    used, imputed = {}, {}
    for item in contract.inputs:
        x, status = gathered.value[item.name].copy(), gathered.status[item.name]
        lacking = status != FOUND
        window = "" if item.window_days is None else f" in the last {item.window_days} days"
        if item.policy == "refuse":
            refuse(lacking, np.where(status == 2, f"{item.name} stale (none{window})", f"{item.name} missing"))
        elif item.policy == "impute":
            x[lacking] = item.substitute.value  # type: ignore[union-attr]
        else:
            x[lacking] = 0.0
        imputed[item.name] = lacking & (item.policy == "impute")
        limit = model.limits.get(item.name)
        if limit is not None:
            out = np.flatnonzero(~lacking & ~limit.allows(x) & (reason == ""))
            reason[out] = [f"{item.name} {v:g} outside the validated range ({limit.describe()})" for v in x[out]]
        used[item.name] = x
    ok = reason == ""
    score = np.full(n, np.nan)
    if ok.any():
        score[ok] = model.predict({k: v[ok] for k, v in used.items()})
    any_imputed = np.any([v for v in imputed.values()], axis=0) if imputed else np.zeros(n, dtype=bool)
    status = np.where(~ok, REFUSED, np.where(any_imputed, SCORED_WITH_IMPUTATION, SCORED)).astype(object)
    for v in used.values():
        v[~ok] = np.nan
    return DeploymentResult(
        contract.model_id,
        as_of,
        gathered.patients,
        score,
        status,
        reason.astype(str),
        eligible,
        {k: v & ok for k, v in imputed.items()},
        gathered,
        used,
        contract,
        model.disclaimer,
    )


def deploy(
    model: DeployableModel | str,
    record: Record,
    patients: np.ndarray | Sequence[int],
    as_of: DateLike,
    *,
    registration: Registration,
    write_back: bool = True,
    first_seq: np.ndarray | None = None,
) -> DeploymentResult:
    """Run ``model`` on the GP record of ``patients`` (ids) as of ``as_of``; reads only the record.

    ``registration`` holds the demographics the practice registered. With ``write_back`` each
    scored run is appended to the GP record (:meth:`Record.add_model_outputs`). ``first_seq``:
    see :func:`~twin_env.models.gather.gather_record` (rolling records).
    """
    model = get_model(model) if isinstance(model, str) else model
    day = day_number(as_of)
    gathered = gather_record(model.contract, record, registration, np.asarray(patients, dtype=np.int64), day, first_seq)
    result = assess(model, gathered, to_date(day))  # type: ignore[arg-type]
    if write_back:
        write_scores(record, result)
    return result


def deploy_by_day(
    model: DeployableModel | str,
    record: Record,
    patients: np.ndarray,
    days: np.ndarray,
    *,
    registration: Registration,
    first_seq: np.ndarray | None = None,
) -> list[tuple[np.ndarray, DeploymentResult]]:
    """:func:`deploy` without write-back of ``patients`` (n,) ids, each as of its own ``days`` (n,) day number.

    The record is read once for all of them; one result per distinct day, ascending, with the
    positions (into ``patients``) it covers: what one ``deploy`` call per day would give.
    """
    model = get_model(model) if isinstance(model, str) else model
    days, ids = np.asarray(days, dtype=np.int64), np.asarray(patients, dtype=np.int64)
    return assess_by_day(model, gather_record(model.contract, record, registration, ids, days, first_seq), days)


def assess_by_day(
    model: DeployableModel, gathered: Gathered, days: np.ndarray
) -> list[tuple[np.ndarray, DeploymentResult]]:
    """:func:`assess` ``gathered`` (n patients, each gathered as of its own ``days`` (n,) day number) once, split
    into one result per distinct day, ascending, with the positions (into ``gathered.patients``) it covers."""
    distinct = np.unique(days).tolist()
    if not distinct:
        return []
    # assessing is row by row (the date only labels the result): assess once, then split by date
    result = assess(model, gathered, to_date(distinct[0]))  # type: ignore[arg-type]
    out = []
    for day in distinct:
        index = np.flatnonzero(days == day)
        part = result if len(distinct) == 1 else result.take(index)
        out.append((index, dataclasses.replace(part, as_of=to_date(day))))
    return out


def write_scores(record: Record, *results: DeploymentResult) -> None:
    """Append ``results``' scored runs to the GP record, each as of its date, in one write
    (:meth:`Record.add_model_outputs`)."""
    runs = []
    for result in results:
        ok = result.scored
        code, k = result.contract.output.code, int(ok.sum())
        runs.append({
            "patient": result.patients[ok], "day": np.full(k, day_number(result.as_of), dtype=np.int64),
            "model_id": np.full(k, result.contract.model_id, dtype=object),
            "score_percent": result.score[ok], "imputed": result.status[ok] == SCORED_WITH_IMPUTATION,
            "code": np.full(k, "" if code is None else code.code, dtype=object),
        })  # fmt: skip
    record.add_model_outputs(*runs)
