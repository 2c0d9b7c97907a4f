"""The hospital's HL7 v2.4 feed for one patient: PAS ADT and pathology ORU^R01 messages.

From the PAS store: A01 per admission, A03 per discharge (DG1: the ICD-10 diagnoses coded for the
admission), A04 per outpatient attendance. From the pathology store: one ORU^R01 per test order
whose results are reported, sent when the last result is reported. Messages are in time order.

The record keeps dates, not times; messages use fixed times of day (admission 14:00, discharge
11:00, clinic 09:30, sample 09:00, report 16:00). Control ids are ``<event id>-<trigger>``.
"""

from __future__ import annotations

import datetime as dt

from twin_env.formats import hl7v2
from twin_env.formats.fhir_bundle import LAB_PANELS
from twin_env.formats.letters_export import SPECIALTY
from twin_env.formats.source import PRACTICE, TRUST, RecordSource
from twin_env.record.store import ItemType
from twin_env.record.views import RecordItem
from twin_env.vocab.concepts import Concept

__all__ = ["hl7_messages"]

_ADMIT, _DISCHARGE, _CLINIC = dt.time(14, 0), dt.time(11, 0), dt.time(9, 30)
_SAMPLE, _REPORT = dt.time(9, 0), dt.time(16, 0)
_DISCHARGE_METHOD = "1"  # NHS DD: discharged on clinical advice or with clinical consent


def _at(date: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(date, time)


def _patient(source: RecordSource, patient: int) -> hl7v2.Hl7Patient:
    who = source.identity(patient)
    return hl7v2.Hl7Patient(
        nhs_number=who.nhs_number,
        hospital_number=who.hospital_number,
        trust_code=TRUST.code,
        family=who.family.upper(),
        given=who.given,
        birth_date=who.birth_date,
        sex="F" if who.female else "M",
        title=who.title,
        ethnic_category=who.ethnic_category,
        practice_code=PRACTICE.code,
    )


def _header(application: str, event_id: str, trigger: str, when: dt.datetime) -> hl7v2.MessageHeader:
    return hl7v2.MessageHeader(application, TRUST.code, "GPSYS", PRACTICE.code, f"{event_id}-{trigger}", when)


def _adt(source: RecordSource, patient: int, pid: hl7v2.Hl7Patient) -> list[tuple[dt.datetime, str]]:
    view = source.record.pas_view(patient, source.end)
    admissions = {i.event_id: i for i in view.of(ItemType.ADMISSION)}
    diagnoses: dict[str, list[str]] = {}
    for item in view.of(ItemType.DIAGNOSIS):
        diagnoses.setdefault(item.link_event_id or "", []).append(item.code.code)  # type: ignore[union-attr]
    out: list[tuple[dt.datetime, str]] = []
    for event_id, item in admissions.items():
        visit = hl7v2.AdtVisit("I", "AMU", f"V{event_id}", _at(item.date, _ADMIT), admission_method="21")
        out.append((visit.admit_time, hl7v2.adt_a01(_header("PAS", event_id, "A01", visit.admit_time), pid, visit)))
    for item in view.of(ItemType.DISCHARGE):
        admission = admissions[item.link_event_id]  # type: ignore[index]
        visit = hl7v2.AdtVisit(
            "I",
            "AMU",
            f"V{admission.event_id}",
            _at(admission.date, _ADMIT),
            _at(item.date, _DISCHARGE),
            admission_method="21",
            discharge_method=_DISCHARGE_METHOD,
            discharge_destination=item.code.code,  # type: ignore[union-attr]
            diagnoses=tuple(diagnoses.get(admission.event_id, ())),
        )
        header = _header("PAS", item.event_id, "A03", visit.discharge_time)  # type: ignore[arg-type]
        out.append((visit.discharge_time, hl7v2.adt_a03(header, pid, visit)))  # type: ignore[arg-type]
    for item in view.of(ItemType.ATTENDANCE):
        clinic = SPECIALTY.get(item.concept, "General medicine").upper()
        visit = hl7v2.AdtVisit("O", f"{clinic} OPD", f"V{item.event_id}", _at(item.date, _CLINIC))
        out.append(
            (visit.admit_time, hl7v2.adt_a04(_header("PAS", item.event_id, "A04", visit.admit_time), pid, visit))
        )
    return out


def _oru(source: RecordSource, patient: int, pid: hl7v2.Hl7Patient) -> list[tuple[dt.datetime, str]]:
    view = source.record.lab_view(patient, source.end)
    results: dict[str, list[RecordItem]] = {}
    for item in view.lab_results:
        results.setdefault(item.link_event_id or "", []).append(item)
    out: list[tuple[dt.datetime, str]] = []
    for order in view.lab_orders:
        reported = results.get(order.event_id)
        if not reported:
            continue
        report = hl7v2.LabReport(
            placer_order_number=f"P{order.event_id}",
            filler_order_number=f"F{order.event_id}",
            title=LAB_PANELS[Concept(order.concept)][0],
            collected=_at(order.date, _SAMPLE),
            reported=_at(max(r.available for r in reported), _REPORT),  # type: ignore[type-var]
            results=tuple(hl7v2.LabResult(r.code.code, r.value, r.unit) for r in reported),  # type: ignore[union-attr, arg-type]
        )
        header = _header("PATH", order.event_id, "R01", report.reported)
        out.append((report.reported, hl7v2.oru_r01(header, pid, report)))
    return out


def hl7_messages(source: RecordSource, patient: int) -> list[str]:
    """The patient's ADT and ORU^R01 messages up to ``source.end``, in time order (segments ``\\r``)."""
    pid = _patient(source, patient)
    timed = _adt(source, patient, pid) + _oru(source, patient, pid)
    return [message for _, message in sorted(timed, key=lambda t: t[0])]
