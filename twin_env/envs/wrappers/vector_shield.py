"""The safety shield over the native vector env: each row's proposed action judged on its own GP record.

Same rules and decision as :class:`~twin_env.envs.wrappers.shield.SafetyShield` (one function,
:func:`~twin_env.envs.wrappers.shield.shield_action`), judged on all rows at once: the record facts the
rules read are kept per row as items become visible (:class:`~twin_env.safety.row_facts.RowFacts`), and each
order is judged by one vectorised predicate per rule over the rows (:class:`~twin_env.safety.engine.RowJudge`).
Each proposed action is resolved into orders once for all the live rows proposing it (the batch keeps the
resolution: the env's step executes the same one); only rows where a rule fires go through
``shield_action`` one by one. ``action_masks()`` (env mask minus hard-forbidden actions) judges every valid
action of every row as one (N, n_actions) computation, kept until the state changes; it runs a model
action's model only if a hard rule could fire on the order the score triggers. After ``reset_rows`` only
the reset rows' safe masks are computed again (the other rows' records did not change).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from gymnasium.vector import VectorWrapper

from twin_env.envs.actions import ACTION_INDEX, ACTIONS, RecordContext, Resolution, resolve
from twin_env.envs.model_actions import MODEL_ACTIONS
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.shield import DO_NOTHING, MODES, shield_action, shield_rules
from twin_env.safety.engine import RowJudge, Violation
from twin_env.safety.row_facts import RowFacts
from twin_env.safety.row_predicates import RowsNow, concepts_read
from twin_env.vocab.orders import Order


@dataclasses.dataclass
class _Judged:
    """One state of the rows: the action context, the env mask, the rows' judge and (once asked) the safe mask."""

    ctx: RecordContext
    mask: np.ndarray
    judge: RowJudge
    safe: np.ndarray | None = None


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
        self._state: _Judged | None = None
        self._facts: RowFacts | None = None
        self._reads = concepts_read([r.condition for r in self.rules.rules])

    @property
    def base(self) -> PrimaryCareVectorEnv:
        return self.env.unwrapped

    def _judged(self) -> _Judged:
        """The rows' current state as judged (shared by ``action_masks`` and ``step``; dropped when it changes)."""
        if self._state is None:
            batch = self.base.batch
            if self._facts is None or self._facts.table is not batch.table:  # a reset gives the batch a new table
                self._facts = RowFacts(batch.table, **self._reads)
            ctx = batch.context()
            now = RowsNow(self._facts, batch.sim.days, ctx.age_years, ctx.params["current_medication_window_days"])
            self._state = _Judged(ctx, batch.masks(), RowJudge(self.rules, now))
        return self._state

    def action_masks(self) -> np.ndarray:
        """(N, n_actions) bool: the env's mask minus every action a hard rule forbids now (judges all valid actions)."""
        state = self._judged()
        if state.safe is None:
            state.safe = self._safe_mask(state, np.arange(self.num_envs), state.mask.copy())
        return state.safe.copy()

    def _safe_mask(self, state: _Judged, rows: np.ndarray, safe: np.ndarray) -> np.ndarray:
        """``safe`` with ``rows`` set to their env mask minus the actions a hard rule forbids (one pass per action)."""
        mask, judge = state.mask, state.judge
        safe[rows] = mask[rows]
        for action in range(mask.shape[1]):
            valid = rows[mask[rows, action]]
            if action == DO_NOTHING or not valid.size:
                continue
            for order, on in self._orders(action, valid, judge):
                safe[on, action] &= ~judge.any_hard(order)[on]
        safe[rows, DO_NOTHING] = True
        return safe

    def _orders(self, action: int, rows: np.ndarray, judge: RowJudge) -> list[tuple[Order, np.ndarray]]:
        """(order, rows) of ``action`` on ``rows`` as far as hard rules can tell them apart.

        A model action's model order runs on every row; the order its score triggers needs the score only where
        a hard rule would fire on it: elsewhere the model is not run.
        """
        spec = MODEL_ACTIONS.get(ACTIONS[action].name)
        if spec is None:  # resolved afresh, not kept: the step resolves the proposing rows' own (as cheap as a take)
            return list(resolve(self._state.ctx, action, rows).groups)
        if not judge.any_hard(spec.order)[rows].any():
            return [(Order("model", spec.model), rows)]
        return [(order, on) for order, on, _ in self.base.batch.resolve(action, rows).steps()]

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
        """Start the next patient on ``rows`` now (SB3-style auto-reset): their next action is judged and run.

        A safe mask already computed keeps its other rows (their records did not change); ``rows`` are judged again.
        """
        rows = np.asarray(rows, dtype=np.intp)
        safe = None if self._state is None else self._state.safe
        self.env.reset_rows(rows)
        self._resetting[rows], self.episode_cost[rows], self._state = False, 0.0, None
        if safe is not None:
            state = self._judged()
            state.safe = self._safe_mask(state, rows, safe)

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
        state = self._judged()
        mask, judge, batch, n = state.mask, state.judge, self.base.batch, self.num_envs
        executed = np.where(self._resetting, DO_NOTHING, proposed).astype(np.int64)  # an ending row's action is ignored
        costs = {f"cost_{r.id}": np.zeros(n) for r in self.rules.rules}
        proposed_hard, executed_hard, soft = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n)
        live = (proposed != DO_NOTHING) & ~self._resetting & mask[np.arange(n), proposed]
        self._resolve_models(live[:, None] & (proposed[:, None] == np.arange(self.base.n_actions)))
        fired = np.zeros(n, dtype=bool)  # a rule fires on the row's proposed action: the row is decided one by one
        plan: dict[int, Resolution] = {}
        for action in np.unique(proposed[live]).tolist():  # once per action for its rows, not once per row
            plan[action] = batch.resolve(action, np.flatnonzero(live & (proposed == action)))
            for order, on, _ in plan[action].steps():
                fired[on] |= judge.fired(order)[on].any(axis=1)
        for i in np.flatnonzero(fired).tolist():
            judged = lambda a, i=i: self._violations(state, plan, a, i)  # noqa: E731
            out = shield_action(self.mode, int(proposed[i]), judged, lambda a, i=i: mask[i, a])
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

    def _violations(self, state: _Judged, plan: dict[int, Resolution], action: int, row: int) -> tuple[Violation, ...]:
        """The rules ``action`` breaks on ``row`` now (() if the env mask refuses it: the env would not execute it).

        ``plan``: the step's resolutions of the proposed actions (a fallback action is resolved for the row alone).
        """
        if not state.mask[row, action]:
            return ()
        resolution = plan.get(action)
        if resolution is None or row not in resolution.rows:
            resolution = self.base.batch.resolve(action, np.array([row]))
        return state.judge.violations(resolution.orders_of(row), row)
