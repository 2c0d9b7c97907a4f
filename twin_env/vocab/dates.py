"""Simulated dates, written once: day numbers (days since 1970-01-01), sentinels and day constants.

Every layer keeps dates as integer day numbers in arrays; :func:`day_number` and :func:`to_date`
convert at the edges.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

#: Mean days per year (Julian year), for converting simulated years to days and back.
DAYS_PER_YEAR = 365.25
#: Months per year: the twin steps monthly by default (``dt_years = 1 / MONTHS_PER_YEAR``).
MONTHS_PER_YEAR = 12
#: The simulated date every population starts on unless configured otherwise.
DEFAULT_START_DATE = "2020-04-01"
#: A day number that never comes (int32 max): a pending event that is not scheduled, an item never shown.
NEVER = int(np.iinfo(np.int32).max)
#: A day number before every day (int32 min): "no such item yet" in readers of the record (a value never
#: recorded, a drug never issued). Held in int64 arrays, ``day - NO_DAY`` cannot overflow.
NO_DAY = int(np.iinfo(np.int32).min)

DateLike = dt.date | np.datetime64 | str


def day_number(date: DateLike) -> int:
    """Days since 1970-01-01 of a date given as ``datetime.date``, ``datetime64`` or ISO string."""
    return int(np.datetime64(date, "D").astype(np.int64))


def to_date(day: int) -> dt.date | None:
    """Days since 1970-01-01 -> ``datetime.date`` (None for :data:`NEVER`)."""
    return None if day == NEVER else dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
