"""Observations: BP (panels, components, home and ambulatory codes), labs, BMI, weight, height, smoking status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from twin_env.patient_twin.bundle_errors import RecordReadError
from twin_env.patient_twin.code_map import Target, coding_label, table_row, targets_of
from twin_env.patient_twin.fhir_values import Entry, codings, parse_date, quantity
from twin_env.patient_twin.reading_facts import Facts, ReportBuilder
from twin_env.patient_twin.record import Measurement, SmokingStatus
from twin_env.patient_twin.units import accepted_units, conversion, plausible_range

__all__ = ["effective_date", "read_observation"]

#: Result statuses whose value is read (FHIR R4 observation-status).
USABLE_STATUSES = ("final", "amended", "corrected")
#: Variables taken at a consultation (clinic, unless the code says home or ambulatory); the rest are laboratory.
_CLINIC_VARIABLES = frozenset({"sbp_mmhg", "dbp_mmhg", "bmi_kg_m2", "weight_kg", "height_cm"})
_NOT_IN_TABLE = "code not in the project's code table (twin_env/data/codes.csv)"


def effective_date(resource: dict[str, Any], where: str) -> dt.date | None:
    """``effectiveDateTime`` / ``effectivePeriod.start`` / ``effectiveInstant`` as a date, or None."""
    for field in ("effectiveDateTime", "effectiveInstant"):
        if field in resource:
            return parse_date(resource[field], where, field)
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and "start" in period:
        return parse_date(period["start"], where, "effectivePeriod.start")
    return None


def mapped(found: list[dict[str, Any]]) -> tuple[str, tuple[Target, ...], str | None]:
    """The first coding the twin reads: ``(code label, targets, concept)``; targets empty and concept None
    when no coding is in the code table (the label is then the first coding's)."""
    known: tuple[str, str] | None = None
    for coding in found:
        row = table_row(str(coding.get("system", "")), coding["code"])
        if row is None:
            continue
        targets = targets_of(row)
        if targets:
            return coding_label(coding), targets, row.concept
        known = known or (coding_label(coding), row.concept)
    if known is not None:
        return known[0], (), known[1]
    return (coding_label(found[0]) if found else ""), (), None


def _setting(target: Target, variable: str, panel_setting: str = "") -> str:
    return target.setting or panel_setting or ("clinic" if variable in _CLINIC_VARIABLES else "laboratory")


def _measure(
    entry: Entry,
    target: Target,
    value: Any,
    field: str,
    date: dt.date,
    setting: str,
    code: str,
    facts: Facts,
    report: ReportBuilder,
) -> None:
    """Add one measurement, or note why not: a unit that does not convert is listed as ignored; an impossible value
    (a record artefact such as a decimal-place slip) goes to ``report.impossible`` (refused or listed)."""
    variable = target.target
    number, unit = quantity(value, entry.where, field)
    factors = conversion(variable, unit)
    if factors is None:
        report.ignore(
            entry, code, f"unit {unit!r} cannot be converted to {variable}; allowed: {accepted_units(variable)}"
        )
        return
    converted = factors.to_twin(number)
    low, high, twin_unit = plausible_range(variable)
    if not low <= converted <= high:
        problem = f"{number:g} {unit} is not a possible {variable} (allowed {low:g}-{high:g} {twin_unit})"
        report.impossible(entry, code, f"{field}.value", problem)
        return
    facts.measurements.append((entry, Measurement(variable, date, converted, setting, entry.ref)))


def read_observation(entry: Entry, facts: Facts, report: ReportBuilder) -> None:
    """Read one Observation into ``facts``, or note in ``report`` why it is ignored."""
    res, where = entry.resource, entry.where
    code, targets, concept = mapped(codings(res.get("code"), where, "code"))
    status = res.get("status")
    if status not in USABLE_STATUSES:
        report.ignore(entry, code, f"status {status!r}: only {list(USABLE_STATUSES)} results are read")
        return
    if not targets:
        report.ignore(
            entry, code, _NOT_IN_TABLE if concept is None else f"{concept!r} is not a variable the twin reads"
        )
        return
    date = effective_date(res, where)
    if date is None:
        report.ignore(entry, code, "no effective date (effectiveDateTime, effectivePeriod.start or effectiveInstant)")
        return
    target = targets[0]
    if target.kind == "ignore":
        report.ignore(entry, code, target.target)
    elif target.kind == "smoking":
        facts.smoking.append((entry, SmokingStatus(date, int(target.target), entry.ref)))
    elif target.kind == "smoking_question":
        _smoking_answer(entry, date, code, facts, report)
    elif target.kind == "panel":
        _panel(entry, target, date, code, facts, report)
    elif "valueQuantity" not in res:
        report.ignore(entry, code, f"no valueQuantity for {target.target}")
    else:
        setting = _setting(target, target.target)
        _measure(entry, target, res["valueQuantity"], "valueQuantity", date, setting, code, facts, report)


def _smoking_answer(entry: Entry, date: dt.date, question: str, facts: Facts, report: ReportBuilder) -> None:
    """LOINC 72166-2 "tobacco smoking status": the answer in ``valueCodeableConcept`` is the status."""
    answer = codings(entry.resource.get("valueCodeableConcept"), entry.where, "valueCodeableConcept")
    code, targets, concept = mapped(answer)
    smoking = [t for t in targets if t.kind in ("smoking", "ignore")]
    if not smoking:
        why = _NOT_IN_TABLE if concept is None else f"answer {concept!r} is not a smoking status"
        report.ignore(entry, code or question, why)
    elif smoking[0].kind == "ignore":
        report.ignore(entry, code, smoking[0].target)
    else:
        facts.smoking.append((entry, SmokingStatus(date, int(smoking[0].target), entry.ref)))


def _panel(entry: Entry, panel: Target, date: dt.date, code: str, facts: Facts, report: ReportBuilder) -> None:
    """A BP panel: each component read by its own code (systolic, diastolic); others noted."""
    components = entry.resource.get("component", [])
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise RecordReadError(entry.where, "component", "expected a list of components (objects)")
    if not components:
        report.ignore(entry, code, "a blood pressure panel without components")
    for i, component in enumerate(components):
        field = f"component[{i}]"
        ccode, targets, concept = mapped(codings(component.get("code"), entry.where, f"{field}.code"))
        measures = [t for t in targets if t.kind == "measure"]
        if not measures:
            why = _NOT_IN_TABLE if concept is None else f"component {concept!r} is not a variable the twin reads"
            report.ignore(entry, ccode, why)
        elif "valueQuantity" not in component:
            report.ignore(entry, ccode, f"component without valueQuantity ({measures[0].target})")
        else:
            target = measures[0]
            setting = _setting(target, target.target, panel.setting)
            quantity_field = f"{field}.valueQuantity"
            _measure(entry, target, component["valueQuantity"], quantity_field, date, setting, ccode, facts, report)
