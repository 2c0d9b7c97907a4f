"""HL7 v2.4 ADT and ORU messages: strict hl7apy validation, conventions, escaping."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin_env.formats.hl7v2 import (
    AdtVisit,
    Hl7Patient,
    LabReport,
    LabResult,
    MessageHeader,
    adt_a01,
    adt_a03,
    adt_a04,
    escape,
    hl7_file,
    oru_r01,
    unescape,
)
from twin_env.vocab.codes import is_known_code

hl7apy_parser = pytest.importorskip("hl7apy.parser")
from hl7apy.consts import VALIDATION_LEVEL  # noqa: E402

TRICKY = "O'Neil|Smith^Jones & Co~2 \\ back"

HEADER = MessageHeader("TWINPAS", "TWINT1", "TWINGP", "TWINP01", "PAS000001", dt.datetime(2024, 3, 1, 9, 30, 5))
PATIENT = Hl7Patient(
    nhs_number="9990000018",
    hospital_number="H1234567",
    trust_code="TWINT1",
    family="Doe",
    given="Jane",
    birth_date=dt.date(1958, 4, 12),
    sex="F",
    title="Mrs",
    ethnic_category="A",
    practice_code="TWINP01",
)
INPATIENT = AdtVisit(
    patient_class="I",
    location="WARD 7",
    visit_number="V0001234",
    admit_time=dt.datetime(2024, 3, 1, 9, 30),
    discharge_time=dt.datetime(2024, 3, 5, 14, 0),
    admission_method="21",
    source_of_admission="19",
    discharge_method="1",
    discharge_destination="19",
    diagnoses=("I21.9", "I10", "E11.9"),
)
OUTPATIENT = AdtVisit(
    patient_class="O",
    location="CARDIOLOGY OPD",
    visit_number="V0001235",
    admit_time=dt.datetime(2024, 4, 2, 10, 0),
)
LAB = LabReport(
    placer_order_number="GP0001",
    filler_order_number="LAB0001",
    title="Lipid profile",
    collected=dt.datetime(2024, 3, 1, 9, 40),
    reported=dt.datetime(2024, 3, 2, 8, 15),
    results=(
        LabResult("1005671000000105", 5.2, "mmol/L", "<5.0", "H"),
        LabResult("1005681000000107", 1.1, "mmol/L"),
        LabResult("999791000000106", 48, "mmol/mol"),
        LabResult("1011481000000105", 58, "mL/min/{1.73_m2}"),
    ),
    comment=f"Sample slightly haemolysed: {TRICKY}\nrepeat if K+ needed",
)

MESSAGES = {
    "A01": adt_a01(HEADER, PATIENT, INPATIENT),
    "A03": adt_a03(HEADER, PATIENT, INPATIENT),
    "A04": adt_a04(HEADER, PATIENT, OUTPATIENT),
    "R01": oru_r01(HEADER, PATIENT, LAB),
}
STRUCTURES = {"A01": "ADT_A01", "A03": "ADT_A03", "A04": "ADT_A01", "R01": "ORU_R01"}


def _strict(message: str) -> Any:
    """Parse with hl7apy at STRICT level and run its validator (structure, cardinality, datatypes)."""
    return hl7apy_parser.parse_message(
        message, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True, force_validation=True
    )


def _segments(message: str, name: str) -> list[list[str]]:
    return [s.split("|") for s in message.split("\r") if s.startswith(name + "|")]


@pytest.mark.parametrize("event", sorted(MESSAGES))
def test_message_validates_strictly_at_v24(event: str) -> None:
    parsed = _strict(MESSAGES[event])
    assert parsed.name == STRUCTURES[event]
    assert parsed.version == "2.4"
    assert parsed.msh.msh_12.to_er7() == "2.4"


def test_message_types_and_control_id() -> None:
    types = {k: _segments(m, "MSH")[0][8] for k, m in MESSAGES.items()}
    assert types == {
        "A01": "ADT^A01^ADT_A01",
        "A03": "ADT^A03^ADT_A03",
        "A04": "ADT^A04^ADT_A01",
        "R01": "ORU^R01^ORU_R01",
    }
    assert all(_segments(m, "MSH")[0][9] == "PAS000001" for m in MESSAGES.values())


def test_pid_identifiers_name_and_ethnicity() -> None:
    pid = _segments(MESSAGES["A01"], "PID")[0]
    assert pid[3] == "9990000018^^^NHS^NH~H1234567^^^TWINT1^MR"
    assert pid[5] == "Doe^Jane^^^Mrs"
    assert (pid[7], pid[8]) == ("19580412", "F")
    assert pid[22] == "A^White - British"  # UKCore-EthnicCategoryEngland display
    assert _segments(MESSAGES["A01"], "PD1")[0][3] == "TWINP01"


def test_pv1_convention() -> None:
    pv1 = _segments(MESSAGES["A03"], "PV1")[0]
    assert (pv1[2], pv1[3], pv1[4], pv1[14], pv1[19]) == ("I", "WARD 7^^^TWINT1", "21", "19", "V0001234")
    assert (pv1[36], pv1[37], pv1[44], pv1[45]) == ("1", "19", "20240301093000", "20240305140000")
    outpatient = _segments(MESSAGES["A04"], "PV1")[0]
    assert (outpatient[2], outpatient[4]) == ("O", "")


def test_timestamps_are_hl7_ts() -> None:
    evn = _segments(MESSAGES["A03"], "EVN")[0]
    assert evn[1:3] == ["A03", "20240301093005"]
    assert evn[6] == "20240305140000"  # the discharge is the event
    assert all(re.fullmatch(r"\d{14}", ts) for ts in (_segments(MESSAGES["R01"], "MSH")[0][6], evn[2]))


def test_dg1_is_uk_hospital_icd10() -> None:
    dg1 = _segments(MESSAGES["A03"], "DG1")
    assert [d[3].split("^")[0] for d in dg1] == ["I219", "I10X", "E119"]
    assert all(d[3].endswith("^I10") and d[6] == "F" for d in dg1)
    assert [d[15] for d in dg1] == ["1", "2", "3"]
    assert all(is_known_code("icd10", d[3].split("^")[0]) for d in dg1)
    assert {d[6] for d in _segments(MESSAGES["A01"], "DG1")} == {"A"}


def test_obx_codes_units_and_values() -> None:
    obx = _segments(MESSAGES["R01"], "OBX")
    assert [o[1] for o in obx] == ["1", "2", "3", "4"]
    first = obx[0][3].split("^")
    assert (first[0], first[2], first[3], first[5]) == ("1005671000000105", "SCT", "14647-2", "LN")
    assert [o[5] for o in obx] == ["5.2", "1.1", "48", "58"]
    assert obx[3][6] == "mL/min/{1.73_m2}^mL/min/1.73m2^UCUM"
    assert (obx[0][7], obx[0][8], obx[0][11]) == ("<5.0", "H", "F")
    for o in obx:
        parts = o[3].split("^")
        assert is_known_code("snomed", parts[0])
        assert len(parts) == 3 or is_known_code("loinc", parts[3])


def test_delimiters_in_free_text_round_trip() -> None:
    patient = dataclasses.replace(PATIENT, family=TRICKY, given="Anne~Marie")
    message = adt_a04(HEADER, patient, OUTPATIENT)
    parsed = _strict(message)
    assert len(message.split("\r")) == 5
    family = parsed.pid.pid_5.xpn_1.to_er7()
    assert unescape(family) == TRICKY
    assert unescape(parsed.pid.pid_5.xpn_2.to_er7()) == "Anne~Marie"
    nte = _segments(MESSAGES["R01"], "NTE")[0][3]
    assert unescape(nte) == LAB.comment


def test_escape_matches_hl7apy() -> None:
    from hl7apy.core import Component

    # hl7apy escapes a component's text but leaves & (its subcomponent separator) alone
    component = Component("CX_1", version="2.4")
    component.value = "a|b^c~d\\e"
    assert component.to_er7() == escape("a|b^c~d\\e") == "a\\F\\b\\S\\c\\R\\d\\E\\e"
    assert escape("&") == "\\T\\"


@given(st.text(alphabet=st.characters(blacklist_characters="\r", blacklist_categories=("Cs",))))
def test_escape_round_trips(text: str) -> None:
    escaped = escape(text)
    assert not set("|^&~\n") & set(escaped)
    assert unescape(escaped) == text


def test_unescape_rejects_malformed() -> None:
    with pytest.raises(ValueError, match="unbalanced"):
        unescape("a\\F")
    with pytest.raises(ValueError, match="unknown HL7 escape"):
        unescape("\\Q\\")


def test_file_is_one_message_per_line() -> None:
    text = hl7_file(MESSAGES.values())
    lines = text.split("\n")  # not splitlines(), which also splits segments on \r
    assert lines[-1] == ""
    assert len(lines) == len(MESSAGES) + 1
    for line in lines[:-1]:
        _strict(line)


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="MSH-10"):
        adt_a04(dataclasses.replace(HEADER, control_id="X" * 21), PATIENT, OUTPATIENT)
    with pytest.raises(ValueError, match="admission_method"):
        adt_a01(HEADER, PATIENT, OUTPATIENT)
    with pytest.raises(ValueError, match="discharge_time"):
        adt_a03(HEADER, PATIENT, OUTPATIENT)
    with pytest.raises(ValueError, match="999 test range"):
        adt_a04(HEADER, dataclasses.replace(PATIENT, nhs_number="4010232137"), OUTPATIENT)
    with pytest.raises(KeyError, match=r"I48\.91"):
        adt_a04(HEADER, PATIENT, dataclasses.replace(OUTPATIENT, diagnoses=("I48.91",)))
    with pytest.raises(KeyError):
        adt_a01(HEADER, PATIENT, dataclasses.replace(INPATIENT, admission_method="E"))
    with pytest.raises(ValueError, match="sex"):
        adt_a04(HEADER, dataclasses.replace(PATIENT, sex="female"), OUTPATIENT)
    with pytest.raises(ValueError, match="UCUM"):
        oru_r01(HEADER, PATIENT, dataclasses.replace(LAB, results=(LabResult("999791000000106", 48, "mmol"),)))
    with pytest.raises(ValueError, match="observable"):
        oru_r01(HEADER, PATIENT, dataclasses.replace(LAB, results=(LabResult("59621000", 1, "%"),)))
