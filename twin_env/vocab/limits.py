"""Clinical limits read by both the action masks (:mod:`twin_env.envs.actions`) and the safety rules.

One figure each, with its unit and source, in ``twin_env/data/clinical_limits.csv``. Safety rules
name a limit as ``{"limit": "<name>"}`` where a number goes; :class:`twin_env.safety.rules.RuleSet`
substitutes the figure when it loads the rule file.
"""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from types import MappingProxyType

LIMITS_FILE = "clinical_limits.csv"


def _read() -> MappingProxyType[str, int | float]:
    """Name -> value, read as JSON reads the number (``30`` an int, ``5.0`` a float: rule dicts keep their form)."""
    text = resources.files("twin_env.data").joinpath(LIMITS_FILE).read_text(encoding="utf-8")
    return MappingProxyType({row["name"]: json.loads(row["value"]) for row in csv.DictReader(io.StringIO(text))})


#: Limit name -> value (units in the file's ``unit`` column).
LIMITS: MappingProxyType[str, int | float] = _read()


def limit(name: str) -> int | float:
    """The value of clinical limit ``name``; ValueError lists the known names."""
    try:
        return LIMITS[name]
    except KeyError:
        raise ValueError(f"unknown clinical limit {name!r}; allowed: {sorted(LIMITS)}") from None
