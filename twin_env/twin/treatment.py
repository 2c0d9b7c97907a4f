"""The twin's treatment API: what a prescribed dose of a catalogue drug means for the latent patient.

Care calls these instead of writing treatment columns; the twin turns them into physiology
through :func:`twin_env.twin.treatment_effects.apply_treatment_effects`.
"""

from __future__ import annotations

from twin_env.twin.parameters import TwinParameters
from twin_env.vocab.drugs import Drug


def field_value(drug: Drug, dose: float, params: TwinParameters) -> float:
    """The value of the drug's twin treatment field for ``dose`` (units of the catalogue)."""
    if drug.field == "statin_ldl_reduction":
        return params.statin_ldl_reduction[(drug.name, int(dose))]
    if drug.field == "sglt2":
        return 1.0
    return float(dose)


def dose_for_value(drug: Drug, value: float, params: TwinParameters) -> float:
    """The catalogue dose that gives a twin field value (baseline and hospital-started treatment)."""
    if drug.field == "statin_ldl_reduction":
        return float(
            min(drug.products, key=lambda mg: abs(params.statin_ldl_reduction[("atorvastatin", int(mg))] - value))
        )
    if drug.field == "sglt2":
        return 10.0
    return float(value)
