"""Care-layer parameters from ``twin_env/data/care_parameters.csv`` and ``programme_parameters.csv`` (value, unit,
status, source): the second holds the NHS Health Check, the community programmes, referral waits and specialists."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from types import MappingProxyType

from twin_env.twin.parameters import read_scalars


@dataclasses.dataclass(frozen=True)
class CareParameters:
    """Scalar care parameters by name; :meth:`replace` validates names and values."""

    scalars: Mapping[str, float]

    def __getitem__(self, name: str) -> float:
        try:
            return self.scalars[name]
        except KeyError:
            raise KeyError(f"unknown care parameter {name!r}") from None

    @classmethod
    @functools.cache
    def default(cls) -> CareParameters:
        scalars = {**read_scalars("care_parameters.csv"), **read_scalars("programme_parameters.csv")}
        return cls(MappingProxyType(scalars))

    def __reduce__(self) -> tuple:
        """Pickle as plain scalars (a mapping proxy cannot be pickled)."""
        return (_from_scalars, (dict(self.scalars),))

    def replace(self, **overrides: float) -> CareParameters:
        """A copy with some parameters changed; unknown names or negative values raise ``ValueError``."""
        unknown = sorted(set(overrides) - set(self.scalars))
        if unknown:
            raise ValueError(
                f"unknown care parameter(s) {unknown}; see twin_env/data/care_parameters.csv, programme_parameters.csv"
            )
        for name, value in overrides.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"care parameter {name!r} must be a finite number >= 0, got {value!r}")
            if name.endswith("_probability") and value > 1:
                raise ValueError(f"care parameter {name!r} is a probability, got {value!r}")
        return CareParameters(MappingProxyType({**self.scalars, **{k: float(v) for k, v in overrides.items()}}))


def _from_scalars(scalars: dict[str, float]) -> CareParameters:
    """Rebuild a pickled :class:`CareParameters`."""
    return CareParameters(MappingProxyType(scalars))
