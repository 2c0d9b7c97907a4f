"""Rule conditions judged on every row at once: the predicates of :mod:`twin_env.safety.predicates` over
:class:`~twin_env.safety.row_facts.RowFacts`.

:func:`evaluate` gives, for one proposed order, a condition's truth on all N rows ((N,) bool, or one bool
when only the order decides it), with the semantics of :func:`twin_env.safety.predicates.evaluate` on each
row's :class:`~twin_env.record.gp.snapshot.RecordSnapshot` (tested row by row against it). It cites no
evidence: the vector shield reports which rules fired, not the items they read (the single-env shield and
its audit log judge snapshots). What a row reads (its latest eGFR, a current drug) does not depend on the
order, so :class:`RowsNow` computes it once per state for all orders.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from twin_env.record.gp.coding import MEDICATIONS, SERVICE_OF
from twin_env.safety.predicates import OPS, PREDICATES, REFERRAL_CONCEPTS, Vocabulary
from twin_env.safety.row_facts import RowFacts
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order

__all__ = ["RowsNow", "concepts_read", "evaluate"]

#: A condition's truth on the N rows: (N,) bool, or one bool when the order alone decides it.
Truth = bool | np.ndarray
_DRUG_COLUMN = {d: i for i, d in enumerate(MEDICATIONS)}


@dataclasses.dataclass
class RowsNow:
    """The N rows of ``facts`` on their decision days: what predicates read, computed once per state.

    ``day``: (N,) days since 1970-01-01; ``age_years``: (N,) registration age; ``medication_window_days``:
    how recently a drug must have been issued (and not ended) to be current, as in the snapshot.
    """

    facts: RowFacts
    day: np.ndarray
    age_years: np.ndarray
    medication_window_days: float
    _reads: dict[Any, np.ndarray] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.day = np.asarray(self.day, dtype=np.int64)
        self.age_years = np.asarray(self.age_years, dtype=np.float64)

    def read(self, key: Any, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """``compute()`` once per ``key`` (an order-independent leaf of a condition)."""
        if key not in self._reads:
            self._reads[key] = compute()
        return self._reads[key]

    @property
    def current(self) -> np.ndarray:
        """(N, len(MEDICATIONS)) bool: each drug's last item is an issue within the window (the snapshot's current)."""
        f = self.facts
        return self.read("current", lambda: f.issued & (f.drug_day >= self.day[:, None] - self.medication_window_days))


def _walk(cond: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    ((name, args),) = cond.items()
    yield name, args
    if name in ("all", "any"):
        for c in args:
            yield from _walk(c)
    elif name == "not":
        yield from _walk(args)


def concepts_read(conditions: list[Mapping[str, Any]]) -> dict[str, frozenset[Concept]]:
    """The concepts ``conditions`` read, by what :class:`RowFacts` keeps of them (its keyword arguments)."""
    out: dict[str, set[Concept]] = {"latest": set(), "recorded": set(), "problems": set()}
    for cond in conditions:
        for name, args in _walk(cond):
            if name == "latest":
                out["latest"].add(Concept[args["concept"]])
            elif name == "recorded_within":
                out["recorded"].update(Concept[c] for c in args["concepts"])
            elif name == "problem":
                out["problems"].update(Concept[c] for c in args)
    return {k: frozenset(v) for k, v in out.items()}


def _compare(values: np.ndarray, args: Mapping[str, Any]) -> np.ndarray:
    return OPS[args["op"]](values, float(args["value"]))


def _drugs(vocab: Vocabulary, names: list[str], where: str) -> list[int]:
    """Columns of the catalogue drugs among ``names`` (others are never recorded, so never current)."""
    return sorted(_DRUG_COLUMN[d] for d in vocab.drugs(names, where) if d in _DRUG_COLUMN)


def evaluate(cond: Mapping[str, Any], now: RowsNow, order: Order, vocab: Vocabulary) -> Truth:
    """``cond``'s truth on every row of ``now`` for ``order`` (semantics of ``predicates.evaluate``, no evidence)."""
    ((name, args),) = cond.items()
    if name in ("all", "any"):
        out: Truth = name == "all"
        for c in args:
            value = evaluate(c, now, order, vocab)
            if isinstance(value, bool):
                if value != (name == "all"):
                    return value  # one False decides all, one True decides any
            else:
                out = value if isinstance(out, bool) else (out & value if name == "all" else out | value)
        return out
    if name == "not":
        value = evaluate(args, now, order, vocab)
        return (not value) if isinstance(value, bool) else ~value
    f, key = now.facts, (name, repr(args))
    if name == "latest":
        return now.read(key, lambda: _compare(f.value[:, f.latest_col[int(Concept[args["concept"]])]], args))
    if name == "recorded_within":
        columns = f.recorded_col[[int(Concept[c]) for c in args["concepts"]]]
        return now.read(key, lambda: f.recorded_day[:, columns].max(axis=1) >= now.day - args["days"])
    if name == "problem":
        return now.read(key, lambda: f.problem[:, f.problem_col[[int(Concept[c]) for c in args]]].any(axis=1))
    if name == "on_drug":
        return now.read(key, lambda: now.current[:, _drugs(vocab, args, name)].any(axis=1))
    if name == "order_drug":
        return order.name in vocab.drugs(args, name)
    if name in ("order_is_new", "order_continues"):
        j = _DRUG_COLUMN.get(order.name)
        if j is None:
            return name == "order_is_new"  # never recorded: never current
        if name == "order_is_new":
            return ~now.current[:, j]
        return False if order.dose is None else now.current[:, j] & (f.dose[:, j] == order.dose)
    if name == "order_dose_above_max":
        top = vocab.max_dose(order.name)
        return top is not None and order.dose is not None and order.dose > top
    if name == "referred_within_days":
        concept = REFERRAL_CONCEPTS.get(order.name)
        if concept is None:
            return False
        return now.read((key, order.name), lambda: f.referral_day[:, SERVICE_OF[int(concept)]] >= now.day - args)
    if name == "death_recorded":
        return f.death
    if name == "age_years":
        return now.read(key, lambda: _compare(now.age_years, args))
    raise ValueError(f"unknown predicate {name!r}; allowed: {sorted(PREDICATES)}")
