"""Rendering a 200-patient, 10-year simulation in every format (FHIR, HL7 v2, letters, OpenSAFELY)."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twin_env.formats.export import RecordSource, check_formats, fhir_bundle, hl7_messages, letters_text, write_outputs
from twin_env.formats.fhir_resources import validate_bundle
from twin_env.formats.letters import DISCHARGE_SUMMARY_HEADINGS, OUTPATIENT_LETTER_HEADINGS
from twin_env.formats.nhs_number import is_synthetic_nhs_number
from twin_env.formats.opensafely import schema
from twin_env.formats.source import nhs_number_for
from twin_env.simulation import Simulation, simulate
from twin_env.vocab.codes import is_known_code
from twin_env.vocab.orders import Order

pytestmark = pytest.mark.slow

_URI_SYSTEM = {
    "http://snomed.info/sct": "snomed",
    "https://dmd.nhs.uk": "dmd",
    "http://loinc.org": "loinc",
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland": "ukcore-ethnic-category",
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland": (
        "ukcore-nhs-number-verification-status"
    ),
}


@pytest.fixture(scope="module")
def source() -> RecordSource:
    def refer(sim: Simulation, months: int) -> None:
        if months == 12:  # an agent's referrals: GP ServiceRequests, attendances and clinic letters
            sim.execute(np.arange(0, 200, 10), Order("refer", "hypertension_clinic"))

    sim = simulate(200, 5, 10.0, min_age_years=40, max_age_years=85, on_step=refer)
    return RecordSource.from_simulation(sim)


@pytest.fixture(scope="module")
def bundles(source: RecordSource) -> dict[int, dict[str, Any]]:
    return {p: fhir_bundle(source, p) for p in source.patients}


@pytest.fixture(scope="module")
def out_dir(source: RecordSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    write_outputs(source, out)
    return out


def _codings(node: Any, found: list[dict[str, str]]) -> None:
    if isinstance(node, dict):
        if "system" in node and "code" in node and node["system"] in _URI_SYSTEM:
            found.append(node)
        for value in node.values():
            _codings(value, found)
    elif isinstance(node, list):
        for item in node:
            _codings(item, found)


def test_every_bundle_parses_with_r4_and_every_reference_resolves(bundles: dict[int, dict[str, Any]]) -> None:
    for bundle in bundles.values():
        validate_bundle(bundle)


def test_bundles_cover_every_resource_type(bundles: dict[int, dict[str, Any]]) -> None:
    types = {e["resource"]["resourceType"] for b in bundles.values() for e in b["entry"]}
    assert types >= {
        "Patient",
        "Organization",
        "Practitioner",
        "Encounter",
        "Condition",
        "Observation",
        "MedicationRequest",
        "ServiceRequest",
        "DiagnosticReport",
        "ImagingStudy",
        "DocumentReference",
    }


def test_every_nhs_number_is_synthetic_and_stable(bundles: dict[int, dict[str, Any]], out_dir: Path) -> None:
    numbers = [b["entry"][0]["resource"]["identifier"][0]["value"] for b in bundles.values()]
    assert all(is_synthetic_nhs_number(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    for path in (out_dir / "hl7").glob("*.hl7"):
        for line in path.read_text().split("\r"):
            if line.startswith("PID|"):
                assert is_synthetic_nhs_number(line.split("|")[3].split("^")[0])
    assert len({nhs_number_for(i) for i in range(20_000)}) == 20_000
    assert nhs_number_for(7) == nhs_number_for(7)


def test_every_fhir_code_is_in_the_code_table(bundles: dict[int, dict[str, Any]]) -> None:
    found: list[dict[str, str]] = []
    for bundle in bundles.values():
        _codings(bundle, found)
    assert found
    for coding in found:
        assert is_known_code(_URI_SYSTEM[coding["system"]], coding["code"]), coding


def test_every_hl7_code_is_in_the_code_table(out_dir: Path) -> None:
    for path in (out_dir / "hl7").glob("*.hl7"):
        for segment in path.read_text().replace("\n", "\r").split("\r"):
            fields = segment.split("|")
            if fields[0] == "DG1":
                code = fields[3].split("^")[0]
                assert is_known_code("icd10", code), code
            if fields[0] == "OBX":
                parts = fields[3].split("^")
                if parts[2] == "LN":  # an analyte with no SNOMED CT observable (NT-proBNP): LOINC alone
                    assert is_known_code("loinc", parts[0]) and len(parts) == 3
                    continue
                assert is_known_code("snomed", parts[0]) and (len(parts) < 4 or is_known_code("loinc", parts[3]))


def test_hl7_messages_validate_strictly_at_v24(source: RecordSource) -> None:
    parser = pytest.importorskip("hl7apy.parser")
    from hl7apy.consts import VALIDATION_LEVEL

    by_type: dict[str, list[str]] = {}
    for patient in source.patients:
        for message in hl7_messages(source, patient):
            by_type.setdefault(message.split("\r")[0].split("|")[8], []).append(message)
    assert set(by_type) == {"ADT^A01^ADT_A01", "ADT^A03^ADT_A03", "ADT^A04^ADT_A01", "ORU^R01^ORU_R01"}
    for messages in by_type.values():
        for message in messages[:40]:  # hl7apy is slow: a sample of every type
            parser.parse_message(
                message, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True, force_validation=True
            )


def test_letters_have_prsb_headings(source: RecordSource) -> None:
    texts = {name: text for p in source.patients for name, text in letters_text(source, p).items()}
    kinds = {name.split("_", 1)[1] for name in texts}
    assert {"discharge_summary.txt", "clinic_letter.txt", "ecg_report.txt"} <= kinds
    for name, text in texts.items():
        headings = (
            DISCHARGE_SUMMARY_HEADINGS
            if "discharge" in name
            else OUTPATIENT_LETTER_HEADINGS
            if "clinic" in name
            else ()
        )
        assert all(f"\n{h}\n" in text for h in headings)


def test_document_references_carry_the_letter_text(bundles: dict[int, dict[str, Any]]) -> None:
    docs = [
        e["resource"]
        for b in bundles.values()
        for e in b["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]
    assert docs
    text = base64.b64decode(docs[0]["content"][0]["attachment"]["data"]).decode("utf-8")
    assert "NHS number:" in text


def test_opensafely_csvs_have_exactly_the_schema_columns(out_dir: Path) -> None:
    for table in ("patients", "practice_registrations", "clinical_events", "medications", "ons_deaths", "apcs"):
        with (out_dir / "opensafely" / f"{table}.csv").open(newline="") as handle:
            rows = list(csv.reader(handle))
        columns = schema(table).columns
        assert rows[0] == list(columns)
        assert len(rows) > 1, table
        for row in rows[1:]:
            for value, (name, kind) in zip(row, columns.items(), strict=True):
                if value == "":
                    continue
                if kind == "int":
                    int(value)
                elif kind == "float":
                    float(value)
                elif kind == "date":
                    assert len(value) == 10 and value[4] == "-", (table, name, value)


def test_apcs_all_diagnoses_uses_the_tpp_form(out_dir: Path) -> None:
    with (out_dir / "opensafely" / "apcs.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    coded = [r for r in rows if r["all_diagnoses"]]
    assert coded and all(r["all_diagnoses"] == "||" + r["primary_diagnosis"] for r in coded)


def test_same_record_renders_byte_identical(source: RecordSource, out_dir: Path, tmp_path: Path) -> None:
    write_outputs(source, tmp_path)
    first = sorted(p.relative_to(out_dir) for p in out_dir.rglob("*") if p.is_file())
    again = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == again
    assert all((out_dir / p).read_bytes() == (tmp_path / p).read_bytes() for p in first)


def test_renderers_do_not_change_the_record(source: RecordSource) -> None:
    before = {k: v.copy() for k, v in source.record.stores["gp"].columns.items()}
    fhir_bundle(source, 0)
    for name, column in before.items():
        np.testing.assert_array_equal(source.record.stores["gp"].columns[name], column)


def test_unknown_format_is_refused(source: RecordSource, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="allowed: fhir, hl7, letters, opensafely"):
        write_outputs(source, tmp_path / "x", formats=("fhir", "pdf"))
    assert not (tmp_path / "x").exists()
    assert check_formats(["opensafely", "fhir"]) == ("fhir", "opensafely")


def test_bundle_is_json_serialisable_deterministically(source: RecordSource) -> None:
    assert json.dumps(fhir_bundle(source, 3), sort_keys=True) == json.dumps(fhir_bundle(source, 3), sort_keys=True)
