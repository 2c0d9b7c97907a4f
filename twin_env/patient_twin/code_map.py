"""From a FHIR coding to the twin's variable: through the project's one code table and the reading map.

A coding's system URI names a system of the code table (:mod:`twin_env.vocab.codes`); the table's row
(domain, concept) is looked up in ``twin_env/data/record_reading_map.csv`` (what the concept is to the
twin: a measurement, a condition, a risk flag, a smoking category, a BP panel, or deliberately not
used, with why), in ``record_drug_products.csv`` (a medicine: the twin's treatment field, strength and
standard dose) and, for ethnicity, in ``ethnic_category_qrisk3.csv`` (the QRISK3 group, or none with why).
"""

from __future__ import annotations

import dataclasses
import functools
from types import MappingProxyType

from twin_env.twin.parameters import read_data_csv
from twin_env.vocab.codes import Code, current_dmd_code, is_known_code, lookup_code

__all__ = [
    "SYSTEM_KEYS",
    "Ethnicity",
    "Product",
    "Target",
    "coding_label",
    "ethnicity_of",
    "product_of",
    "table_row",
    "targets_of",
]

#: FHIR system URI -> code-table systems to try, in order (dm+d ids are SNOMED CT ids in UK Core).
SYSTEM_KEYS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "http://snomed.info/sct": ("snomed", "dmd"),
        "https://dmd.nhs.uk": ("dmd",),
        "http://loinc.org": ("loinc",),
        "http://hl7.org/fhir/sid/icd-10": ("icd10",),
        "http://hl7.org/fhir/sid/icd-10-uk": ("icd10",),
        "http://hl7.org/fhir/sid/icd-10-cm": ("icd10",),
        "http://www.nlm.nih.gov/research/umls/rxnorm": ("rxnorm",),
        "urn:oid:2.16.840.1.113883.6.238": ("cdc-race",),
        "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland": ("ukcore-ethnic-category",),
        "https://fhir.nhs.uk/CodeSystem/UKCore-EthnicCategoryEngland": ("ukcore-ethnic-category",),
    }
)
_ICD10_SYSTEMS = ("icd10",)


@dataclasses.dataclass(frozen=True)
class Target:
    """What a code-table concept is to the twin: ``kind`` measure / panel / condition / flag / smoking /
    smoking_question / ignore; ``target`` the variable, condition, flag, category, or (ignore) why; ``setting``
    the measurement setting the code implies ("" when the resource's category decides)."""

    kind: str
    target: str
    setting: str


@dataclasses.dataclass(frozen=True)
class Product:
    """A medicine product: the drug, the twin's treatment field, its strength (mg) and the mg of one
    standard dose (None for drugs dosed in mg)."""

    drug: str
    field: str
    strength_mg: float
    standard_dose_mg: float | None


@dataclasses.dataclass(frozen=True)
class Ethnicity:
    """A race or ethnic-category code's QRISK3 group (1-9), or None with ``why``."""

    qrisk3: int | None
    why: str


def coding_label(coding: object) -> str:
    """``"<system>|<code>"`` of a FHIR coding (``""`` if it is not one)."""
    if not isinstance(coding, dict):
        return ""
    return f"{coding.get('system', '')}|{coding.get('code', '')}"


def table_row(system_uri: str, code: str) -> Code | None:
    """The code table's row for a coding (ICD-10 codes not in the table fall back to their category), or None."""
    for system in SYSTEM_KEYS.get(system_uri, ()):
        if is_known_code(system, code):
            return lookup_code(system, code)
        if system in _ICD10_SYSTEMS:
            category = code.replace(".", "").upper()[:3]
            if is_known_code(system, category):
                return lookup_code(system, category)
    return None


@functools.cache
def _targets() -> dict[tuple[str, str, str], tuple[Target, ...]]:
    found: dict[tuple[str, str, str], list[Target]] = {}
    for r in read_data_csv("record_reading_map.csv"):
        key = (r["domain"], r["concept"], r.get("code", "") or "")
        found.setdefault(key, []).append(Target(r["kind"], r["target"], r["setting"]))
    return {k: tuple(v) for k, v in found.items()}


def targets_of(row: Code) -> tuple[Target, ...]:
    """What a code-table row is to the twin (a code-specific mapping first, then its concept's); empty if nothing."""
    table = _targets()
    return table.get((row.domain, row.concept, row.code)) or table.get((row.domain, row.concept, ""), ())


@functools.cache
def _products() -> dict[tuple[str, str], Product]:
    products = {}
    for r in read_data_csv("record_drug_products.csv"):
        standard = float(r["standard_dose_mg"]) if r["standard_dose_mg"] else None
        products[(r["domain"], r["concept"])] = Product(r["drug"], r["field"], float(r["strength_mg"]), standard)
    return products


def product_of(row: Code) -> Product | None:
    """The medicine product of a code-table row (dm+d current or previous id, RxNorm), or None."""
    domain = "dmd" if row.domain == "dmd-previous" else row.domain
    if row.domain == "dmd-previous":
        row = lookup_code("dmd", current_dmd_code(row.code))
    return _products().get((domain, row.concept))


@functools.cache
def _ethnicities() -> dict[tuple[str, str], Ethnicity]:
    found = {}
    for r in read_data_csv("ethnic_category_qrisk3.csv"):
        group = int(r["qrisk3_ethnicity"]) if r["qrisk3_ethnicity"] else None
        found[(r["system"], r["code"])] = Ethnicity(group, r["source"])
    return found


def ethnicity_of(row: Code) -> Ethnicity | None:
    """The QRISK3 group of an ethnic-category or race code-table row, or None if the row is not one."""
    return _ethnicities().get((row.system, row.code))
