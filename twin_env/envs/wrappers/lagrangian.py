"""SB3 callback for :class:`~twin_env.envs.wrappers.costs.LagrangianReward`: dual ascent on the multiplier."""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback


class LagrangeCallback(BaseCallback):
    """After each rollout: ``lambda <- max(0, lambda + lr * (mean episode cost - cost_limit))``.

    Episode costs are read from ``info["episode_cost"]`` at episode ends; the new multiplier is sent
    to every env's ``LagrangianReward`` (``set_lagrange_multiplier``). ``history`` keeps each update as
    ``(mean episode cost, multiplier after it)``; ``updates`` the same as dicts with the env steps done and the
    episodes averaged (what ``twin-env train`` writes to ``config.json``). A rollout in which no episode ended
    leaves the multiplier as it was. TensorBoard: ``safety/lagrange_multiplier``, ``safety/mean_episode_cost``.
    """

    def __init__(self, cost_limit: float, lr: float = 0.05, initial: float = 0.0, verbose: int = 0) -> None:
        super().__init__(verbose)
        if cost_limit < 0 or lr <= 0 or initial < 0:
            raise ValueError(f"need cost_limit >= 0, lr > 0, initial >= 0; got {cost_limit}, {lr}, {initial}")
        self.cost_limit, self.lr, self.multiplier = cost_limit, lr, initial
        self._episode_costs: list[float] = []
        self.history: list[tuple[float, float]] = []  # (mean episode cost, multiplier after the update)
        self.updates: list[dict[str, float]] = []

    def _on_training_start(self) -> None:
        self.training_env.env_method("set_lagrange_multiplier", self.multiplier)

    def _on_step(self) -> bool:
        for done, info in zip(self.locals["dones"], self.locals["infos"]):
            if done:
                self._episode_costs.append(float(info["episode_cost"]))
        return True

    def _on_rollout_end(self) -> None:
        if not self._episode_costs:
            return
        mean = sum(self._episode_costs) / len(self._episode_costs)
        self.multiplier = max(0.0, self.multiplier + self.lr * (mean - self.cost_limit))
        self.training_env.env_method("set_lagrange_multiplier", self.multiplier)
        self.history.append((mean, self.multiplier))
        self.updates.append(
            {
                "timesteps": int(self.num_timesteps),
                "episodes": len(self._episode_costs),
                "mean_episode_cost": mean,
                "multiplier": self.multiplier,
            }
        )
        self.logger.record("safety/lagrange_multiplier", self.multiplier)
        self.logger.record("safety/mean_episode_cost", mean)
        self._episode_costs = []
