"""SB3 callbacks of a training run: the wall-clock safety stop, the learning curve, periodic log lines."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback


class WallClockLimit(BaseCallback):
    """Stops training once ``max_seconds`` of wall-clock time have passed (checked every step); ``stopped``
    tells whether it did (a safety stop: the run's length is ``total_timesteps``)."""

    def __init__(self, max_seconds: float) -> None:
        super().__init__()
        self.max_seconds = max_seconds
        self.stopped = False
        self._start = 0.0

    def _on_training_start(self) -> None:
        self._start = time.monotonic()

    def _on_step(self) -> bool:
        self.stopped = time.monotonic() - self._start >= self.max_seconds
        return not self.stopped


class LearningCurveCallback(BaseCallback):
    """Collects ``(timesteps, episode_return, episode_length)`` from VecMonitor's ``info["episode"]``."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, float, int]] = []

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            if "episode" in info:
                self.rows.append((self.num_timesteps, float(info["episode"]["r"]), int(info["episode"]["l"])))
        return True


class ProgressLog(BaseCallback):
    """Writes a line every ``every_timesteps`` env steps and at the end: steps done, steps/s, the mean raw
    return of the last ``window`` finished episodes and the latest validation score.

    Args:
        total_timesteps: the run's length (for the percentage).
        every_timesteps: env steps between lines (>= 1).
        stream: where the lines go (e.g. ``sys.stderr``).
        curve: the run's :class:`LearningCurveCallback` (episode returns).
        validation_score: returns the latest validation line part (``""`` when there is none).
        window: finished episodes averaged.
    """

    def __init__(
        self,
        total_timesteps: int,
        every_timesteps: int,
        stream: TextIO,
        curve: LearningCurveCallback,
        validation_score: Callable[[], str] = lambda: "",
        window: int = 100,
    ) -> None:
        super().__init__()
        if every_timesteps < 1:
            raise ValueError(f"log_every must be >= 1 env step, got {every_timesteps}")
        self.total, self.every, self.stream, self.curve = total_timesteps, every_timesteps, stream, curve
        self.validation_score, self.window = validation_score, window
        self._start = 0.0
        self._next = every_timesteps
        self._written: tuple[int, str] | None = None

    def _on_training_start(self) -> None:
        self._start = time.monotonic()
        self._next = self.num_timesteps + self.every

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next = self.num_timesteps - self.num_timesteps % self.every + self.every
            self.write()
        return True

    def _on_training_end(self) -> None:
        if self._written != (self.num_timesteps, self.validation_score()):
            self.write()

    def write(self) -> None:
        """One line: ``[elapsed] steps/total (pct)  steps/s  mean return  validation``."""
        elapsed = time.monotonic() - self._start
        done, score = self.num_timesteps, self.validation_score()
        self._written = (done, score)
        returns = [r for _, r, _ in self.curve.rows[-self.window :]]
        mean = f"mean return {np.mean(returns):+.3f} (last {len(returns)} episodes)" if returns else "no episode ended"
        parts = [
            f"[{elapsed:6.0f} s] {done:,}/{self.total:,} steps ({100.0 * done / self.total:.0f}%)",
            f"{done / max(elapsed, 1e-9):,.0f} steps/s",
            mean,
            score,
        ]
        print("  ".join(p for p in parts if p), file=self.stream, flush=True)
