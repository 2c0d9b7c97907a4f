"""Every bad input to read_record is one RecordReadError line naming where, the field and what is allowed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import twin_env
from tests.patient_twin.bundles import bundle, observation, patient
from twin_env import RecordReadError, read_record

BP = observation("8480-6", 130, "mm[Hg]")


def _with_patient(**changes: Any) -> dict:
    return {"resourceType": "Bundle", "entry": [{"resource": patient(**changes)}, {"resource": BP}]}


CASES = [
    ({"resourceType": "Patient", "id": "x"}, "Bundle: resourceType: 'Patient'; allowed: 'Bundle'"),
    ({"resourceType": "Bundle", "entry": {"a": 1}}, "Bundle: entry: expected a list of entries"),
    ({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}, "Bundle.entry[0]: resource: expected a resource"),
    (bundle(BP, with_patient=False), "Bundle: entry: no Patient; a record needs exactly one Patient"),
    (bundle(patient(id="p2"), BP), "Bundle: entry: 2 Patients (Bundle.entry[0] Patient/pat-1 and Bundle.entry[1]"),
    (_with_patient(birthDate=None), "Bundle.entry[0] Patient/pat-1: birthDate: missing"),
    (_with_patient(birthDate="1962-13-40"), "Bundle.entry[0] Patient/pat-1: birthDate: '1962-13-40' is not a calendar"),
    (_with_patient(birthDate="20/01/1962"), "birthDate: '20/01/1962' is not a FHIR date; allowed: YYYY, YYYY-MM"),
    (_with_patient(birthDate="2030-01-01"), "birthDate: 2030-01-01 is after as_of 2024-03-01"),
    (_with_patient(birthDate="1850-01-01"), "birthDate: 1850-01-01 makes the patient older than 130"),
    (_with_patient(gender="unknown"), "gender: 'unknown'; allowed: 'female', 'male'"),
    (
        bundle(observation("8480-6", "abc", "mm[Hg]")),
        "Bundle.entry[1] Observation/o1: valueQuantity.value: 'abc' is not a finite",
    ),
    (
        bundle(observation("8480-6", 130, "mm[Hg]", date="1950-01-01"), BP | {"id": "o2"}),
        "date: 1950-01-01 is before the Patient's birthDate",
    ),
    (
        bundle(observation("8480-6", 130, "mm[Hg]", date="2024-02-30")),
        "effectiveDateTime: '2024-02-30' is not a calendar",
    ),
]


@pytest.mark.parametrize(("bad", "message"), CASES, ids=[m[:40] for _, m in CASES])
def test_bad_bundle_gives_one_line(bad: dict, message: str) -> None:
    with pytest.raises(RecordReadError) as caught:
        read_record(bad)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text
    assert text.startswith(("Bundle", "record", "read_record"))


def test_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(RecordReadError, match=r"nope.json: cannot read the file \(FileNotFoundError"):
        read_record(missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    with pytest.raises(RecordReadError, match=r"broken.json: not valid JSON: Expecting value at line 1 column 38"):
        read_record(str(broken))
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(RecordReadError, match=r"expected a JSON object \(a FHIR Bundle\), got list"):
        read_record(listed)


def test_as_of_before_birth_and_wrong_type() -> None:
    with pytest.raises(RecordReadError, match="birthDate: 1962-01-20 is after as_of 1960-01-01"):
        read_record(bundle(BP), as_of=dt.date(1960, 1, 1))
    with pytest.raises(RecordReadError, match="read_record: as_of: '2024-01-01'; allowed: a datetime.date or None"):
        read_record(bundle(BP), as_of="2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(RecordReadError, match="no dated entry the twin reads; pass as_of"):
        read_record(bundle())


def test_the_error_is_a_value_error_and_the_facade_exports_it() -> None:
    assert issubclass(RecordReadError, ValueError)
    assert twin_env.RecordReadError is RecordReadError
    assert twin_env.read_record is read_record
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent'"):
        twin_env.nonexistent  # noqa: B018
