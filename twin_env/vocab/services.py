"""The services a GP can refer to, written once: referral concept, whether a clinic follows, specialty."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from twin_env.vocab.concepts import Concept


@dataclasses.dataclass(frozen=True)
class Service:
    """A referral destination.

    ``outpatient``: a hospital clinic (an attendance follows after a wait, and a clinic letter);
    otherwise a community service (no attendance in the PAS). ``specialty`` names who writes the
    clinic letter (None for community services).
    """

    name: str
    referral: Concept
    outpatient: bool
    specialty: str | None


#: Every service, in the order of the observation's ``referred_recently`` features.
SERVICES: MappingProxyType[str, Service] = MappingProxyType(
    {
        s.name: s
        for s in (
            Service("cardiology", Concept.REFERRAL_CARDIOLOGY, True, "Cardiology"),
            Service("nephrology", Concept.REFERRAL_NEPHROLOGY, True, "Nephrology"),
            Service("diabetology", Concept.REFERRAL_DIABETOLOGY, True, "Diabetology"),
            Service("hypertension_clinic", Concept.REFERRAL_HYPERTENSION_CLINIC, True, "Hypertension"),
            Service("smoking_cessation", Concept.REFERRAL_SMOKING_CESSATION, False, None),
            Service("weight_management", Concept.REFERRAL_WEIGHT_MANAGEMENT, False, None),
            Service("diabetes_prevention", Concept.REFERRAL_DIABETES_PREVENTION, False, None),
        )
    }
)
#: Referral concepts of community services (no outpatient attendance).
COMMUNITY_REFERRALS: tuple[Concept, ...] = tuple(s.referral for s in SERVICES.values() if not s.outpatient)


def get_service(name: str) -> Service:
    """The service called ``name``; ValueError naming the allowed ones otherwise."""
    try:
        return SERVICES[name]
    except KeyError:
        raise ValueError(f"unknown service {name!r}; allowed: {sorted(SERVICES)}") from None
