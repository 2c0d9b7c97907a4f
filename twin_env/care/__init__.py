"""What the health service does: consultations, tests, prescribing, referrals, admissions.

Turns twin events and agent actions into ledger events on a simulated calendar. May import
``twin`` and ``record``.
"""

from twin_env.care.parameters import CareParameters
from twin_env.care.simulation import CareSimulation

__all__ = ["CareParameters", "CareSimulation"]
