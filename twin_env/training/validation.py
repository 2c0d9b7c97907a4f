"""Checkpoint selection during training, on a validation cohort that neither training nor evaluation uses.

Every ``every_timesteps`` env steps (and once more when training ends) the model being trained
acts deterministically, with the env's action masks (behind the safety shield if training was),
for one episode on each of ``patients`` patients of the validation population
(:data:`twin_env.evaluation.cohorts.VALIDATION_POPULATION_SEED`). Its net monetary benefit is compared
patient by patient with do-nothing's on the same patients (common random numbers: the twin draws
from streams keyed by patient and step), which is far less noisy than either mean. The checkpoint
with the highest mean paired gain is saved as ``model.zip``; the last weights as ``model_last.zip``.

PPO's returns are noisy (who dies when dominates a patient's NMB), so the latest weights are often
not the best a run has seen; this is early stopping on held-out patients, as in supervised
learning. Validation time counts against the training's wall-clock limit.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from twin_env.evaluation.cohorts import VALIDATION_POPULATION_SEED
from twin_env.evaluation.evaluate import rollout
from twin_env.evaluation.metrics import mean_ci
from twin_env.policies import DoNothingPolicy
from twin_env.policies.sb3_model import SB3ModelPolicy

#: Columns of ``validation_curve.csv`` (GBP and QALY columns are means of patient-wise differences vs do-nothing).
CURVE_COLUMNS = (
    "timesteps",
    "minutes",
    "nmb_vs_do_nothing_gbp",
    "ci_low_gbp",
    "ci_high_gbp",
    "qalys_vs_do_nothing",
    "cost_vs_do_nothing_gbp",
    "tests_per_py",
    "referrals_per_py",
)


class ValidationCallback(BaseCallback):
    """Validates every ``every_timesteps`` steps, keeps the best checkpoint, writes the validation curve.

    Args:
        out_dir: the run directory (``model.zip``, ``validation_curve.csv`` are written there).
        algo: the algorithm name (one of :data:`twin_env.policies.sb3_model.ALGOS`).
        env_config: the training EnvConfig dict (validation uses it on the validation population).
        patients: validation patients (>= 2).
        every_timesteps: env steps (summed over rows) between validations (>= 1).
        shielded: validate behind the vector safety shield (``replace`` mode), as shielded training runs.
    """

    def __init__(
        self,
        out_dir: str | Path,
        algo: str,
        env_config: dict[str, Any],
        patients: int,
        every_timesteps: int,
        shielded: bool = False,
    ) -> None:
        super().__init__()
        if patients < 2 or every_timesteps < 1:
            raise ValueError(
                f"validation needs patients >= 2 and every_timesteps >= 1, got {patients}, {every_timesteps}"
            )
        self.out, self.algo, self.env_config = Path(out_dir), algo, env_config
        self.patients, self.every, self.shielded = patients, every_timesteps, shielded
        self.rows: list[dict[str, float]] = []
        self.best: dict[str, float] | None = None
        self._baseline: dict[str, np.ndarray] = {}
        self._last = 0
        self._start = 0.0

    def _run(self, policy: Any) -> dict[str, np.ndarray]:
        values, _, _ = rollout(
            policy,
            self.patients,
            0,
            self.env_config,
            self.shielded,
            population_seed=VALIDATION_POPULATION_SEED,
            record_audit=False,
        )
        return values

    def _on_training_start(self) -> None:
        self._start = time.monotonic()
        self._baseline = self._run(DoNothingPolicy())

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        if self.num_timesteps - self._last >= self.every:
            self.validate()

    def _on_training_end(self) -> None:
        if not self.rows or self.rows[-1]["timesteps"] != self.num_timesteps:
            self.validate()
            self.logger.dump(self.num_timesteps)  # the algorithm dumps no more after training
        self.model.save(self.out / "model_last.zip")

    def validate(self) -> dict[str, float]:
        """Validate the current weights; save them as ``model.zip`` if they are the best so far."""
        self._last = self.num_timesteps
        policy = SB3ModelPolicy(self.model, self.algo, self.env_config, "validation")
        values, base = self._run(policy), self._baseline
        gain = mean_ci(values["nmb_gbp"] - base["nmb_gbp"])
        row = {
            "timesteps": self.num_timesteps,
            "minutes": round((time.monotonic() - self._start) / 60.0, 2),
            "nmb_vs_do_nothing_gbp": gain["mean"],
            "ci_low_gbp": gain["ci_low"],
            "ci_high_gbp": gain["ci_high"],
            "qalys_vs_do_nothing": float(np.mean(values["qalys"] - base["qalys"])),
            "cost_vs_do_nothing_gbp": float(np.mean(values["cost_gbp"] - base["cost_gbp"])),
            "tests_per_py": float(np.mean(values["tests_per_py"])),
            "referrals_per_py": float(np.mean(values["referrals_per_py"])),
        }
        self.rows.append(row)
        for key in ("nmb_vs_do_nothing_gbp", "qalys_vs_do_nothing", "cost_vs_do_nothing_gbp"):
            self.logger.record(f"validation/{key}", row[key])
        if self.best is None or row["nmb_vs_do_nothing_gbp"] > self.best["nmb_vs_do_nothing_gbp"]:
            self.best = row
            self.model.save(self.out / "model.zip")
        self._write_curve()
        return row

    def _write_curve(self) -> None:
        with (self.out / "validation_curve.csv").open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CURVE_COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)
