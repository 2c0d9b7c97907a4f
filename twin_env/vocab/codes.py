"""The packaged code table: SNOMED CT, dm+d, ICD-10, LOINC, BNF and NHS Data Dictionary codes.

Every code the project writes into a record comes from ``twin_env/data/codes.csv`` (a copy of the
project's reference code list; each row names the source it was checked against). This module
loads it once into a frozen :class:`CodeTable` and answers:

- ``lookup(domain, concept)``: the one code for a concept, e.g. ``lookup("condition", "heart failure")``;
- ``codes_for(domain, concept)``: every code filed under a concept (ICD-10 categories, NHS Data
  Dictionary value sets such as ``("nhsdd", "admission method")``);
- ``lookup_code(system, code)`` and ``is_known_code(system, code)``: the reverse direction;
- ``current_dmd_code(code)``: dm+d VMP ids were re-issued; records emit the current id and accept
  the previous one on input.

Domains are the CSV's ``domain`` column without its sort prefix (``B.condition`` -> ``condition``).
Systems are short keys (``snomed``, ``dmd``, ``icd10``, ``loinc``, ``rxnorm``, ``cdc-race``, ...; see :data:`SYSTEMS`);
RxNorm and the CDC race codes are read from other generators' records (``twin_env.patient_twin``), never written.
Rows that document a format convention rather than a code (domain ``identifier`` and the DG1
ICD-10 format note) and rows with no code are kept in the CSV for provenance but not loaded.

Also here: :attr:`Code.display` (the term to write, UK preferred term where the table has one),
:data:`LOINC_FOR_OBSERVABLE` (the SNOMED CT -> LOINC equivalents renderers add),
:data:`UCUM_UNITS`, :func:`icd10_hospital_format` and :func:`verhoeff_valid`. Every SNOMED CT
and dm+d id in the table passes the Verhoeff check (a test guards it); a code that fails must be
removed from the table, not worked around.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

__all__ = [
    "LOINC_FOR_OBSERVABLE",
    "SYSTEMS",
    "UCUM_UNITS",
    "Code",
    "CodeLookupError",
    "CodeTable",
    "code_table",
    "codes_for",
    "current_dmd_code",
    "icd10_hospital_format",
    "is_known_code",
    "loinc_for",
    "lookup",
    "lookup_code",
    "verhoeff_valid",
]

#: The CSV ``system`` column -> the short system key used throughout the project.
SYSTEMS: Mapping[str, str] = MappingProxyType(
    {
        "SNOMED CT (http://snomed.info/sct)": "snomed",
        "dm+d VMP (SNOMED CT UK drug extension, http://snomed.info/sct)": "dmd",
        "dm+d VMP - PREVIOUS VPID (inactive; accept on input only)": "dmd",
        "BNF presentation code (15-char)": "bnf",
        "BNF subparagraph prefix (first 7 chars of presentation code)": "bnf-section",
        "ICD-10 (WHO; UK hospitals use ICD-10 5th Ed.)": "icd10",
        "LOINC (http://loinc.org)": "loinc",
        "NHS Data Dictionary Admission Method "
        "(https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland v1.0.1)": "nhsdd-admission-method",
        "NHS DD Discharge Method (UKCore-DischargeMethodEngland v1.1.0)": "nhsdd-discharge-method",
        "NHS DD Discharge Destination (UKCore-DischargeDestinationEngland v1.0.1)": ("nhsdd-discharge-destination"),
        "NHS DD Source of Admission (UKCore-SourceOfAdmissionEngland v1.0.1)": "nhsdd-source-of-admission",
        "HL7 v2 Table 0004 (PV1-2 Patient Class)": "hl7v2-0004",
        "HL7 v2 Table 0007 (PV1-4 Admission Type)": "hl7v2-0007",
        "UK Core EthnicCategoryEngland "
        "(https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland)": "ukcore-ethnic-category",
        "RxNorm (http://www.nlm.nih.gov/research/umls/rxnorm)": "rxnorm",
        "CDC Race and Ethnicity (urn:oid:2.16.840.1.113883.6.238)": "cdc-race",
        "UK Core NHSNumberVerificationStatusEngland "
        "(https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland)": (
            "ukcore-nhs-number-verification-status"
        ),
    }
)

#: ICD-10 block ranges ("I20-I25") used to group causes of death; not codes a record carries.
_ICD10_BLOCK_DOMAIN = "icd10-cause-of-death-group"
#: Rows that describe a format convention (an identifier layout, a code format), not a code.
_CONVENTION_DOMAINS = frozenset({"identifier"})
_CONVENTION_SYSTEMS = frozenset({"ICD-10 in SUS/HES"})

#: SNOMED CT observable concept -> LOINC concept with the same meaning and SI unit. Only pairs
#: whose LOINC row is VERIFIED or VERIFIED-SECONDARY; SNOMED stays the primary UK lab coding.
LOINC_FOR_OBSERVABLE: Mapping[str, str] = MappingProxyType(
    {
        "systolic BP": "systolic BP",
        "diastolic BP": "diastolic BP",
        "blood pressure (panel)": "BP panel",
        "BMI": "BMI",
        "body weight": "body weight",
        "body height": "body height",
        "HbA1c (IFCC, mmol/mol)": "HbA1c IFCC (mmol/mol)",
        "total cholesterol": "total cholesterol (mmol/L)",
        "HDL cholesterol": "HDL cholesterol (mmol/L)",
        "LDL cholesterol (calculated)": "LDL cholesterol calculated (mmol/L)",
        "non-HDL cholesterol": "non-HDL cholesterol (mmol/L)",
        "serum triglycerides": "triglycerides (mmol/L)",
        "serum creatinine": "creatinine (umol/L)",
        "serum potassium": "potassium (mmol/L)",
        "eGFR (CKD-EPI creatinine, per 1.73m2)": "eGFR CKD-EPI 2009 (creatinine)",
        "systolic arterial pressure (UK Core BP example component)": "systolic BP",
        "diastolic arterial pressure (UK Core BP example component)": "diastolic BP",
    }
)

#: UCUM code -> the unit as a person writes it. The units the renderers accept.
UCUM_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "mm[Hg]": "mmHg",
        "mmol/mol": "mmol/mol",
        "mmol/L": "mmol/L",
        "umol/L": "micromol/L",
        "mL/min/{1.73_m2}": "mL/min/1.73m2",
        "mg/mmol": "mg/mmol",
        "kg": "kg",
        "cm": "cm",
        "kg/m2": "kg/m2",
        "%": "%",
    }
)

_PREVIOUS_VPID = re.compile(r"\[previous VPID of (\d+)\]")
_STATUS = re.compile(r"^\[([A-Z-]+)\]")
_UK_PT = re.compile(r"\[UK PT: ([^\]]+)\]")
_NOTE = re.compile(r"\s*\[[^\]]*\]")
_SEMANTIC_TAG = re.compile(r"\s*\((?:disorder|procedure|finding|record artifact|regime/therapy)\)$")


class CodeLookupError(KeyError):
    """A concept or code that is not in the table (a ``KeyError`` with a readable message)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class Code:
    """One row of the code table."""

    domain: str
    concept: str
    system: str
    code: str
    term: str
    source: str

    @property
    def status(self) -> str:
        """Verification tag of the source: VERIFIED, VERIFIED-SECONDARY, WEAK or UNVERIFIED."""
        match = _STATUS.match(self.source)
        return match.group(1) if match else "UNVERIFIED"

    @property
    def display(self) -> str:
        """The term to show in a record: the UK preferred term where the table gives one.

        For SNOMED CT and dm+d the table's notes in square brackets and the FSN semantic tag are
        dropped; LOINC names keep their brackets, which are part of the name.
        """
        return _display(self.term, self.system)


@functools.cache
def _display(term: str, system: str) -> str:
    """:attr:`Code.display` of a term (cached: renderers ask for the same few terms many times)."""
    uk_pt = _UK_PT.search(term)
    if uk_pt:
        return uk_pt.group(1)
    if system not in ("snomed", "dmd"):
        return term
    return _SEMANTIC_TAG.sub("", _NOTE.sub("", term))


# Verhoeff's tables: multiplication in the dihedral group D5 and the position permutation.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(code: str) -> bool:
    """True if ``code`` is all digits and its last digit is a valid Verhoeff check digit.

    SNOMED CT identifiers (and so dm+d ids, which are SNOMED CT UK drug extension ids) end in one.
    """
    if not code.isascii() or not code.isdigit():
        return False
    check = 0
    for i, digit in enumerate(reversed(code)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(digit)]]
    return check == 0


def icd10_hospital_format(code: str) -> str:
    """ICD-10 as UK hospital data (SUS/HES, ehrQL ``apcs``) store it: no dot, 3 characters padded with X.

    ``"I21.9" -> "I219"``, ``"I10" -> "I10X"``.
    """
    bare = code.replace(".", "")
    return bare + "X" if len(bare) == 3 else bare


def _icd10_key(code: str) -> str:
    """Index key for an ICD-10 code given with or without the dot or the X padding."""
    bare = code.replace(".", "").upper()
    return bare[:3] if len(bare) == 4 and bare.endswith("X") else bare


def _code_key(system: str, code: str) -> str:
    return _icd10_key(code) if system == "icd10" else code


def _close(word: str, candidates: Iterable[str]) -> str:
    """A hint listing the closest names to ``word``, or an empty string."""
    matches = difflib.get_close_matches(word, list(candidates), n=5, cutoff=0.5)
    return f"; close matches: {matches}" if matches else ""


class CodeTable:
    """A frozen, indexed view of the code rows."""

    __slots__ = ("_by_code", "_by_concept", "_dmd_current", "_rows", "_uncoded")

    def __init__(self, rows: tuple[Code, ...], uncoded: Mapping[tuple[str, str], str]) -> None:
        by_concept: dict[tuple[str, str], list[Code]] = {}
        by_code: dict[tuple[str, str], Code] = {}
        dmd_current: dict[str, str] = {}
        for row in rows:
            by_concept.setdefault((row.domain, row.concept), []).append(row)
            key = (row.system, _code_key(row.system, row.code))
            if key in by_code:
                raise ValueError(f"duplicate code {row.system}:{row.code} in the code table")
            by_code[key] = row
            if row.domain == "dmd":
                dmd_current[row.code] = row.code
        for row in rows:
            if row.domain == "dmd-previous":
                dmd_current[row.code] = _previous_target(row, dmd_current)
        self._rows = rows
        self._by_concept = MappingProxyType({k: tuple(v) for k, v in by_concept.items()})
        self._by_code = MappingProxyType(by_code)
        self._uncoded = MappingProxyType(dict(uncoded))
        self._dmd_current = MappingProxyType(dmd_current)

    def __iter__(self) -> Iterator[Code]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def domains(self) -> tuple[str, ...]:
        """Domain names, in table order."""
        return tuple(dict.fromkeys(row.domain for row in self._rows))

    def concepts(self, domain: str) -> tuple[str, ...]:
        """Concept names in ``domain``, in table order."""
        return tuple(c for d, c in self._by_concept if d == domain)

    def codes_for(self, domain: str, concept: str) -> tuple[Code, ...]:
        """Every code filed under ``concept`` in ``domain``."""
        found = self._by_concept.get((domain, concept))
        if found is not None:
            return found
        if (domain, concept) in self._uncoded:
            raise CodeLookupError(
                f"concept {concept!r} in domain {domain!r} has no code in the table: {self._uncoded[(domain, concept)]}"
            )
        if domain not in self.domains:
            raise CodeLookupError(
                f"unknown code domain {domain!r}; allowed: {list(self.domains)}{_close(domain, self.domains)}"
            )
        raise CodeLookupError(
            f"unknown concept {concept!r} in domain {domain!r}{_close(concept, self.concepts(domain))}"
        )

    def lookup(self, domain: str, concept: str) -> Code:
        """The single code for ``concept`` in ``domain``."""
        found = self.codes_for(domain, concept)
        if len(found) != 1:
            raise ValueError(
                f"concept {concept!r} in domain {domain!r} has {len(found)} codes "
                f"({', '.join(c.code for c in found)}); choose one with lookup_code(system, code)"
            )
        return found[0]

    def lookup_code(self, system: str, code: str) -> Code:
        """The row for ``code`` in ``system`` (ICD-10 accepted with or without dot / X padding)."""
        row = self._by_code.get((system, _code_key(system, code)))
        if row is not None:
            return row
        systems = sorted({s for s, _ in self._by_code})
        if system not in systems:
            raise CodeLookupError(f"unknown code system {system!r}; allowed: {systems}")
        known = [c for s, c in self._by_code if s == system]
        raise CodeLookupError(f"code {code!r} is not in the {system} table{_close(code, known)}")

    def is_known(self, system: str, code: str) -> bool:
        """True if ``code`` is in the table under ``system`` (previous dm+d ids count)."""
        return (system, _code_key(system, code)) in self._by_code

    def current_dmd_code(self, code: str) -> str:
        """The current dm+d VMP id for a current or previous id."""
        try:
            return self._dmd_current[code]
        except KeyError:
            raise CodeLookupError(
                f"dm+d code {code!r} is not in the table{_close(code, list(self._dmd_current))}"
            ) from None


def _previous_target(row: Code, current: Mapping[str, str]) -> str:
    match = _PREVIOUS_VPID.search(row.term)
    if match is None or match.group(1) not in current:
        raise ValueError(f"previous dm+d id {row.code} ({row.concept}) does not name a current VMP in the table")
    return match.group(1)


def _parse(text: str) -> CodeTable:
    rows: list[Code] = []
    uncoded: dict[tuple[str, str], str] = {}
    for raw in csv.DictReader(io.StringIO(text)):
        domain = raw["domain"].split(".", 1)[1]
        if domain in _CONVENTION_DOMAINS or raw["system"] in _CONVENTION_SYSTEMS:
            continue
        if not raw["code"]:
            uncoded[(domain, raw["concept"])] = raw["source"]
            continue
        if raw["system"] not in SYSTEMS:
            raise ValueError(f"codes.csv: unknown system {raw['system']!r} for concept {raw['concept']!r}")
        system = "icd10-block" if domain == _ICD10_BLOCK_DOMAIN else SYSTEMS[raw["system"]]
        rows.append(Code(domain, raw["concept"], system, raw["code"], raw["term"], raw["source"]))
    return CodeTable(tuple(rows), uncoded)


@functools.cache
def code_table() -> CodeTable:
    """The packaged code table, loaded once."""
    text = resources.files("twin_env").joinpath("data", "codes.csv").read_text(encoding="utf-8")
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def lookup(domain: str, concept: str) -> Code:
    """The single code for ``concept`` in ``domain`` (see :meth:`CodeTable.lookup`; cached, the table is frozen)."""
    return code_table().lookup(domain, concept)


def codes_for(domain: str, concept: str) -> tuple[Code, ...]:
    """Every code filed under ``concept`` in ``domain``."""
    return code_table().codes_for(domain, concept)


@functools.lru_cache(maxsize=4096)
def lookup_code(system: str, code: str) -> Code:
    """The table row for ``code`` in ``system`` (cached, the table is frozen)."""
    return code_table().lookup_code(system, code)


def is_known_code(system: str, code: str) -> bool:
    """True if ``code`` is in the packaged table under ``system``."""
    return code_table().is_known(system, code)


def current_dmd_code(code: str) -> str:
    """Map a current or previous dm+d VMP id to the current id."""
    return code_table().current_dmd_code(code)


@functools.cache
def loinc_for(observable_concept: str) -> Code | None:
    """The LOINC code equivalent to a SNOMED CT observable concept, or None if there is none."""
    loinc_concept = LOINC_FOR_OBSERVABLE.get(observable_concept)
    return None if loinc_concept is None else lookup("loinc", loinc_concept)
