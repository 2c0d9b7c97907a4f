"""Medicines (MedicationRequest, MedicationStatement; dm+d, SNOMED CT, RxNorm): current ones as treatment fields.

First pass (:func:`read_medicine`): each entry becomes an issue, an active order or a stop of a product,
with its value in the treatment field's unit:

- the project's own dosage text (``"2 standard dose daily, as directed"``, the drug catalogue's unit);
- else a structured dosage (``doseAndRate[0].doseQuantity`` in mg or tablets, ``timing.repeat``
  frequency per period);
- else one tablet of the product a day.

Doses in standard-dose multiples (blood-pressure drugs) divide the daily mg by the product's standard dose
(``record_drug_products.csv``); a statin's value is its LDL reduction (``statin_ldl_reduction.csv``); an
SGLT2 inhibitor is 1. Second pass (:func:`current_prescriptions`, once ``as_of`` is known): a field's
medicine is current if its latest event is an active order, or a repeat issued within
``current_medication_window_days`` (``env_parameters.csv``, as the env reads the record) before ``as_of``
and not stopped since.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from twin_env.patient_twin.code_map import Product, product_of, table_row
from twin_env.patient_twin.code_map import coding_label as label
from twin_env.patient_twin.fhir_values import Entry, codings, parse_date, referenced
from twin_env.patient_twin.reading_facts import Facts, MedicineEvent, ReportBuilder
from twin_env.patient_twin.record import Prescription
from twin_env.twin.parameters import read_data_csv
from twin_env.twin.state import TREATMENT_FIELDS
from twin_env.vocab.drugs import DRUGS

__all__ = ["current_prescriptions", "medication_window_days", "read_medicine"]

_PROJECT_DOSAGE = re.compile(r"^(\d+(?:\.\d+)?) (standard dose|mg|mg/day) daily")
_DAYS_PER = {"h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.4375, "a": 365.25}
#: MedicationRequest statuses: an active order is current; a completed repeat is an issue; stopped ends.
_REQUEST_IGNORED = ("on-hold", "cancelled", "entered-in-error", "draft", "unknown")
_STATEMENT_TAKING = ("active", "intended")


@functools.cache
def medication_window_days() -> int:
    """Days within which a repeat issue counts as current (the env's ``current_medication_window_days``)."""
    rows = {r["name"]: r["value"] for r in read_data_csv("env_parameters.csv")}
    return int(float(rows["current_medication_window_days"]))


@functools.cache
def _statin_reduction() -> dict[tuple[str, int], float]:
    rows = read_data_csv("statin_ldl_reduction.csv")
    return {(r["drug"], int(r["dose_mg"])): float(r["ldl_reduction_percent"]) / 100.0 for r in rows}


def _field_value(product: Product, dose: float) -> tuple[float | None, str]:
    """The treatment field's value for ``dose`` (catalogue units), or None and why."""
    if product.field == "sglt2":
        return 1.0, ""
    if product.field == "statin_ldl_reduction":
        reduction = _statin_reduction().get((product.drug, int(round(dose))))
        if reduction is None:
            return None, f"no LDL reduction for {product.drug} {dose:g} mg in statin_ldl_reduction.csv"
        return reduction, ""
    return dose, ""


def _project_dose(product: Product, dosage: list[Any]) -> float | None:
    """The dose in the drug catalogue's unit from the project's own dosage text, or None."""
    drug = DRUGS.get(product.drug)
    text = dosage[0].get("text") if dosage and isinstance(dosage[0], dict) else None
    match = _PROJECT_DOSAGE.match(text) if isinstance(text, str) and drug is not None else None
    if match is None or drug is None or match.group(2) != drug.dose_unit:
        return None
    return float(match.group(1))


def _daily_mg(product: Product, dosage: list[Any]) -> float:
    """mg a day from a structured dosage (dose in mg or tablets, frequency per period); one tablet a day if none."""
    first = dosage[0] if dosage and isinstance(dosage[0], dict) else {}
    per_dose = product.strength_mg
    rates = first.get("doseAndRate")
    dose = rates[0].get("doseQuantity") if isinstance(rates, list) and rates and isinstance(rates[0], dict) else None
    if isinstance(dose, dict) and isinstance(dose.get("value"), (int, float)) and not isinstance(dose["value"], bool):
        unit = str(dose.get("code") or dose.get("unit") or "")
        per_dose = float(dose["value"]) * (1.0 if unit == "mg" else product.strength_mg)
    timing = first.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    per_day = 1.0
    if isinstance(repeat, dict):
        frequency = repeat.get("frequency", 1)
        period = repeat.get("period", 1)
        days = _DAYS_PER.get(str(repeat.get("periodUnit", "d")))
        if isinstance(frequency, (int, float)) and isinstance(period, (int, float)) and period > 0 and days:
            per_day = float(frequency) / (float(period) * days)
    return per_dose * per_day


def _value(product: Product, dosage: Any) -> tuple[float | None, str]:
    dosage = dosage if isinstance(dosage, list) else []
    dose = _project_dose(product, dosage)
    if dose is None:
        daily = _daily_mg(product, dosage)
        dose = daily / product.standard_dose_mg if product.standard_dose_mg else daily
    return _field_value(product, dose)


def _medication_codings(entry: Entry, bundle_medications: dict[str, dict]) -> list[dict[str, Any]]:
    res, where = entry.resource, entry.where
    if "medicationCodeableConcept" in res:
        return codings(res["medicationCodeableConcept"], where, "medicationCodeableConcept")
    ref = referenced(res.get("medicationReference"))
    if ref is None:
        return []
    if ref.startswith("#"):
        contained = [c for c in res.get("contained", []) if isinstance(c, dict) and c.get("id") == ref[1:]]
        medication = contained[0] if contained else None
    else:
        medication = bundle_medications.get(ref)
    return codings(medication.get("code"), where, "medicationReference") if medication else []


def _product(found: list[dict[str, Any]]) -> tuple[str, Product | None, str]:
    """``(code label, product, why not)`` of the first coding that is a product the twin knows."""
    for coding in found:
        row = table_row(str(coding.get("system", "")), coding["code"])
        product = None if row is None else product_of(row)
        if product is not None:
            return label(coding), product, ""
        if row is not None:
            return label(coding), None, f"{row.concept!r} is not a medicine the twin models"
    return (label(found[0]) if found else ""), None, "code not in the project's code table (twin_env/data/codes.csv)"


def _date(res: dict, where: str, fields: tuple[str, ...]) -> dt.date | None:
    for field in fields:
        if field == "effectivePeriod.start":
            period = res.get("effectivePeriod")
            if isinstance(period, dict) and "start" in period:
                return parse_date(period["start"], where, field)
        elif field in res:
            return parse_date(res[field], where, field)
    return None


def read_medicine(entry: Entry, facts: Facts, report: ReportBuilder, bundle_medications: dict[str, dict]) -> None:
    """Read one MedicationRequest or MedicationStatement into ``facts``, or note why it is ignored."""
    res, where = entry.resource, entry.where
    code, product, why = _product(_medication_codings(entry, bundle_medications))
    status = res.get("status")
    request = entry.type == "MedicationRequest"
    if request:
        continuous = "continuous" in {
            c["code"] for c in codings(res.get("courseOfTherapyType"), where, "courseOfTherapyType")
        }
        kind = {"active": "active", "stopped": "stop"}.get(str(status))
        kind = "issue" if status == "completed" and continuous else kind
        if kind is None:
            reason = "a completed acute course" if status == "completed" else f"status {status!r}"
            report.ignore(entry, code, f"{reason}: not a current medicine")
            return
        date = _date(res, where, ("authoredOn",))
    else:
        if status not in _STATEMENT_TAKING:
            report.ignore(entry, code, f"status {status!r}: not a medicine taken now")
            return
        kind = "active"
        date = _date(res, where, ("effectiveDateTime", "effectivePeriod.start", "dateAsserted"))
    if product is None:
        report.ignore(entry, code, why)
        return
    if date is None:
        report.ignore(entry, code, "no date (authoredOn, effectiveDateTime, effectivePeriod.start or dateAsserted)")
        return
    value: float | None = None
    if kind != "stop":
        value, why = _value(product, res.get("dosageInstruction") if request else res.get("dosage"))
        if value is None:
            report.ignore(entry, code, why)
            return
    facts.medicines.append(MedicineEvent(entry, product, kind, date, value, code))


def current_prescriptions(
    events: list[MedicineEvent], as_of: dt.date, report: ReportBuilder
) -> tuple[Prescription, ...]:
    """The current medicine of each treatment field as of ``as_of`` (events after it are noted, not read)."""
    window = medication_window_days()
    found: list[Prescription] = []
    for field in TREATMENT_FIELDS:
        run: list[MedicineEvent] = []
        ordered = sorted((e for e in events if e.product.field == field), key=lambda e: (e.date, e.entry.index))
        for event in ordered:
            if event.date > as_of:
                report.ignore(
                    event.entry, event.code, f"dated {event.date.isoformat()}, after as_of {as_of.isoformat()}"
                )
            elif event.kind == "stop":
                stopped = f"stopped on {event.date.isoformat()}: not a current medicine"
                for earlier in run:
                    report.ignore(earlier.entry, earlier.code, stopped)
                why = (
                    f"status 'stopped' ({event.date.isoformat()}): not a current medicine; ends earlier {field} issues"
                )
                report.ignore(event.entry, event.code, why)
                run = []
            else:
                run.append(event)
        if not run:
            continue
        last = run[-1]
        if last.kind == "active" or (as_of - last.date).days <= window:
            for event in run:
                report.use(event.entry)
            assert last.value is not None
            found.append(Prescription(field, last.value, run[0].date, last.date, last.entry.ref))
        else:
            why = f"last issued {last.date.isoformat()}, more than {window} days before as_of {as_of.isoformat()}"
            why += ": not current"
            for event in run:
                report.ignore(event.entry, event.code, why)
    return tuple(found)
