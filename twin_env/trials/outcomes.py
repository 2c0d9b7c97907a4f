"""The outcome vocabulary of trial protocols: the one table saying which twin events make each outcome.

An outcome is the first of its events during follow-up. A protocol outcome lists names from
:data:`OUTCOMES`; it occurs at the first event of any of them. Events come from the twin's
:class:`~twin_env.twin.events.StepEvents`: ``kind`` (one :class:`EventKind` per patient and step),
``fatal`` (an acute event that killed), ``died`` and the onset flags ``hypertension_onset`` and
``ckd_onset``.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np

from twin_env.twin import EventKind, StepEvents


@dataclasses.dataclass(frozen=True)
class OutcomeDefinition:
    """One outcome: it occurs in a step when any of its rules holds.

    ``kinds``: the step's event kind is one of these (fatal or not); ``fatal_kinds``: the step's
    event kind is one of these and it was fatal; ``flag``: a boolean field of ``StepEvents``
    (``died``, ``hypertension_onset``, ``ckd_onset``) is true.
    """

    name: str
    description: str
    kinds: tuple[EventKind, ...] = ()
    fatal_kinds: tuple[EventKind, ...] = ()
    flag: str | None = None

    def occurred(self, events: StepEvents) -> np.ndarray:
        """Whether the outcome happened to each patient in this step, shape (N,), bool."""
        hit = np.isin(events.kind, np.array(self.kinds, dtype=events.kind.dtype))
        if self.fatal_kinds:
            hit |= events.fatal & np.isin(events.kind, np.array(self.fatal_kinds, dtype=events.kind.dtype))
        if self.flag is not None:
            hit |= np.asarray(getattr(events, self.flag), dtype=bool)
        return hit


_ACUTE = (EventKind.MYOCARDIAL_INFARCTION, EventKind.STROKE, EventKind.HEART_FAILURE)

#: Outcome name -> definition. Protocols may name only these.
OUTCOMES: MappingProxyType[str, OutcomeDefinition] = MappingProxyType(
    {
        o.name: o
        for o in (
            OutcomeDefinition("death", "death from any cause", flag="died"),
            OutcomeDefinition(
                "cvd_death",
                "cardiovascular death: a fatal myocardial infarction, stroke or first heart-failure presentation, "
                "or death from established heart failure",
                kinds=(EventKind.DEATH_HEART_FAILURE,),
                fatal_kinds=_ACUTE,
            ),
            OutcomeDefinition("mi", "myocardial infarction, fatal or not", kinds=(EventKind.MYOCARDIAL_INFARCTION,)),
            OutcomeDefinition(
                "angina", "new stable angina (coronary heart disease without infarction)", kinds=(EventKind.ANGINA,)
            ),
            OutcomeDefinition("stroke", "stroke, fatal or not", kinds=(EventKind.STROKE,)),
            OutcomeDefinition("tia", "transient ischaemic attack", kinds=(EventKind.TIA,)),
            OutcomeDefinition(
                "heart_failure", "first presentation of heart failure, fatal or not", kinds=(EventKind.HEART_FAILURE,)
            ),
            OutcomeDefinition(
                "atrial_fibrillation", "onset of atrial fibrillation", kinds=(EventKind.ATRIAL_FIBRILLATION,)
            ),
            OutcomeDefinition(
                "type2_diabetes", "onset of type 2 diabetes (not its diagnosis)", kinds=(EventKind.TYPE2_DIABETES,)
            ),
            OutcomeDefinition("ckd_3_5", "onset of CKD stage 3-5: eGFR falls below 60 mL/min/1.73m2", flag="ckd_onset"),
            OutcomeDefinition(
                "hypertension", "onset of hypertension: untreated BP reaches 140/90 mmHg", flag="hypertension_onset"
            ),
        )
    }
)


def get_outcome(name: str) -> OutcomeDefinition:
    """The definition of ``name``; ``ValueError`` naming the allowed outcomes otherwise."""
    try:
        return OUTCOMES[name]
    except KeyError:
        raise ValueError(f"unknown outcome {name!r}; allowed: {', '.join(OUTCOMES)}") from None
