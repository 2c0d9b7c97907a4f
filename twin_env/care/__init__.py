"""What the health service does: consultations, tests, prescribing, referrals, admissions.

Turns twin events and orders into ledger events on a simulated calendar; acts on the twin only
through :mod:`twin_env.twin.treatment`. May import ``record``, ``twin``, ``equations`` and
``vocab``; the simulation that composes it lives in :mod:`twin_env.simulation`.

Modules, one job each: ``channels`` (random streams), ``state`` (per-row care arrays),
``context`` (what processes work on), ``baseline`` (the record a patient brings), ``orders``
(prescribe, stop, test, refer, review), ``repeats``, ``admissions`` (and discharges),
``presentations``, ``consultations``, ``measurements`` (BP, BMI, smoking), ``pathology``,
``outpatients``, ``response`` (one step's care in order).
"""

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.parameters import CareParameters
from twin_env.care.state import CareState

__all__ = ["CareChannel", "CareContext", "CareParameters", "CareState"]
