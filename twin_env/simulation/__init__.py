"""The composition root: a population's twin, its care and its record in one :class:`Simulation`.

Every user of a simulation (the CLI, the env's batch, record quality, model monitoring, format
examples, trials) builds one here: :func:`simulate` samples, builds and steps;
:meth:`Simulation.from_population` builds for interactive stepping. May import ``care``,
``record``, ``twin`` and ``vocab``.
"""

from twin_env.simulation.population import sample_patients
from twin_env.simulation.simulation import Simulation, simulate

__all__ = ["Simulation", "sample_patients", "simulate"]
