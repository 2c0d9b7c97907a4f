"""Policy figures read from packaged data (``twin_env/data/*_parameters.csv``; source per row)."""

from __future__ import annotations

import functools

from twin_env.twin.parameters import read_scalars


@functools.cache
def policy_parameters(name: str) -> dict[str, float]:
    """``{parameter: value}`` of ``twin_env/data/<name>_parameters.csv`` (e.g. ``"nice_guideline"``)."""
    return read_scalars(f"{name}_parameters.csv")
