from __future__ import annotations

import pytest

from twin_env.simulation import Simulation, simulate


def run(n: int, years: float, *, seed: int = 3, artefacts: bool = True, first_id: int = 0) -> Simulation:
    return simulate(n, seed, years, min_age_years=40, max_age_years=85, first_index=first_id, artefacts=artefacts)


@pytest.fixture(scope="session")
def with_artefacts() -> Simulation:
    return run(1500, 5.0)


@pytest.fixture(scope="session")
def without_artefacts() -> Simulation:
    return run(300, 5.0, artefacts=False)
