"""The Patient: date of birth, sex, ethnicity (UK Core ethnic category or US Core race, as a QRISK3 group)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from twin_env.patient_twin.bundle_errors import RecordReadError
from twin_env.patient_twin.code_map import coding_label, ethnicity_of, table_row
from twin_env.patient_twin.fhir_values import Entry, codings, parse_date
from twin_env.patient_twin.reading_facts import ReportBuilder

__all__ = ["Demographics", "read_patient"]

UK_CORE_ETHNICITY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
#: QRISK3 group of a person of more than one US Core OMB race category: 9 (QRISK3 "Other" includes Mixed).
MIXED_QRISK3 = 9
_SEXES = {"female": True, "male": False}


@dataclasses.dataclass(frozen=True)
class Demographics:
    """What the Patient says: ``female``, ``birth_date``, ``ethnicity`` (QRISK3 1-9 or None), death date."""

    birth_date: dt.date
    female: bool
    ethnicity: int | None
    deceased: dt.date | None


def _extensions(res: dict[str, Any], url: str) -> list[dict[str, Any]]:
    found = res.get("extension", [])
    return [e for e in found if isinstance(e, dict) and e.get("url") == url] if isinstance(found, list) else []


def _group(coding: dict[str, Any]) -> tuple[int | None, str]:
    """QRISK3 group of one ethnicity or race coding, or None and why."""
    row = table_row(str(coding.get("system", "")), str(coding.get("code", "")))
    found = None if row is None else ethnicity_of(row)
    if found is None:
        return None, "ethnicity code not in the project's code table (twin_env/data/codes.csv)"
    return found.qrisk3, found.why


def _group_or_ignore(coding: dict[str, Any], entry: Entry, report: ReportBuilder) -> int | None:
    """QRISK3 group of ``coding``, or None with the coding listed as ignored and why."""
    group, why = _group(coding)
    if group is None:
        report.ignore(entry, coding_label(coding), why)
    return group


def _uk_core(entry: Entry, extension: dict[str, Any], report: ReportBuilder) -> int | None:
    found = codings(extension.get("valueCodeableConcept"), entry.where, "extension(EthnicCategory)")
    if not found:
        report.ignore(entry, "", "UK Core ethnic category extension without a coding")
        return None
    return _group_or_ignore(found[0], entry, report)


def _us_core(entry: Entry, extension: dict[str, Any], report: ReportBuilder) -> int | None:
    """US Core race: a detailed code with a sound group first, else the one OMB category; several is Mixed (9)."""
    parts = [p for p in extension.get("extension", []) if isinstance(p, dict)]
    detailed = [
        p["valueCoding"] for p in parts if p.get("url") == "detailed" and isinstance(p.get("valueCoding"), dict)
    ]
    omb = [p["valueCoding"] for p in parts if p.get("url") == "ombCategory" and isinstance(p.get("valueCoding"), dict)]
    for coding in detailed:
        group, _ = _group(coding)
        if group is not None:
            return group
    if len({c.get("code") for c in omb}) > 1:
        return MIXED_QRISK3
    if not omb:
        report.ignore(entry, "", "US Core race extension without an ombCategory: ethnicity unknown")
        return None
    return _group_or_ignore(omb[0], entry, report)


def read_patient(entry: Entry, report: ReportBuilder) -> Demographics:
    """The Patient's demographics; a missing or unusable birthDate or sex is an error."""
    res, where = entry.resource, entry.where
    if "birthDate" not in res:
        raise RecordReadError(where, "birthDate", "missing; the twin needs the date of birth")
    birth = parse_date(res["birthDate"], where, "birthDate")
    gender = res.get("gender")
    if gender not in _SEXES:
        raise RecordReadError(
            where, "gender", f"{gender!r}; allowed: 'female', 'male' (the twin's equations need a sex)"
        )
    ethnicity: int | None = None
    uk, us = _extensions(res, UK_CORE_ETHNICITY), _extensions(res, US_CORE_RACE)
    if uk:
        ethnicity = _uk_core(entry, uk[0], report)
    elif us:
        ethnicity = _us_core(entry, us[0], report)
    else:
        report.ignore(entry, "", "no UK Core ethnic category or US Core race extension: ethnicity unknown")
    for _ in _extensions(res, US_CORE_ETHNICITY):
        report.ignore(
            entry, "", "US Core ethnicity (Hispanic or Latino) is not a QRISK3 group; the race extension decides"
        )
    deceased = None
    if "deceasedDateTime" in res:
        deceased = parse_date(res["deceasedDateTime"], where, "deceasedDateTime")
    elif res.get("deceasedBoolean") is True:
        report.ignore(entry, "", "deceasedBoolean true without a date: the death is not read")
    return Demographics(birth, _SEXES[gender], ethnicity, deceased)
