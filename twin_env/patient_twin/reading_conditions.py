"""Conditions (SNOMED CT, ICD-10): the twin's conditions and risk flags; inactive or unconfirmed ones noted."""

from __future__ import annotations

import datetime as dt

from twin_env.patient_twin.fhir_values import Entry, codings, parse_date, status_code
from twin_env.patient_twin.reading_facts import Facts, ReportBuilder
from twin_env.patient_twin.reading_observations import mapped
from twin_env.patient_twin.record import Diagnosis

__all__ = ["read_condition"]

#: verificationStatus values that are not a diagnosis (FHIR R4 condition-ver-status).
NOT_DIAGNOSED = ("refuted", "entered-in-error", "unconfirmed", "provisional", "differential")
#: clinicalStatus values of a problem that is not active now (FHIR R4 condition-clinical).
NOT_ACTIVE = ("resolved", "inactive", "remission")


def _onset(res: dict, where: str) -> dt.date | None:
    if "onsetDateTime" in res:
        return parse_date(res["onsetDateTime"], where, "onsetDateTime")
    period = res.get("onsetPeriod")
    if isinstance(period, dict) and "start" in period:
        return parse_date(period["start"], where, "onsetPeriod.start")
    return None


def read_condition(entry: Entry, facts: Facts, report: ReportBuilder) -> None:
    """Read one Condition into ``facts``, or note in ``report`` why it is ignored."""
    res, where = entry.resource, entry.where
    code, targets, concept = mapped(codings(res.get("code"), where, "code"))
    verification = status_code(res, "verificationStatus", where)
    clinical = status_code(res, "clinicalStatus", where)
    if verification in NOT_DIAGNOSED:
        report.ignore(entry, code, f"verificationStatus {verification!r}: not a confirmed diagnosis")
        return
    if clinical in NOT_ACTIVE:
        report.ignore(entry, code, f"clinicalStatus {clinical!r}: not an active problem")
        return
    if clinical is None and "abatementDateTime" in res:
        abated = parse_date(res["abatementDateTime"], where, "abatementDateTime").isoformat()
        report.ignore(entry, code, f"abated on {abated} (no clinicalStatus): not an active problem")
        return
    if not targets:
        why = "code not in the project's code table (twin_env/data/codes.csv)"
        report.ignore(entry, code, why if concept is None else f"{concept!r} is not a condition the twin models")
        return
    onset = _onset(res, where)
    recorded = parse_date(res["recordedDate"], where, "recordedDate") if "recordedDate" in res else None
    for target in targets:
        if target.kind == "ignore":
            report.ignore(entry, code, target.target)
        elif target.kind in ("condition", "flag"):
            facts.diagnoses.append((entry, Diagnosis(target.target, onset, entry.ref), onset or recorded))
        else:
            report.ignore(entry, code, f"{concept!r} is a {target.kind} code, not a condition")
