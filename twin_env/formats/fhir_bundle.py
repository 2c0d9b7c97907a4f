"""The GP system's record of one patient as a UK Core FHIR R4 Bundle (collection or transaction).

Built from :meth:`Record.gp_view` (what the practice shows as of a date) and the imaging system's
studies and reports, with :mod:`twin_env.formats.fhir_resources`:

- Patient, the practice and the trust (Organization), the practice's GP (Practitioner);
- Encounter per consultation or review; Condition per coded problem; Observation per BP reading
  (a systolic/diastolic pair at one consultation becomes one UK Core BP panel), per BMI (vital
  signs), per coded smoking status (social history, no value) and per filed lab result, grouped
  into one DiagnosticReport per test order (coded, performed by the trust's laboratory);
  RiskAssessment per model score written back, with an Observation of the score when it has a
  code (QRISK3); MedicationRequest per issue (repeat) and per stop (status ``stopped``), requested by
  the trust for a medicine the hospital started or changed (reconciled from the discharge letter);
  ServiceRequest per referral; DocumentReference per letter filed (text from
  :mod:`twin_env.formats.letters_export`); ImagingStudy and a DiagnosticReport per imaging report;
- from the patient-generated ``home`` system: one Device (the patient's BP monitor) and an
  Observation per uploaded home reading (average home systolic or diastolic BP of a day), with the
  Device, the patient as performer and the upload date as ``issued``.

Ids are ``deterministic_uuid`` over the ledger event id (and the item type; a duplicate filing
gets its occurrence number), so the same record always gives the same bundle.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from twin_env.formats import fhir_resources as fr
from twin_env.formats.letters_export import letter_text, letter_title
from twin_env.formats.source import PRACTICE, TRUST, RecordSource
from twin_env.record.artefacts import Artefact
from twin_env.record.store import ItemType
from twin_env.record.views import RecordItem
from twin_env.vocab.concepts import SMOKING_CATEGORY, Concept
from twin_env.vocab.drugs import DRUGS

__all__ = ["LAB_PANELS", "LAB_REPORT_CODES", "fhir_bundle"]

#: Test panel (order concept) -> (title, analytes), as the lab reports it.
LAB_PANELS: dict[Concept, tuple[str, tuple[Concept, ...]]] = {
    Concept.TEST_HBA1C: ("HbA1c", (Concept.HBA1C,)),
    Concept.TEST_LIPIDS: (
        "Lipid profile",
        (Concept.TOTAL_CHOLESTEROL, Concept.HDL_CHOLESTEROL, Concept.LDL_CHOLESTEROL),
    ),
    Concept.TEST_RENAL: ("Urea and electrolytes", (Concept.EGFR, Concept.POTASSIUM)),
    Concept.TEST_ACR: ("Urine albumin:creatinine ratio", (Concept.URINE_ACR,)),
    Concept.TEST_NTPROBNP: ("NT-proBNP", (Concept.NTPROBNP,)),
}
#: Test panel -> SNOMED CT code of its lab DiagnosticReport: the panel's procedure, or for a
#: one-analyte panel the analyte's observable (codes.csv). NT-proBNP has none (its report has a title only).
LAB_REPORT_CODES: dict[Concept, str] = {
    Concept.TEST_HBA1C: "999791000000106",
    Concept.TEST_LIPIDS: "16254007",
    Concept.TEST_RENAL: "252167001",
    Concept.TEST_ACR: "1023491000000104",
}
_PANEL_OF = {analyte: panel for panel, (_, analytes) in LAB_PANELS.items() for analyte in analytes}
_BP = (Concept.SBP, Concept.DBP)
#: Risk-score concept -> (method, outcome, horizon years) of the RiskAssessment.
RISK_SCORES: dict[Concept, tuple[str, str, int]] = {
    Concept.QRISK3_SCORE: ("QRISK3-2017", "cardiovascular disease (CHD, ischaemic stroke, TIA)", 10),
    Concept.RISK_SCORE: ("deployed risk model (uncoded score, e.g. QDiabetes-2018)", "modelled outcome", 10),
}
#: Imaging procedure -> (DICOM modality, HL7 v2 table 0074 report category).
IMAGING_KINDS: dict[Concept, tuple[str, str]] = {
    Concept.ECG: ("ECG", "EC"),
    Concept.ECHOCARDIOGRAM: ("US", "CUS"),
    Concept.CHEST_XRAY: ("DX", "RAD"),
}
_DOSE_TEXT = {product: drug for drug in DRUGS.values() for product in drug.products.values()}


def _dosage(item: RecordItem) -> str:
    drug = _DOSE_TEXT[item.concept]
    if item.item == ItemType.MEDICATION_END:
        return "Stopped"
    return f"{item.value:g} {drug.dose_unit} daily, as directed" if item.value is not None else "As directed"


class _Ids:
    """Deterministic resource ids: one per (ledger event, item type), numbered if filed twice."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}

    def new(self, kind: str, event_id: str) -> str:
        key = (kind, event_id)
        n = self._seen.get(key, 0)
        self._seen[key] = n + 1
        return fr.deterministic_uuid(kind, event_id, str(n))


#: Ids of the practice, the trust and the GP: the same in every bundle, so made once.
_PRACTICE_ID = fr.deterministic_uuid("organization", PRACTICE.code)
_TRUST_ID = fr.deterministic_uuid("organization", TRUST.code)
_GP_ID = fr.deterministic_uuid("practitioner", PRACTICE.code, PRACTICE.clinician)
#: The GP's synthetic identifier (in ``fr.PRACTITIONER_ID_SYSTEM``): the practice code and GP1.
GP_IDENTIFIER = f"{PRACTICE.code}-GP1"


def _participants(source: RecordSource, patient: int) -> tuple[list[fr.Resource], dict[str, str]]:
    who = source.identity(patient)
    ids = {
        "patient": fr.deterministic_uuid("patient", str(patient)),
        "practice": _PRACTICE_ID,
        "trust": _TRUST_ID,
        "gp": _GP_ID,
    }
    title, given, family = PRACTICE.clinician.split(" ")
    resources = [
        fr.patient(
            id=ids["patient"],
            nhs_number=who.nhs_number,
            family=who.family,
            given=[who.given],
            gender="female" if who.female else "male",
            birth_date=who.birth_date,
            ethnic_category=who.ethnic_category,
            prefix=who.title,
            deceased=who.death_date,
            general_practice_id=ids["practice"],
        ),
        fr.organization(id=ids["practice"], ods_code=PRACTICE.code, name=PRACTICE.name),
        fr.organization(id=ids["trust"], ods_code=TRUST.code, name=TRUST.name),
        fr.practitioner(id=ids["gp"], family=family, given=[given], prefix=title, identifier=GP_IDENTIFIER),
    ]
    return resources, ids


def _observations(
    items: tuple[RecordItem, ...], ids: dict[str, str], new: _Ids, encounters: dict[str, str]
) -> list[fr.Resource]:
    out: list[fr.Resource] = []
    bp: dict[tuple[str | None, bool], dict[Concept, RecordItem]] = defaultdict(dict)
    reports: dict[str, list[tuple[RecordItem, str]]] = defaultdict(list)
    for item in items:
        if item.concept in _BP:
            bp[(item.link_event_id, bool(item.flags & Artefact.DUPLICATE))][item.concept] = item
            continue
        if item.concept == Concept.BMI or SMOKING_CATEGORY[item.concept] >= 0:
            out.append(_clinic_observation(item, ids, new, encounters))
            continue
        res_id = new.new("observation", item.event_id)
        out.append(
            fr.observation(
                id=res_id,
                patient_id=ids["patient"],
                code=item.code.code,
                effective=item.date,  # type: ignore[union-attr]
                category="laboratory",
                value=item.value,
                unit=item.unit,
                issued=item.available,
                performer_id=ids["trust"],  # the trust's laboratory reported it
            )
        )
        reports[item.link_event_id or item.event_id].append((item, res_id))
    for (link, _), pair in bp.items():
        first = next(iter(pair.values()))
        encounter_id = encounters.get(link) if link else None
        res_id = new.new("blood-pressure", first.event_id)
        if len(pair) == 2:
            out.append(
                fr.blood_pressure(
                    id=res_id,
                    patient_id=ids["patient"],
                    effective=first.date,
                    systolic_mmhg=pair[Concept.SBP].value,
                    diastolic_mmhg=pair[Concept.DBP].value,  # type: ignore[arg-type]
                    encounter_id=encounter_id,
                    performer_id=ids["gp"],
                )
            )
        else:
            out.append(
                fr.observation(
                    id=res_id,
                    patient_id=ids["patient"],
                    code=first.code.code,
                    effective=first.date,  # type: ignore[union-attr]
                    category="vital-signs",
                    value=first.value,
                    unit=first.unit,
                    encounter_id=encounter_id,
                    performer_id=ids["gp"],
                )
            )
    for order, results in reports.items():
        panel = _PANEL_OF[results[0][0].concept]
        out.append(
            fr.diagnostic_report(
                id=new.new("lab-report", order),
                patient_id=ids["patient"],
                title=LAB_PANELS[panel][0],
                category="LAB",
                code=LAB_REPORT_CODES.get(panel),
                effective=results[0][0].date,
                issued=max(r.available for r, _ in results),  # type: ignore[type-var]
                result_ids=[res_id for _, res_id in results],
                performer_id=ids["trust"],
            )
        )
    return out


def _clinic_observation(item: RecordItem, ids: dict[str, str], new: _Ids, encounters: dict[str, str]) -> fr.Resource:
    """BMI (vital signs) or a coded smoking status (social history, no value) taken at a consultation."""
    smoking = item.concept != Concept.BMI
    return fr.observation(
        id=new.new("observation", item.event_id),
        patient_id=ids["patient"],
        code=item.code.code,  # type: ignore[union-attr]
        effective=item.date,
        category="social-history" if smoking else "vital-signs",
        value=None if smoking else item.value,
        unit=None if smoking else item.unit,
        encounter_id=encounters.get(item.link_event_id or ""),
        performer_id=ids["gp"],
    )


def _risk_scores(items: tuple[RecordItem, ...], ids: dict[str, str], new: _Ids) -> list[fr.Resource]:
    """A RiskAssessment per score written back, and an Observation of the score when it is coded."""
    out: list[fr.Resource] = []
    for item in items:
        method, outcome, years = RISK_SCORES[item.concept]
        code = None if item.code is None else item.code.code
        basis: list[str] = []
        if code is not None:
            basis.append(new.new("risk-observation", item.event_id))
            out.append(
                fr.observation(
                    id=basis[0],
                    patient_id=ids["patient"],
                    code=code,
                    effective=item.date,
                    category="survey",
                    value=item.value,
                    unit=item.unit,
                    performer_id=ids["gp"],
                )
            )
        out.append(
            fr.risk_assessment(
                id=new.new("risk-assessment", item.event_id),
                patient_id=ids["patient"],
                occurrence=item.date,
                outcome=outcome,
                probability=min(max((item.value or 0.0) / 100.0, 0.0), 1.0),
                years=years,
                code=code,
                method=method,
                basis_ids=basis,
                performer_id=ids["gp"],
            )
        )
    return out


def _imaging(source: RecordSource, patient: int, as_of: dt.date, ids: dict[str, str], new: _Ids) -> list[fr.Resource]:
    out: list[fr.Resource] = []
    studies: dict[str, str] = {}
    view = source.record.imaging_view(patient, as_of)
    for item in view.of(ItemType.IMAGING_STUDY):
        modality, _ = IMAGING_KINDS[item.concept]
        studies[item.event_id] = new.new("imaging-study", item.event_id)
        out.append(
            fr.imaging_study(
                id=studies[item.event_id],
                patient_id=ids["patient"],
                procedure_code=item.code.code,  # type: ignore[union-attr]
                modality=modality,
                started=item.date,
                description=item.code.display,  # type: ignore[union-attr]
            )
        )
    for item in view.of(ItemType.IMAGING_REPORT):
        _, category = IMAGING_KINDS[item.concept]
        out.append(
            fr.diagnostic_report(
                id=new.new("imaging-report", item.event_id),
                patient_id=ids["patient"],
                title=item.code.display,
                category=category,
                code=item.code.code,  # type: ignore[union-attr]
                effective=item.date,
                issued=item.available,
                imaging_study_ids=[studies[item.event_id]],  # type: ignore[arg-type]
                performer_id=ids["trust"],
                conclusion="Study reported; findings are not modelled by the twin.",
            )
        )
    return out


#: The home monitor's Device: name and kind (text; no device-type code on the reference sheets).
HOME_MONITOR = ("Home blood pressure monitor (patient's own, readings uploaded by app)", "Blood pressure monitor")


def _home(source: RecordSource, patient: int, as_of: dt.date, ids: dict[str, str], new: _Ids) -> list[fr.Resource]:
    """The patient's home readings uploaded by ``as_of``: a Device and an Observation per reading."""
    items = source.record.home_view(patient, as_of).of(ItemType.HOME_READING)
    if not items:
        return []
    device_id = fr.deterministic_uuid("device", "home-bp-monitor", str(patient))
    out = [fr.device(id=device_id, patient_id=ids["patient"], name=HOME_MONITOR[0], kind=HOME_MONITOR[1])]
    for item in items:
        out.append(
            fr.observation(
                id=new.new("home-observation", item.event_id),
                patient_id=ids["patient"],
                code=item.code.code,  # type: ignore[union-attr]
                effective=item.date,
                category="vital-signs",
                value=item.value,
                unit=item.unit,
                issued=item.available,
                performer_id=ids["patient"],
                device_id=device_id,
            )
        )
    return out


def fhir_bundle(
    source: RecordSource, patient: int, *, as_of: dt.date | None = None, bundle_type: str = "collection"
) -> dict[str, Any]:
    """The GP system's record of ``patient`` as of ``as_of`` (default ``source.end``) as a FHIR Bundle
    of ``bundle_type`` (``collection`` or ``transaction``, see :func:`fhir_resources.bundle`)."""
    as_of = source.end if as_of is None else as_of
    view = source.record.gp_view(patient, as_of)
    resources, ids = _participants(source, patient)
    new = _Ids()
    encounters: dict[str, str] = {}
    for item in view.encounters:
        encounters[item.event_id] = new.new("encounter", item.event_id)
        resources.append(
            fr.encounter(
                id=encounters[item.event_id],
                patient_id=ids["patient"],
                encounter_class="AMB",
                start=item.date,
                practitioner_id=ids["gp"],
                organization_id=ids["practice"],
            )
        )
    for item in view.problems:
        resources.append(
            fr.condition(
                id=new.new("condition", item.event_id),
                patient_id=ids["patient"],
                code=item.code.code,  # type: ignore[union-attr]
                onset=item.date,
                recorded_date=item.available,  # type: ignore[arg-type]
                encounter_id=encounters.get(item.link_event_id or ""),
                recorder_id=ids["gp"],
            )
        )
    resources += _observations(view.observations, ids, new, encounters)
    for item in view.medications:
        resources.append(
            fr.medication_request(
                id=new.new("medication-request", item.event_id),
                patient_id=ids["patient"],
                dmd_code=item.code.code,
                authored_on=item.date,
                dosage_text=_dosage(item),
                repeat=True,  # type: ignore[union-attr]
                status="stopped" if item.item == ItemType.MEDICATION_END else "completed",
                requester_id=ids["trust"] if item.flags & Artefact.FROM_LETTER else ids["gp"],
            )
        )
    for item in view.referrals:
        resources.append(
            fr.service_request(
                id=new.new("service-request", item.event_id),
                patient_id=ids["patient"],
                code=item.code.code,  # type: ignore[union-attr]
                authored_on=item.date,
                requester_id=ids["gp"],
                performer_id=ids["trust"],
                encounter_id=encounters.get(item.link_event_id or ""),
            )
        )
    for item in view.documents:
        resources.append(
            fr.document_reference(
                id=new.new("document-reference", item.event_id),
                patient_id=ids["patient"],
                type_code=item.code.code,
                date=item.available,
                text=letter_text(source, item.event_id),  # type: ignore[union-attr, arg-type]
                title=letter_title(source, item.event_id),
                author_id=ids["trust"],
                custodian_id=ids["practice"],
            )
        )
    resources += _risk_scores(view.of(ItemType.RISK_SCORE), ids, new)
    resources += _imaging(source, patient, as_of, ids, new)
    resources += _home(source, patient, as_of, ids, new)
    bundle_id = fr.deterministic_uuid("bundle", str(patient), as_of.isoformat())
    return fr.bundle(id=bundle_id, resources=resources, type=bundle_type)
