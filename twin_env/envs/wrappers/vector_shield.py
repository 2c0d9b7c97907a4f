"""The safety shield over the native vector env: each row's proposed action judged on its own GP record.

Same rules, judge and decision as :class:`~twin_env.envs.wrappers.shield.SafetyShield` (one function,
:func:`~twin_env.envs.wrappers.shield.shield_action`), applied per row and step. For speed only rows
whose proposed action would run (not do-nothing, allowed by the env mask, row not auto-resetting)
are judged: their record snapshot is built and the proposed action's orders (and a fallback's)
are judged; each proposed action is resolved into orders once for all the rows proposing it (the
batch keeps the resolution: row judges take their rows' orders from it and the env's step executes
it). ``action_masks()`` (env mask minus hard-forbidden actions) judges every valid action
of every row, so it is computed only when asked for (and each step in ``mask`` mode).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import VectorWrapper

from twin_env.envs.actions import ACTION_INDEX, RecordContext
from twin_env.envs.core import Batch
from twin_env.envs.model_actions import MODEL_ACTIONS
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.shield import DO_NOTHING, MODES, row_snapshot, shield_action, shield_rules
from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.safety.engine import Violation, judge
from twin_env.safety.rules import RuleSet


class _RowJudge:
    """Judges actions for one row on the current record (snapshot built on first use, verdicts cached)."""

    def __init__(self, batch: Batch, rules: RuleSet, ctx: RecordContext, env_mask: np.ndarray, row: int) -> None:
        self.batch, self.rules, self.ctx, self.mask, self.row = batch, rules, ctx, env_mask, row
        self._snapshot: RecordSnapshot | None = None
        self._cache: dict[int, tuple[Violation, ...]] = {}

    def allowed(self, action: int) -> bool:
        return bool(self.mask[action])

    def violations(self, action: int) -> tuple[Violation, ...]:
        if action not in self._cache:
            if not self.mask[action]:
                self._cache[action] = ()  # the env does not execute a masked action
            else:
                if self._snapshot is None:
                    self._snapshot = row_snapshot(self.batch, self.ctx, self.row)
                orders = self.batch.resolve(action, np.array([self.row])).orders_of(self.row)
                self._cache[action] = tuple(judge(self.rules, orders, self._snapshot))
        return self._cache[action]


class VectorSafetyShield(VectorWrapper):
    """Shield a :class:`PrimaryCareVectorEnv` row by row (modes ``replace``, ``block``, ``mask``, ``raise``).

    ``info`` gains (N,) arrays: ``cost``, ``cost_<rule_id>`` for every rule, ``episode_cost``,
    ``proposed_action``, ``executed_action``, ``shield_intervened``, ``proposed_hard_violations``,
    ``executed_hard_violations`` (the executed action re-judged: always 0) and ``soft_cost``.
    A row's episode cost restarts when it auto-resets. In ``mask`` mode ``info["action_mask"]`` is
    the safe mask and a forbidden action sent anyway is blocked, as in the single-env shield.

    Args:
        env: a ``PrimaryCareVectorEnv``.
        mode: one of :data:`~twin_env.envs.wrappers.shield.MODES` (default ``"replace"``).
        rules: ``{"disable": [rule ids], "add": [rule dicts]}`` over the packaged rules, or None.
    """

    def __init__(self, env: PrimaryCareVectorEnv, mode: str = "replace", rules: dict[str, Any] | None = None) -> None:
        super().__init__(env)
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}; allowed: {list(MODES)}")
        if not isinstance(env.unwrapped, PrimaryCareVectorEnv):
            raise ValueError(f"VectorSafetyShield wraps a PrimaryCareVectorEnv, got {type(env.unwrapped).__name__}")
        self.mode, self.rules = mode, shield_rules(rules)
        self.episode_cost = np.zeros(self.num_envs)
        self._resetting = np.zeros(self.num_envs, dtype=bool)
        self._state: tuple[RecordContext, np.ndarray, list[_RowJudge]] | None = None

    @property
    def base(self) -> PrimaryCareVectorEnv:
        return self.env.unwrapped

    def _judges(self) -> tuple[RecordContext, np.ndarray, list[_RowJudge]]:
        """The current context, env mask and per-row judges (shared by ``action_masks`` and ``step``)."""
        if self._state is None:
            batch = self.base.batch
            ctx, mask = batch.context(), batch.masks()
            self._state = ctx, mask, [_RowJudge(batch, self.rules, ctx, mask[i], i) for i in range(self.num_envs)]
        return self._state

    def action_masks(self) -> np.ndarray:
        """(N, n_actions) bool: the env's mask minus every action a hard rule forbids now (judges all valid actions)."""
        _, mask, judges = self._judges()
        self._resolve_models(mask)
        safe = mask.copy()
        for i, j in enumerate(judges):
            for a in np.flatnonzero(mask[i]).tolist():
                safe[i, a] = not any(v.rule.hard for v in j.violations(a))
        safe[:, DO_NOTHING] = True
        return safe

    def _resolve_models(self, wanted: np.ndarray) -> None:
        """Resolve model actions in the (N, n_actions) ``wanted`` cells together: one deployment per action, not row.

        The batch keeps the resolution; row judges and the env's step reuse it.
        """
        for name in MODEL_ACTIONS:
            a = ACTION_INDEX[name]
            rows = np.flatnonzero(wanted[:, a])
            if rows.size:
                self.base.batch.resolve(a, rows)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.episode_cost[:], self._resetting[:], self._state = 0.0, False, None
        n, zeros = self.num_envs, np.zeros(self.num_envs)
        info.update({f"cost_{r.id}": zeros.copy() for r in self.rules.rules})
        info.update(
            cost=zeros.copy(),
            episode_cost=zeros.copy(),
            proposed_action=np.zeros(n, dtype=np.int64),
            executed_action=np.zeros(n, dtype=np.int64),
            shield_intervened=np.zeros(n, dtype=bool),
            proposed_hard_violations=np.zeros(n, dtype=np.int64),
            executed_hard_violations=np.zeros(n, dtype=np.int64),
            soft_cost=zeros.copy(),
        )  # the keys step adds, before any action (one info schema at reset and step)
        if self.mode == "mask":
            info["action_mask"] = self.action_masks()
        return obs, info

    def reset_rows(self, rows: np.ndarray) -> None:
        """Start the next patient on ``rows`` now (SB3-style auto-reset): their next action is judged and run."""
        self.env.reset_rows(rows)
        self._resetting[rows], self.episode_cost[rows], self._state = False, 0.0, None

    def step(self, actions: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        proposed = np.asarray(actions)
        if (
            proposed.shape != (self.num_envs,)
            or proposed.dtype.kind not in "iu"
            or ((proposed < 0) | (proposed >= self.base.n_actions)).any()
        ):
            raise ValueError(
                f"invalid actions {actions!r}: need shape ({self.num_envs},) integers in [0, {self.base.n_actions - 1}]"
            )
        _, mask, judges = self._judges()
        n = self.num_envs
        executed = np.where(self._resetting, DO_NOTHING, proposed).astype(np.int64)  # an ending row's action is ignored
        costs = {f"cost_{r.id}": np.zeros(n) for r in self.rules.rules}
        proposed_hard, executed_hard, soft = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n)
        live = (proposed != DO_NOTHING) & ~self._resetting & mask[np.arange(n), proposed]
        self._resolve_models(live[:, None] & (proposed[:, None] == np.arange(self.base.n_actions)))
        for action in np.unique(proposed[live]).tolist():  # once per action for its rows, not once per row
            self.base.batch.resolve(action, np.flatnonzero(live & (proposed == action)))
        for i in np.flatnonzero(live).tolist():
            j = judges[i]
            out = shield_action(self.mode, int(proposed[i]), j.violations, j.allowed)
            executed[i] = out.executed
            proposed_hard[i], executed_hard[i], soft[i] = len(out.hard), out.executed_hard, out.soft_cost
            for key, c in out.costs(self.rules).items():
                costs[key][i] = c
        self.episode_cost[self._resetting] = 0.0
        obs, reward, terminated, truncated, info = self.env.step(executed)
        self._state = None
        cost = sum(costs.values(), np.zeros(n))
        self.episode_cost += cost
        self._resetting = terminated | truncated
        info.update(
            costs,
            cost=cost,
            episode_cost=self.episode_cost.copy(),
            proposed_action=proposed.astype(np.int64),
            executed_action=executed,
            shield_intervened=live & (executed != proposed),
            proposed_hard_violations=proposed_hard,
            executed_hard_violations=executed_hard,
            soft_cost=soft,
        )
        if self.mode == "mask":
            info["action_mask"] = self.action_masks()
        return obs, reward, terminated, truncated, info
