"""The policy interface shared by every baseline: one batched decision per env step.

A policy maps a :class:`PolicyInput` (what the env exposes for N patient rows: the observation,
the action mask and the GP-record context) to ``(actions, reasons)``: ``actions`` is (N,) int64
action indices, ``reasons`` a list of N short strings saying why (``""`` when a policy gives none).
"""

from __future__ import annotations

import abc
import dataclasses

import numpy as np

from twin_env.envs.actions import RecordContext


@dataclasses.dataclass
class PolicyInput:
    """What a policy may read for N rows at one decision.

    Attributes:
        observation: the env's observation dict, each value (N, ...).
        mask: (N, n_actions) bool, the env's action mask (20 columns on catalogue v0, 36 on v1).
        context: the GP-record context the env's actions read (never the latent twin).
        patient_index: (N,) int64 population index of each row's patient (changes on auto-reset).
        dt_years: years between decisions.
    """

    observation: dict[str, np.ndarray]
    mask: np.ndarray
    context: RecordContext
    patient_index: np.ndarray
    dt_years: float

    @property
    def n(self) -> int:
        return len(self.mask)


class Policy(abc.ABC):
    """A batched decision rule. Subclasses implement :meth:`act`; ``name`` identifies it in tables."""

    name: str = "policy"
    #: True when a row's action depends on the other rows of the batch (one random stream drawn for the whole
    #: batch, or a network whose floating-point result depends on the batch size): sharded evaluations run it as
    #: one shard and sharded trials refuse it, since splitting the batch would change its actions.
    batch_dependent: bool = False

    def reset(self, seed: int | None = None) -> None:  # noqa: B027 (optional hook)
        """Forget per-patient memory and reseed any randomness (called before an evaluation)."""

    @abc.abstractmethod
    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        """Return ((N,) int64 actions, N reasons)."""


class RowMemory:
    """Per-row memory that forgets a row when its patient changes (vector-env auto-reset)."""

    def __init__(self, fields: tuple[str, ...], fill: float) -> None:
        self.fields, self.fill = fields, fill
        self.patient = np.empty(0, dtype=np.int64)
        self.values: dict[str, np.ndarray] = {}

    def sync(self, patient_index: np.ndarray) -> None:
        """Resize to the batch and clear rows whose patient changed."""
        if len(self.patient) != len(patient_index):
            self.patient = np.asarray(patient_index, dtype=np.int64).copy()
            self.values = {f: np.full(len(patient_index), self.fill) for f in self.fields}
            return
        new = self.patient != patient_index
        for v in self.values.values():
            v[new] = self.fill
        self.patient[:] = patient_index
