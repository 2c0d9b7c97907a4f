"""What the health service does: consultations, tests, prescribing, referrals, admissions.

Turns twin events and agent actions into ledger events on a simulated calendar. May import
``twin`` and ``record``.
"""

from twin_env.care.drugs import DRUGS, Drug
from twin_env.care.parameters import CareParameters
from twin_env.care.simulation import DEFAULT_START_DATE, SERVICES, CareSimulation, Test

__all__ = ["DEFAULT_START_DATE", "DRUGS", "SERVICES", "CareParameters", "CareSimulation", "Drug", "Test"]
