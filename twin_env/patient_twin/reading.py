"""Read a FHIR R4 Bundle into a :class:`PatientRecord`: the record in the twin's variables and units.

``read_record(bundle, as_of=None, impossible_values="error")`` accepts the Bundle as a dict or a JSON file
path. It reads the one Patient, Observations, Conditions, MedicationRequests and MedicationStatements
through the project's code table (:mod:`twin_env.patient_twin.code_map`) with units converted
(:mod:`twin_env.patient_twin.units`); every other entry, and every entry it cannot map, is listed in
``record.reading.ignored`` with why.
``as_of`` defaults to the latest date among the entries read; entries dated after it are noted, not read.
eGFR is computed by CKD-EPI 2021 from a creatinine on a day with no eGFR, BMI from a weight and the
nearest height on a day with no BMI. A Bundle that cannot be read raises :class:`RecordReadError`
(one line: the entry, the field, what is allowed). A value outside its variable's plausible range (or a weight
and height giving an impossible BMI) is such an error by default; ``impossible_values="ignore"`` lists that
entry as ignored with why and reads the rest. See ``docs/patient_twin.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from twin_env.equations.ckd_epi import egfr_ckd_epi_2021
from twin_env.patient_twin.bundle_errors import IMPOSSIBLE_VALUES, RecordReadError, check_impossible_values
from twin_env.patient_twin.code_map import coding_label
from twin_env.patient_twin.fhir_values import Entry, reference_targets, referenced
from twin_env.patient_twin.reading_conditions import read_condition
from twin_env.patient_twin.reading_facts import Facts, ReportBuilder
from twin_env.patient_twin.reading_medications import current_prescriptions, read_medicine
from twin_env.patient_twin.reading_observations import read_observation
from twin_env.patient_twin.reading_patient import Demographics, read_patient
from twin_env.patient_twin.record import MEASUREMENT_VARIABLES, Diagnosis, Measurement, PatientRecord
from twin_env.patient_twin.units import plausible_range

__all__ = ["IMPOSSIBLE_VALUES", "RecordReadError", "read_record"]

#: Oldest age a record may describe at ``as_of`` (years); older is a date error.
MAX_AGE_YEARS = 130
_SUBJECT_FIELDS = ("subject", "patient")
_READERS = {"Observation", "Condition", "MedicationRequest", "MedicationStatement"}


def _load(bundle: dict | str | os.PathLike) -> dict[str, Any]:
    if isinstance(bundle, dict):
        return bundle
    if not isinstance(bundle, (str, os.PathLike)):
        raise RecordReadError("record", "", f"expected a Bundle dict or a JSON file path, got {type(bundle).__name__}")
    path = Path(bundle)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordReadError(
            str(path), "", f"cannot read the file ({exc.__class__.__name__}: {exc.strerror or exc})"
        ) from None
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordReadError(
            str(path), "", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(loaded, dict):
        raise RecordReadError(str(path), "", f"expected a JSON object (a FHIR Bundle), got {type(loaded).__name__}")
    return loaded


def _entries(bundle: dict[str, Any]) -> list[Entry]:
    if bundle.get("resourceType") != "Bundle":
        raise RecordReadError("Bundle", "resourceType", f"{bundle.get('resourceType')!r}; allowed: 'Bundle'")
    raw = bundle.get("entry", [])
    if not isinstance(raw, list):
        raise RecordReadError("Bundle", "entry", "expected a list of entries")
    entries = []
    for i, item in enumerate(raw):
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise RecordReadError(f"Bundle.entry[{i}]", "resource", "expected a resource with a resourceType")
        full_url = item.get("fullUrl", "")
        entries.append(Entry(i, resource, full_url if isinstance(full_url, str) else ""))
    return entries


def _the_patient(entries: list[Entry]) -> Entry:
    patients = [e for e in entries if e.type == "Patient"]
    if not patients:
        raise RecordReadError("Bundle", "entry", "no Patient; a record needs exactly one Patient")
    if len(patients) > 1:
        names = " and ".join(e.where for e in patients[:2])
        raise RecordReadError("Bundle", "entry", f"{len(patients)} Patients ({names}); a record is one patient's")
    return patients[0]


def _about_patient(entry: Entry, patient: set[str]) -> bool:
    """Whether the resource's subject (or patient) is the record's Patient (true when it names none)."""
    for field in _SUBJECT_FIELDS:
        ref = referenced(entry.resource.get(field))
        if ref is not None:
            return ref in patient or any(ref.endswith("/" + p) for p in patient if "/" in p)
    return True


def _main_code(entry: Entry) -> str:
    """``"<system>|<code>"`` of a resource's first coded element (code, vaccineCode, type), or ``""``."""
    for field in ("code", "vaccineCode", "type"):
        value = entry.resource.get(field)
        value = value[0] if isinstance(value, list) and value else value
        found = value.get("coding") if isinstance(value, dict) else None
        if isinstance(found, list) and found and isinstance(found[0], dict):
            return coding_label(found[0])
    return ""


def _first_pass(entries: list[Entry], patient: Entry, report: ReportBuilder) -> Facts:
    facts = Facts()
    targets = reference_targets(patient)
    medications = {t: e.resource for e in entries if e.type == "Medication" for t in reference_targets(e)}
    for entry in entries:
        if entry is patient:
            continue
        if entry.type not in _READERS:
            report.ignore(entry, _main_code(entry), f"resource type {entry.type} not used by the twin")
        elif not _about_patient(entry, targets):
            report.ignore(entry, "", "its subject is not the record's Patient")
        elif entry.type == "Observation":
            read_observation(entry, facts, report)
        elif entry.type == "Condition":
            read_condition(entry, facts, report)
        else:
            read_medicine(entry, facts, report, medications)
    return facts


def _derived(measured: list[tuple[Entry, Measurement]], who: Demographics, report: ReportBuilder) -> list[Measurement]:
    """The twin's measurements, with eGFR from creatinine and BMI from weight and height where the day has none."""
    out = [m for _, m in measured if m.variable in MEASUREMENT_VARIABLES]
    have = {(m.variable, m.date) for m in out}
    heights = sorted((m.date, m.value, e.index) for e, m in measured if m.variable == "height_cm")
    used_heights: set[int] = set()
    for entry, m in measured:
        if m.variable == "creatinine_umol_l":
            if ("egfr_ml_min_1_73m2", m.date) in have:
                report.ignore(entry, "", f"creatinine on {m.date.isoformat()}: an eGFR of that day is read instead")
                continue
            age = (m.date - who.birth_date).days / 365.25
            egfr = float(egfr_ckd_epi_2021(m.value, age, who.female))
            egfr = min(max(egfr, plausible_range("egfr_ml_min_1_73m2")[0]), plausible_range("egfr_ml_min_1_73m2")[1])
            out.append(Measurement("egfr_ml_min_1_73m2", m.date, egfr, "laboratory", m.source))
            have.add(("egfr_ml_min_1_73m2", m.date))
        elif m.variable == "weight_kg":
            if ("bmi_kg_m2", m.date) in have:
                report.ignore(entry, "", f"weight on {m.date.isoformat()}: a BMI of that day is read instead")
                continue
            if not heights:
                report.ignore(entry, "", "a weight without any height in the record: no BMI")
                continue
            _, height_cm, height_entry = min(heights, key=lambda h: (abs((h[0] - m.date).days), h[0]))
            used_heights.add(height_entry)
            bmi = m.value / (height_cm / 100.0) ** 2
            low, high, _ = plausible_range("bmi_kg_m2")
            if not low <= bmi <= high:
                why = f"weight {m.value:g} kg with height {height_cm:g} cm gives BMI {bmi:.1f}, not possible"
                report.impossible(entry, "", "valueQuantity.value", f"{why} (allowed {low:g}-{high:g})")
                continue
            out.append(Measurement("bmi_kg_m2", m.date, bmi, m.setting, m.source))
            have.add(("bmi_kg_m2", m.date))
        elif m.variable == "height_cm":
            continue  # used with a weight below, or noted
        report.use(entry)
    for entry, m in measured:
        if m.variable != "height_cm":
            continue
        if entry.index in used_heights:
            report.use(entry)
        else:
            report.ignore(entry, "", "a height is read only with a weight, for BMI, on a day without one")
    return out


def _one_per_condition(
    found: list[tuple[Entry, Diagnosis, dt.date | None]], report: ReportBuilder
) -> tuple[Diagnosis, ...]:
    """One diagnosis per condition: the earliest onset (an undated one only if none is dated)."""
    best: dict[str, Diagnosis] = {}
    for entry, diagnosis, _ in found:
        report.use(entry)
        known = best.get(diagnosis.condition)
        if known is None or (diagnosis.onset is not None and (known.onset is None or diagnosis.onset < known.onset)):
            best[diagnosis.condition] = diagnosis
    return tuple(sorted(best.values(), key=lambda d: (d.onset or dt.date.min, d.condition)))


def read_record(
    bundle: dict | str | os.PathLike, as_of: dt.date | None = None, impossible_values: str = "error"
) -> PatientRecord:
    """A patient's record from a FHIR R4 Bundle (dict or JSON file path) as of ``as_of`` (default: its latest entry).

    Raises :class:`RecordReadError` (a ``ValueError`` with a one-line message) for a Bundle it cannot read.
    ``impossible_values`` (:data:`IMPOSSIBLE_VALUES`): ``"error"`` (default) refuses a value outside its
    variable's plausible range, naming the entry, field, value and range; ``"ignore"`` lists that entry in
    ``record.reading.ignored`` with the same text and reads the rest.
    """
    check_impossible_values(impossible_values)
    if as_of is not None and not isinstance(as_of, dt.date):
        raise RecordReadError("read_record", "as_of", f"{as_of!r}; allowed: a datetime.date or None")
    as_of = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    entries = _entries(_load(bundle))
    patient = _the_patient(entries)
    report = ReportBuilder(impossible_values)
    who = read_patient(patient, report)
    report.use(patient)
    facts = _first_pass(entries, patient, report)
    dates = facts.dates()
    if as_of is None:
        if not dates:
            raise RecordReadError("Bundle", "entry", "no dated entry the twin reads; pass as_of to read the record")
        as_of = max(dates)
    _check_dates(who, as_of, patient, facts)
    kept = Facts(
        [(e, m) for e, m in facts.measurements if _kept(e, m.date, as_of, report)],
        [(e, d, when) for e, d, when in facts.diagnoses if when is None or _kept(e, when, as_of, report)],
        [(e, s) for e, s in facts.smoking if _kept(e, s.date, as_of, report)],
    )
    for entry, _ in kept.smoking:
        report.use(entry)
    measurements = _derived(kept.measurements, who, report)
    return PatientRecord(
        birth_date=who.birth_date,
        female=who.female,
        as_of=as_of,
        ethnicity=who.ethnicity,
        imd_quintile=None,
        measurements=tuple(sorted(measurements, key=lambda m: (m.date, m.variable, m.setting, m.source, m.value))),
        diagnoses=_one_per_condition(kept.diagnoses, report),
        prescriptions=current_prescriptions(facts.medicines, as_of, report),
        smoking=tuple(sorted((s for _, s in kept.smoking), key=lambda s: (s.date, s.source))),
        reading=report.build(),
        deceased=who.deceased,
    )


def _kept(entry: Entry, date: dt.date, as_of: dt.date, report: ReportBuilder) -> bool:
    if date <= as_of:
        return True
    report.ignore(entry, "", f"dated {date.isoformat()}, after as_of {as_of.isoformat()}")
    return False


def _check_dates(who: Demographics, as_of: dt.date, patient: Entry, facts: Facts) -> None:
    """Impossible dates: as_of before birth or past the oldest age, an entry before the birth date."""
    if as_of < who.birth_date:
        raise RecordReadError(
            patient.where, "birthDate", f"{who.birth_date.isoformat()} is after as_of {as_of.isoformat()}"
        )
    if (as_of - who.birth_date).days / 365.25 > MAX_AGE_YEARS:
        raise RecordReadError(
            patient.where,
            "birthDate",
            f"{who.birth_date.isoformat()} makes the patient older than {MAX_AGE_YEARS} at {as_of.isoformat()}",
        )
    dated = [(e, m.date) for e, m in facts.measurements] + [(e, s.date) for e, s in facts.smoking]
    dated += [(e.entry, e.date) for e in facts.medicines]
    for entry, date in dated:
        if date < who.birth_date:
            raise RecordReadError(
                entry.where,
                "date",
                f"{date.isoformat()} is before the Patient's birthDate {who.birth_date.isoformat()}",
            )
