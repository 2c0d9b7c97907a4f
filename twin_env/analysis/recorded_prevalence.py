"""Recorded prevalence by age band, sex and deprivation against published figures.

"Recorded" is what the GP record codes by the end of a simulation (a problem code of
:data:`twin_env.vocab.problems.PROBLEMS`, available by the last day) among living patients of a
group; the published figures (``twin_env/data/recorded_prevalence_published.csv``, each with its
source, status and tolerance) are survey-reported doctor diagnoses (HSE) and diagnosed shares
derived from HSE and ONS. The twin is calibrated to QOF's overall registers at baseline, not to these.
Deprivation: IMD quintile 1 (most deprived) over quintile 5 (least), crude within the age band.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from twin_env.record.store import ItemType
from twin_env.simulation import Simulation
from twin_env.twin.parameters import read_data_csv
from twin_env.vocab.problems import PROBLEMS

PUBLISHED_FILE = "recorded_prevalence_published.csv"
#: Published condition -> the GP problems that count as recorded.
CONDITION_PROBLEMS = {"diabetes": "type2_diabetes", "hypertension": "hypertension"}
#: Fewest living patients in a group for a comparison.
MIN_GROUP = 30
#: A percentage is within when it differs from the published figure by at most its tolerance plus
#: this many binomial standard errors of the simulated share (the cohort's own sampling error).
SAMPLING_SES = 3.0


@dataclasses.dataclass(frozen=True)
class PrevalenceRow:
    """One published figure, what the simulation's record shows, and whether it is within tolerance.

    ``se`` is the binomial standard error (points) of a percentage (0 for a ratio); ``ok``: within
    ``tolerance + SAMPLING_SES * se``. ``achieved`` is NaN (``ok`` None) when the cohort has fewer
    than :data:`MIN_GROUP` living patients in the group or its living ages do not span the band (a
    40-85 cohort has no 18-35s and only part of the adults).
    """

    condition: str
    measure: str
    sex: str
    age_lower: float
    age_upper: float
    published: float
    tolerance: float
    achieved: float
    se: float
    n: int
    ok: bool | None
    status: str
    source: str

    def as_dict(self) -> dict[str, object]:
        d = dataclasses.asdict(self)
        d["achieved"] = None if math.isnan(self.achieved) else self.achieved
        d["se"] = None if math.isnan(self.se) else self.se
        return d


def published() -> list[dict[str, str]]:
    """Rows of the published-figure file."""
    return read_data_csv(PUBLISHED_FILE)


def coded_at_end(sim: Simulation, condition: str) -> np.ndarray:
    """(N,) bool: the GP record codes ``condition`` (a key of PROBLEMS) by the simulation's last day."""
    cols = sim.record.stores["gp"].columns
    mask = (cols["item"] == ItemType.PROBLEM) & np.isin(cols["concept"], PROBLEMS[condition])
    mask &= cols["available_day"] <= sim.day
    coded = np.zeros(sim.state.n, dtype=bool)
    coded[cols["patient"][mask] - sim.record.first_id] = True
    return coded


def measure(sim: Simulation) -> list[PrevalenceRow]:
    """Every published figure against ``sim``'s record at its end (a cohort never reset)."""
    s = sim.state
    rows = []
    coded = {name: coded_at_end(sim, problem) for name, problem in CONDITION_PROBLEMS.items()}
    ages = s.age_years[s.alive]
    for r in published():
        lo, hi = float(r["age_lower"]), float(r["age_upper"])
        group = s.alive & (s.age_years >= lo) & (s.age_years < hi)
        if ages.size == 0 or ages.min() > lo + 1 or (hi < 100 and ages.max() < hi - 1):
            group[:] = False  # the cohort does not span the band: no comparison
        if r["sex"] != "all":
            group &= s.female == (r["sex"] == "female")
        c = coded[r["condition"]]
        se = 0.0
        if r["measure"] == "recorded_percent":
            n = int(group.sum())
            achieved = 100.0 * float(c[group].mean()) if n >= MIN_GROUP else math.nan
            se = math.sqrt(achieved * (100.0 - achieved) / n) if n >= MIN_GROUP else math.nan
        elif r["measure"] == "recorded_ratio_most_to_least":
            most, least = group & (s.imd_quintile == 1), group & (s.imd_quintile == 5)
            n = int(min(most.sum(), least.sum()))
            least_share = float(c[least].mean()) if n >= MIN_GROUP else 0.0
            achieved = float(c[most].mean()) / least_share if least_share > 0 else math.nan
        else:
            raise ValueError(f"{PUBLISHED_FILE}: unknown measure {r['measure']!r}")
        value, tol = float(r["value"]), float(r["tolerance"])
        ok = None if math.isnan(achieved) else bool(abs(achieved - value) <= tol + SAMPLING_SES * se)
        rows.append(
            PrevalenceRow(
                r["condition"],
                r["measure"],
                r["sex"],
                lo,
                hi,
                value,
                tol,
                achieved,
                se,
                n,
                ok,
                r["status"],
                r["source"],
            )
        )
    return rows


def to_markdown(rows: list[PrevalenceRow]) -> str:
    """The comparison as a markdown table."""
    lines = [
        "Recorded prevalence against published figures (`twin_env/data/recorded_prevalence_published.csv`; "
        f"within: tolerance + {SAMPLING_SES:g} SE):",
        "",
        "| condition | measure | sex | ages | published | tolerance | recorded | SE | n | within |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        achieved = "-" if math.isnan(r.achieved) else f"{r.achieved:.2f}"
        within = "-" if r.ok is None else ("yes" if r.ok else "NO")
        lines.append(
            f"| {r.condition} | {r.measure} | {r.sex} | {r.age_lower:g}-{r.age_upper:g} | {r.published:g} | "
            f"{r.tolerance:g} | {achieved} | {r.se:.2f} | {r.n} | {within} |"
        )
    return "\n".join(lines) + "\n"
