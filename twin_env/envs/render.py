"""Rendering: an ANSI text summary and a NumPy-drawn RGB timeline (no plotting library)."""

from __future__ import annotations

import numpy as np

from twin_env.envs.actions import ACTIONS
from twin_env.envs.observation import MEASUREMENTS, MEDICATIONS, PROBLEMS


def ansi(obs: dict[str, np.ndarray], date: str, last_action: int, reward: float) -> str:
    """A readable summary of the record features of one patient (row 0 of batched ``obs``)."""
    lines = [f"date {date}  last action {ACTIONS[last_action].name}  reward {reward:+.3f}"]
    if "problems" in obs:
        probs = [p for p, on in zip(PROBLEMS, obs["problems"]) if on]
        meds = [f"{m} {v:.2f}" for m, v in zip(MEDICATIONS, obs["medications"]) if v > 0]
        meas = [
            f"{c.name.lower()} {'-' if miss else f'{v * s:.1f}'}"
            for (c, _, s), v, miss in zip(MEASUREMENTS, obs["measurement_value"], obs["measurement_missing"])
        ]
        lines += [
            f"problems: {', '.join(probs) or 'none'}",
            f"medications: {', '.join(meds) or 'none'}",
            "latest: " + ", ".join(meas),
        ]
    return "\n".join(lines) + "\n"


def timeline(history: list[tuple[float, int, int]], width: int = 480, height: int = 160) -> np.ndarray:
    """RGB (height, width, 3) uint8 timeline: recorded SBP (blue dots, 80-200 mmHg) and actions (ticks).

    ``history``: (recorded SBP or NaN, action index, step) per step.
    """
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    img[height - 20, :] = 0
    if not history:
        return img
    n = max(len(history), 2)
    for sbp, action, step in history:
        x = min(int(step / n * (width - 1)), width - 1)
        if action:
            img[height - 19 : height - 19 + 2 + action % 17, x] = (200, 0, 0)
        if np.isfinite(sbp):
            y = int((1 - (np.clip(sbp, 80, 200) - 80) / 120) * (height - 30))
            img[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2] = (0, 0, 220)
    return img
