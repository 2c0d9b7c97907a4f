"""How GP items' concepts map onto the readers' columns: problems, drugs, services, reviews.

The column orders (:data:`PROBLEMS`, :data:`MEDICATIONS`, :data:`SERVICES`) are those of the
per-row table's arrays and of the observation's features. Lookups are (C,) int16 arrays indexed
by concept (-1: not in any column), so a batch of items maps in one gather.
"""

from __future__ import annotations

import numpy as np

from twin_env.vocab.concepts import Concept
from twin_env.vocab.drugs import DRUGS
from twin_env.vocab.problems import CKD_ALBUMINURIA_CONCEPTS, PROBLEMS
from twin_env.vocab.services import SERVICES as SERVICE_TABLE

__all__ = [
    "DRUG_OF",
    "DRUG_OF_CONCEPT",
    "IS_CKD_ALBUMINURIA",
    "IS_REVIEW",
    "MEDICATIONS",
    "PROBLEMS",
    "PROBLEM_OF",
    "REVIEWS",
    "SERVICES",
    "SERVICE_OF",
]

#: Drugs of the catalogue, in column order.
MEDICATIONS: tuple[str, ...] = tuple(DRUGS)
#: Referral services, in column order.
SERVICES: tuple[str, ...] = tuple(SERVICE_TABLE)
#: Encounters that count as a review.
REVIEWS: tuple[Concept, ...] = (Concept.HYPERTENSION_REVIEW, Concept.DIABETES_REVIEW, Concept.MEDICATION_REVIEW)
#: dm+d product concept -> drug name of the catalogue.
DRUG_OF_CONCEPT: dict[Concept, str] = {c: d.name for d in DRUGS.values() for c in d.products.values()}

_SIZE = int(max(Concept)) + 1


def _lookup(pairs: dict[int, int]) -> np.ndarray:
    """(C,) int16: concept -> column index, -1 elsewhere."""
    table = np.full(_SIZE, -1, dtype=np.int16)
    for concept, index in pairs.items():
        table[int(concept)] = index
    return table


#: Concept -> index into :data:`PROBLEMS` (-1 if no problem codes it).
PROBLEM_OF = _lookup({c: i for i, cs in enumerate(PROBLEMS.values()) for c in cs})
#: Concept -> index into :data:`MEDICATIONS` (-1 if not a product of a catalogue drug).
DRUG_OF = _lookup({c: i for i, d in enumerate(MEDICATIONS) for c in DRUGS[d].products.values()})
#: Concept -> index into :data:`SERVICES` of the service it refers to (-1 if not a referral).
SERVICE_OF = _lookup({s.referral: i for i, s in enumerate(SERVICE_TABLE.values())})
#: (C,) bool: the concept is a review encounter.
IS_REVIEW = np.isin(np.arange(_SIZE), REVIEWS)
#: (C,) bool: the concept codes CKD with albuminuria (CKD stage 1 or 2: outside :data:`PROBLEMS`).
IS_CKD_ALBUMINURIA = np.isin(np.arange(_SIZE), CKD_ALBUMINURIA_CONCEPTS)
