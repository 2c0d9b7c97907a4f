from __future__ import annotations

import pytest

from twin_env.care import CareSimulation
from twin_env.twin import sample_population


def run(n: int, years: float, *, seed: int = 3, artefacts: bool = True, first_id: int = 0) -> CareSimulation:
    state, dx = sample_population(n, seed, min_age=40, max_age=85, first_index=first_id)
    sim = CareSimulation(state, dx, first_id=first_id, artefacts=artefacts)
    for _ in range(int(round(years * 12))):
        sim.step()
    return sim


@pytest.fixture(scope="session")
def with_artefacts() -> CareSimulation:
    return run(1500, 5.0)


@pytest.fixture(scope="session")
def without_artefacts() -> CareSimulation:
    return run(300, 5.0, artefacts=False)
