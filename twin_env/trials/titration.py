"""The ``bp_target`` arm's titration algorithm: a treat-to-target BP trial's visit rule.

At each visit (every ``visit_months`` months from baseline; the baseline visit is the screening
visit) the visit SBP is measured like the screening BP (:func:`twin_env.trials.screening.visit_bp_mmhg`:
mean of three seated readings with visit-to-visit and measurement error). Then, for living patients:

- visit SBP above ``target_sbp_mmhg``: one step up the patient's NG136 ladder: the first rung not yet
  reached is prescribed. Ladder: step 1 (ACE inhibitor ramipril, or losartan if already on an ARB; or
  amlodipine first when :func:`twin_env.vocab.drugs.ng136_step1_is_acei` says CCB: 55 and over or Black
  African/Caribbean family origin, without type 2 diabetes) at standard dose, the other of A/C at
  standard dose, indapamide, then A and C to double dose, then spironolactone, doxazosin, bisoprolol;
- visit SBP below the target minus ``bp_target_down_titration_margin_mmhg`` (``trial_parameters.csv``):
  one step down: the last-added ladder class that this algorithm started or increased and the patient
  still takes is stopped. Treatment the patient was on before the trial is never stopped by the
  algorithm (a trial titrates its own study drugs; a loose target must not withdraw usual care);
- otherwise no change.

Every change is an order through ``Simulation.execute`` (so repeats, adherence and stopping apply).
"""

from __future__ import annotations

import numpy as np

from twin_env.simulation import Simulation
from twin_env.trials.screening import TRIAL_PARAMETERS, visit_bp_mmhg
from twin_env.vocab.drugs import ng136_step1_is_acei
from twin_env.vocab.orders import Order

#: Ladder rungs (class, dose in standard doses); "first"/"second" are A and C in the patient's NG136 order.
LADDER: tuple[tuple[str, float], ...] = (
    ("first", 1.0),
    ("second", 1.0),
    ("thiazide", 1.0),
    ("first", 2.0),
    ("second", 2.0),
    ("spironolactone", 1.0),
    ("alpha_blocker", 1.0),
    ("beta_blocker", 1.0),
)
_DRUG = {"ccb": "amlodipine", "thiazide": "indapamide", "spironolactone": "spironolactone"}
_DRUG.update({"alpha_blocker": "doxazosin", "beta_blocker": "bisoprolol"})


class BpTitration:
    """Treat-to-target titration of one arm's rows (every row of ``sim``)."""

    def __init__(self, sim: Simulation, target_sbp_mmhg: float, type2_diabetes_diagnosed: np.ndarray) -> None:
        s = sim.state
        self.sim = sim
        self.target = float(target_sbp_mmhg)
        self.lower = self.target - TRIAL_PARAMETERS["bp_target_down_titration_margin_mmhg"]
        self.acei_first = ng136_step1_is_acei(s.age_years, s.ethnicity, type2_diabetes_diagnosed)
        #: Per ladder class, (N,) whether this algorithm has prescribed it to the row (only those are stepped down).
        self.titrated = {cls: np.zeros(s.n, dtype=bool) for cls in dict.fromkeys(self._classes(True))}

    def _dose(self, cls: str, rows: np.ndarray) -> np.ndarray:
        """(k,) dose (standard doses) of a ladder class taken by ``rows``; "raas" is ACEi or ARB."""
        c = self.sim.state.columns
        if cls == "raas":
            return np.maximum(c["dose_acei"][rows], c["dose_arb"][rows]).astype(np.float64)
        return c[f"dose_{cls}"][rows].astype(np.float64)

    def _classes(self, acei_first: bool) -> list[str]:
        """The ladder's classes for one NG136 order, rung by rung."""
        first, second = ("raas", "ccb") if acei_first else ("ccb", "raas")
        return [first if c == "first" else second if c == "second" else c for c, _ in LADDER]

    def _drug(self, cls: str, rows: np.ndarray) -> np.ndarray:
        """(k,) drug names prescribing ``cls`` for ``rows`` (an ARB-taker stays on losartan)."""
        if cls == "raas":
            return np.where(self.sim.state.dose_arb[rows] > 0, "losartan", "ramipril")
        return np.full(len(rows), _DRUG[cls])

    def visit(self, visit: int, sbp_mmhg: np.ndarray | None = None) -> None:
        """Titrate at visit number ``visit`` (0 = baseline, using the screening ``sbp_mmhg`` (N,) if given)."""
        sim = self.sim
        rows = np.flatnonzero(sim.state.alive)
        if sbp_mmhg is None:
            sbp = visit_bp_mmhg(sim.state, rows, visit, sim.params)[0]
        else:
            sbp = np.asarray(sbp_mmhg, dtype=np.float64)[rows]
        self._execute(*self._step_up(rows[sbp > self.target]))
        self._execute(*self._step_down(rows[sbp < self.lower]))

    def _step_up(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """(rows, drug, dose) of the first rung each row has not reached (rows at the top are left out)."""
        rung = np.full(len(rows), len(LADDER))
        for acei_first in (True, False):
            mine = np.flatnonzero(self.acei_first[rows] == acei_first)
            for i, (cls, (_, dose)) in reversed(list(enumerate(zip(self._classes(acei_first), LADDER)))):
                below = self._dose(cls, rows[mine]) < dose
                rung[mine[below]] = i
        keep = rung < len(LADDER)
        rows, rung = rows[keep], rung[keep]
        drug = np.empty(len(rows), dtype=object)
        dose = np.array([LADDER[i][1] for i in rung.tolist()], dtype=np.float64)
        for acei_first in (True, False):
            classes = self._classes(acei_first)
            for i, cls in enumerate(classes):
                sel = np.flatnonzero((rung == i) & (self.acei_first[rows] == acei_first))
                drug[sel] = self._drug(cls, rows[sel])
                self.titrated[cls][rows[sel]] = True
        return rows, drug, dose, "prescribe"

    def _step_down(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """(rows, drug) to stop: the last-added ladder class this algorithm prescribed that each row still takes."""
        drug = np.full(len(rows), None, dtype=object)
        for acei_first in (True, False):
            mine = np.flatnonzero(self.acei_first[rows] == acei_first)
            for cls in dict.fromkeys(self._classes(acei_first)):  # classes in the order they are added
                taking = mine[(self._dose(cls, rows[mine]) > 0) & self.titrated[cls][rows[mine]]]
                drug[taking] = self._drug(cls, rows[taking])
        keep = drug != None  # noqa: E711 (elementwise on an object array)
        return rows[keep], drug[keep], np.zeros(int(keep.sum())), "stop"

    def _execute(self, rows: np.ndarray, drug: np.ndarray, dose: np.ndarray, kind: str) -> None:
        """One order per distinct (drug, dose), for its rows."""
        for name in sorted(set(drug.tolist())):
            for value in np.unique(dose[drug == name]).tolist():
                sel = rows[(drug == name) & (dose == value)]
                self.sim.execute(sel, Order(kind, name, value if kind == "prescribe" else None))
