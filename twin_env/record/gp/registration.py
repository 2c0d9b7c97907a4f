"""The practice's registration of its patients: date of birth, sex, ethnicity, deprivation.

Registration is part of the GP record that is not an item: a practice holds it from the day a
patient registers. Model contracts read it (``source = "registration"``), as does the observation.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import numpy as np

from twin_env.vocab.dates import DAYS_PER_YEAR


class RegisteringSimulation(Protocol):
    """What :meth:`Registration.from_simulation` reads of a simulation (a :class:`~twin_env.simulation.Simulation`)."""

    days: np.ndarray  # (N,) each row's current day (days since 1970-01-01)
    state: Any  # PatientState: age_years, female, ethnicity, imd_quintile (N,)
    simulator: Any  # with .params[name] -> float
    record: Any  # with .first_id


@dataclasses.dataclass(frozen=True)
class Registration:
    """Demographics a practice holds at registration, (N,) over record patients ``first_id ..``.

    ``birth_day`` days since 1970-01-01; ``female`` bool; ``ethnicity`` QRISK3 code 1-9;
    ``imd_quintile`` 1 (most deprived) to 5, from the postcode; ``townsend_by_quintile`` (5,)
    the Townsend score used for each quintile (twin parameters ``townsend_mean_imd_quintile_q``).
    """

    first_id: int
    birth_day: np.ndarray
    female: np.ndarray
    ethnicity: np.ndarray
    imd_quintile: np.ndarray
    townsend_by_quintile: np.ndarray

    @classmethod
    def from_simulation(cls, sim: RegisteringSimulation) -> Registration:
        """Copy the registration facts of a simulation's patients now."""
        state, params = sim.state, sim.simulator.params
        return cls(
            first_id=int(sim.record.first_id),
            birth_day=sim.days - np.round(state.age_years * DAYS_PER_YEAR).astype(np.int64),
            female=state.female.copy(),
            ethnicity=state.ethnicity.astype(np.int64),
            imd_quintile=state.imd_quintile.astype(np.int64),
            townsend_by_quintile=np.array([params[f"townsend_mean_imd_quintile_{q}"] for q in range(1, 6)]),
        )

    def age_years(self, rows: np.ndarray, day: int | np.ndarray) -> np.ndarray:
        """(k,) completed years of age of registration ``rows`` on ``day`` (one or (k,))."""
        return np.floor((day - self.birth_day[rows]) / DAYS_PER_YEAR)

    def townsend(self, rows: np.ndarray) -> np.ndarray:
        """(k,) Townsend deprivation score of ``rows`` (the mean of their IMD quintile)."""
        return self.townsend_by_quintile[self.imd_quintile[rows] - 1]
