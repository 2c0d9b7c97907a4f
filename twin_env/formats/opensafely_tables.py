"""OpenSAFELY (ehrQL, TPP) tables of a cohort, built column-wise from the record's stores.

- ``patients``: date of birth (first of the month), sex, date of death (GP record);
- ``practice_registrations``: one registration per patient at the synthetic practice
  (``practice_pseudo_id`` 1) from the simulation start until death;
- ``clinical_events``: coded GP items available by the read date: problems, observations (with
  ``numeric_value``; BMI, coded smoking status), referrals, coded reviews and coded risk scores
  written back by deployed models (QRISK3, ``numeric_value`` in percent); ``medications``: issues (current dm+d ids);
- ``ons_deaths``: date of each death (causes are NULL: the twin's deaths carry no ICD-10 code);
- ``apcs``: one row per admission in the PAS, with the ICD-10 diagnoses coded by the read date.

Columns the twin does not model (CTV3 codes, consultation ids, region, HRG, procedures,
critical care, patient classification) are NULL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin_env.formats.opensafely import schema
from twin_env.formats.source import RecordSource
from twin_env.record.store import ItemType
from twin_env.vocab.codes import icd10_hospital_format
from twin_env.vocab.concepts import Concept, concept_code
from twin_env.vocab.dates import to_date

__all__ = ["opensafely_tables"]

_EVENT_ITEMS = (
    ItemType.PROBLEM,
    ItemType.OBSERVATION,
    ItemType.REFERRAL,
    ItemType.ENCOUNTER,
    ItemType.RISK_SCORE,
    ItemType.ADMIN_ENTRY,  # coded ones only (a did-not-attend; the Health Check invitation has no sourced code)
)
_CODE = {c: concept_code(c) for c in Concept}


def _dates(days: np.ndarray) -> list:
    return [to_date(int(d)) for d in days]


def _frame(table: str, columns: dict[str, object], n: int) -> pd.DataFrame:
    """A frame with exactly the schema's columns (those not given are NULL), in schema order."""
    data = {name: columns.get(name, [None] * n) for name in schema(table).columns}
    return pd.DataFrame(data, dtype=object)


def _visible(source: RecordSource, system: str, patients: np.ndarray) -> dict[str, np.ndarray]:
    cols = source.record.stores[system].columns
    end_day = (source.end - to_date(0)).days  # type: ignore[operator]
    keep = np.isin(cols["patient"], patients) & (cols["available_day"] <= end_day)
    order = np.lexsort((cols["seq"][keep], cols["event_day"][keep], cols["patient"][keep]))
    return {name: column[keep][order] for name, column in cols.items()}


def _coded(concepts: np.ndarray, system: str) -> np.ndarray:
    return np.array(
        [(_CODE[Concept(c)] is not None and _CODE[Concept(c)].system == system) for c in concepts.tolist()], dtype=bool
    )


def _gp_tables(source: RecordSource, patients: np.ndarray) -> dict[str, pd.DataFrame]:
    gp = _visible(source, "gp", patients)
    events = np.isin(gp["item"], _EVENT_ITEMS) & _coded(gp["concept"], "snomed")
    ev = {k: v[events] for k, v in gp.items()}
    value = np.where(np.isin(ev["item"], (ItemType.OBSERVATION, ItemType.RISK_SCORE)), ev["value"], np.nan)
    clinical = _frame(
        "clinical_events",
        {
            "patient_id": ev["patient"].tolist(),
            "date": _dates(ev["event_day"]),
            "snomedct_code": [_CODE[Concept(c)].code for c in ev["concept"].tolist()],  # type: ignore[union-attr]
            "numeric_value": [None if np.isnan(v) else v for v in value.tolist()],
        },
        int(events.sum()),
    )
    rx = {k: v[gp["item"] == ItemType.MEDICATION] for k, v in gp.items()}
    medications = _frame(
        "medications",
        {
            "patient_id": rx["patient"].tolist(),
            "date": _dates(rx["event_day"]),
            "dmd_code": [_CODE[Concept(c)].code for c in rx["concept"].tolist()],  # type: ignore[union-attr]
        },
        len(rx["patient"]),
    )
    return {"clinical_events": clinical, "medications": medications}


def _apcs(source: RecordSource, patients: np.ndarray) -> pd.DataFrame:
    pas = _visible(source, "pas", patients)
    ledger = source.record.ledger
    rows: dict[str, list] = {
        name: []
        for name in (
            "patient_id",
            "apcs_ident",
            "admission_date",
            "discharge_date",
            "primary_diagnosis",
            "all_diagnoses",
        )
    }
    discharge: dict[tuple[int, int], int] = {}
    diagnoses: dict[tuple[int, int], list[str]] = {}
    for item, kind in ((ItemType.DISCHARGE, "discharge"), (ItemType.DIAGNOSIS, "diagnosis")):
        sel = pas["item"] == item
        if not sel.any():
            continue
        links = ledger.columns["link"][ledger.find(pas["patient"][sel], pas["seq"][sel])]
        for p, link, day, concept in zip(
            pas["patient"][sel].tolist(), links.tolist(), pas["event_day"][sel].tolist(), pas["concept"][sel].tolist()
        ):
            if kind == "discharge":
                discharge[(p, link)] = day
            else:
                diagnoses.setdefault((p, link), []).append(icd10_hospital_format(_CODE[Concept(concept)].code))  # type: ignore[union-attr]
    admitted = pas["item"] == ItemType.ADMISSION
    for p, seq, day in zip(
        pas["patient"][admitted].tolist(), pas["seq"][admitted].tolist(), pas["event_day"][admitted].tolist()
    ):
        codes = diagnoses.get((p, seq), [])
        end = discharge.get((p, seq))
        rows["patient_id"].append(p)
        rows["apcs_ident"].append(p * 1_000_000 + seq)
        rows["admission_date"].append(to_date(day))
        rows["discharge_date"].append(None if end is None else to_date(end))
        rows["primary_diagnosis"].append(codes[0] if codes else None)
        rows["all_diagnoses"].append("||" + " ||".join(codes) if codes else None)
    n = len(rows["patient_id"])
    dest = _CODE[Concept.DISCHARGE_USUAL_RESIDENCE].code  # type: ignore[union-attr]
    return _frame(
        "apcs",
        {
            **rows,
            "admission_method": [_CODE[Concept.EMERGENCY_ADMISSION].code] * n,  # type: ignore[union-attr]
            "discharge_method": ["1" if d is not None else None for d in rows["discharge_date"]],
            "discharge_destination": [dest if d is not None else None for d in rows["discharge_date"]],
        },
        n,
    )


def opensafely_tables(source: RecordSource, patients: range | list[int] | None = None) -> dict[str, pd.DataFrame]:
    """The six ehrQL tables for ``patients`` (default: all), ready for ``formats.opensafely.write_table``."""
    ids = np.asarray(list(source.patients if patients is None else patients), dtype=np.int64)
    people = [source.identity(int(p)) for p in ids]
    deaths = [w for w in people if w.death_date is not None]
    tables = {
        "patients": _frame(
            "patients",
            {
                "patient_id": ids.tolist(),
                "date_of_birth": [w.birth_date.replace(day=1) for w in people],
                "sex": ["female" if w.female else "male" for w in people],
                "date_of_death": [w.death_date for w in people],
            },
            len(ids),
        ),
        "practice_registrations": _frame(
            "practice_registrations",
            {
                "patient_id": ids.tolist(),
                "start_date": [source.start] * len(ids),
                "end_date": [w.death_date for w in people],
                "practice_pseudo_id": [1] * len(ids),
            },
            len(ids),
        ),
        "ons_deaths": _frame(
            "ons_deaths",
            {
                "patient_id": [w.patient for w in deaths],
                "date": [w.death_date for w in deaths],
            },
            len(deaths),
        ),
        **_gp_tables(source, ids),
        "apcs": _apcs(source, ids),
    }
    return {
        name: tables[name]
        for name in ("patients", "practice_registrations", "clinical_events", "medications", "ons_deaths", "apcs")
    }
