"""The record of an env's episode, with lazy access to the format writers (``twin_env.formats.export``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin_env.simulation import Simulation


class EpisodeRecord:
    """The multi-system record of a simulation's patient ``patient`` (an id), read as of today.

    Attribute access falls through to :class:`twin_env.record.Record` (``gp_view``, ``ledger``...);
    ``to_fhir()``, ``to_hl7()`` and ``write(out_dir)`` use the ``simulate`` command's writers.
    """

    def __init__(self, sim: Simulation, patient: int) -> None:
        self.sim, self.patient = sim, patient

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sim.record, name)

    def source(self) -> Any:
        from twin_env.formats.source import RecordSource  # noqa: PLC0415

        return RecordSource.from_simulation(self.sim)

    def to_fhir(self) -> dict:
        """The patient's GP record as a FHIR R4 Bundle (dict)."""
        from twin_env.formats.export import fhir_bundle  # noqa: PLC0415

        return fhir_bundle(self.source(), self.patient)

    def to_hl7(self) -> Any:
        from twin_env.formats.export import hl7_messages  # noqa: PLC0415

        return hl7_messages(self.source(), self.patient)

    def write(self, out_dir: str | Path, **kwargs: Any) -> Any:
        """Every format for the episode's patient(s) under ``out_dir`` (``write_outputs``)."""
        from twin_env.formats.export import write_outputs  # noqa: PLC0415

        return write_outputs(self.source(), out_dir, **kwargs)
