"""The safety shield: a Gymnasium wrapper that judges each action on the GP record before it runs.

Modes (``docs/safety.md``): ``mask`` (hard-forbidden actions masked; a masked action sent anyway
is blocked), ``replace`` (a hard violation is replaced by the rule's fallback action if that is
safe, else do-nothing), ``block`` (do-nothing), ``raise`` (:class:`SafetyViolationError`). In
every mode but ``raise`` a hard violation never reaches the simulator. Costs follow
Safety-Gymnasium: ``info["cost"]``, ``info["cost_<rule_id>"]``, ``info["episode_cost"]``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import RecordConstructorArgs

from twin_env.envs.actions import ACTION_INDEX, ACTIONS, RecordContext
from twin_env.envs.config import EnvConfig
from twin_env.envs.core import Batch
from twin_env.envs.primary_care_env import PrimaryCareEnv
from twin_env.record.gp.snapshot import RecordSnapshot
from twin_env.safety.audit import AuditLog, audit_key
from twin_env.safety.engine import Violation, judge
from twin_env.safety.metrics import SafetyMetrics
from twin_env.safety.rules import RuleSet
from twin_env.vocab.orders import Order

MODES: tuple[str, ...] = ("mask", "replace", "block", "raise")
DO_NOTHING = ACTION_INDEX["do_nothing"]
_ROW0 = np.array([0])


def shield_rules(config: dict[str, Any] | None) -> RuleSet:
    """The packaged rules configured by ``config`` (:meth:`RuleSet.from_config`), fallbacks checked.

    A rule's ``fallback`` names an action of :data:`~twin_env.envs.actions.ACTIONS` (or is null):
    checked here, where the action catalogue is known, not by :mod:`twin_env.safety`.
    """
    rules = RuleSet.from_config(config)
    for rule in rules.rules:
        if rule.fallback is not None and rule.fallback not in ACTION_INDEX:
            raise ValueError(
                f"rule {rule.id!r}: fallback {rule.fallback!r}; allowed: null or an action {sorted(ACTION_INDEX)}"
            )
    return rules


class SafetyViolationError(RuntimeError):
    """Raised in ``raise`` mode; ``rule_ids`` are the hard rules the proposed action broke."""

    def __init__(self, action: int, violations: list[Violation]) -> None:
        self.rule_ids = [v.rule.id for v in violations]
        super().__init__(f"action {action} ({ACTIONS[action].name}) breaks hard safety rule(s) {self.rule_ids}")


@dataclasses.dataclass(frozen=True)
class Decision:
    """The judged state at a decision: the record, each action's orders and violations, the safe mask."""

    ctx: RecordContext
    snapshot: RecordSnapshot
    env_mask: np.ndarray
    orders: tuple[tuple[Order, ...], ...]
    violations: tuple[tuple[Violation, ...], ...]
    safe_mask: np.ndarray


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The shield's decision on one proposed action: what runs, and the rules that fired.

    ``proposed_violations`` and ``executed_violations``: the rules each action breaks (the same
    tuple when the action runs unchanged; () for do-nothing).
    """

    proposed: int
    executed: int
    proposed_violations: tuple[Violation, ...]
    executed_violations: tuple[Violation, ...]

    @property
    def intervened(self) -> bool:
        return self.executed != self.proposed

    @property
    def hard(self) -> tuple[Violation, ...]:
        """The proposed action's hard violations."""
        return tuple(v for v in self.proposed_violations if v.rule.hard)

    @property
    def executed_hard(self) -> int:
        return sum(v.rule.hard for v in self.executed_violations)

    @property
    def fired(self) -> tuple[Violation, ...]:
        """What costs are charged on: the proposed action's violations, plus the executed one's if it differs."""
        return self.proposed_violations + (self.executed_violations if self.intervened else ())

    @property
    def soft_cost(self) -> float:
        return sum(v.rule.cost for v in self.fired if not v.rule.hard)

    def costs(self, rules: RuleSet) -> dict[str, float]:
        """``{"cost_<rule_id>": cost}`` for every rule of ``rules`` (Safety-Gymnasium keys)."""
        costs = {f"cost_{r.id}": 0.0 for r in rules.rules}
        for v in self.fired:
            costs[f"cost_{v.rule.id}"] += v.rule.cost
        return costs


def shield_action(
    mode: str, proposed: int, violations_of: Callable[[int], Sequence[Violation]], allowed: Callable[[int], bool]
) -> Outcome:
    """The one decision rule of both shields: keep a safe action, else raise, replace or block.

    ``violations_of(a)``: the rules action ``a`` breaks now (judged on the record; () for an action
    the env mask refuses); ``allowed(a)``: the env mask. In ``replace`` mode the first hard rule
    whose ``fallback`` is allowed and itself breaks no hard rule gives the executed action;
    otherwise (and in ``mask``/``block`` mode) do-nothing runs.
    """
    judged = tuple(violations_of(proposed))
    hard = [v for v in judged if v.rule.hard]
    if not hard:
        return Outcome(proposed, proposed, judged, judged)
    if mode == "raise":
        raise SafetyViolationError(proposed, hard)
    if mode == "replace":
        for v in hard:
            f = None if v.rule.fallback is None else ACTION_INDEX[v.rule.fallback]
            if f is not None and allowed(f):
                again = tuple(violations_of(f))
                if not any(w.rule.hard for w in again):
                    return Outcome(proposed, f, judged, again)
    return Outcome(proposed, DO_NOTHING, judged, ())


def row_snapshot(batch: Batch, ctx: RecordContext, row: int) -> RecordSnapshot:
    """The GP record of batch ``row``'s current patient on its decision date."""
    sim = batch.sim
    return RecordSnapshot.from_record(
        sim.record,
        sim.record.first_id + row,
        int(sim.days[row]),
        float(ctx.age_years[row]),
        ctx.params["current_medication_window_days"],
    )


def decide(env: PrimaryCareEnv, rules: RuleSet) -> Decision:
    """Judge every action the env would execute now (masked actions do nothing, so have no orders).

    The orders are the env's own resolution (``env.batch.resolve``): the ones its step executes.
    """
    batch = env.batch
    ctx, env_mask = batch.context(), batch.masks()[0]
    snap = row_snapshot(batch, ctx, 0)
    orders = tuple(batch.resolve(a, _ROW0).orders_of(0) if env_mask[a] else () for a in range(len(env_mask)))
    violations = tuple(tuple(judge(rules, o, snap)) for o in orders)
    safe = env_mask & np.array([not any(v.rule.hard for v in vs) for vs in violations])
    safe[DO_NOTHING] = True
    return Decision(ctx, snap, env_mask, orders, violations, safe)


class SafetyShield(gym.Wrapper, RecordConstructorArgs):
    """Shield a :class:`PrimaryCareEnv`: judge, mask/replace/block/raise, charge costs, write the audit log.

    Args:
        env: a ``PrimaryCare-v0`` env (wrapped or not).
        mode: one of :data:`MODES` (default ``"replace"``).
        rules: ``{"disable": [rule ids], "add": [rule dicts]}`` over the packaged rule file, or None.
        audit_path: JSON Lines file the audit log is appended to (None: no log); locked while open.
        audit_key_file: file holding the HMAC key of the log (default: ``$TWIN_ENV_AUDIT_KEY``, else keyless).
        fsync: fsync the log after every entry (slower; survives power loss, not just a killed process).
    """

    def __init__(
        self,
        env: gym.Env,
        mode: str = "replace",
        rules: dict[str, Any] | None = None,
        audit_path: str | None = None,
        fsync: bool = False,
        audit_key_file: str | None = None,
    ) -> None:
        RecordConstructorArgs.__init__(
            self, mode=mode, rules=rules, audit_path=audit_path, fsync=fsync, audit_key_file=audit_key_file
        )
        gym.Wrapper.__init__(self, env)
        if not isinstance(mode, str) or mode not in MODES:
            raise ValueError(f"mode {mode!r}; allowed: {list(MODES)}")
        for name, value in (("audit_path", audit_path), ("audit_key_file", audit_key_file)):
            if value is not None and (not isinstance(value, (str, os.PathLike)) or not str(value).strip()):
                raise ValueError(f"{name} must be a file path (str) or None, got {value!r}")
        if not isinstance(fsync, bool):
            raise ValueError(f"fsync must be a bool, got {fsync!r}")
        if not isinstance(env.unwrapped, PrimaryCareEnv):
            raise ValueError(f"SafetyShield wraps a PrimaryCareEnv, got {type(env.unwrapped).__name__}")
        self.mode, self.rules = mode, shield_rules(rules)
        self.metrics = SafetyMetrics()
        key = audit_key(audit_key_file) if audit_path is not None else None
        self.audit = AuditLog(audit_path, fsync=fsync, key=key) if audit_path is not None else None
        self.episode, self.episode_cost = -1, 0.0
        self._decision: Decision | None = None

    @property
    def decision(self) -> Decision:
        if self._decision is None:
            raise RuntimeError("call reset() before step()")
        return self._decision

    @property
    def audit_head(self) -> str | None:
        """The audit log's head hash (keep it outside the log's folder; ``twin-env audit verify --head``)."""
        return self.audit.head if self.audit is not None else None

    def action_masks(self) -> np.ndarray:
        """(n_actions,) bool: the env's mask minus every action a hard rule forbids now."""
        return self.decision.safe_mask.copy()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.episode, self.episode_cost = self.episode + 1, 0.0
        self.metrics.start_episode()
        self._decision = decide(self.env.unwrapped, self.rules)
        info.update(self._reset_info())
        info["action_mask"] = self.action_masks()
        return obs, info

    def _reset_info(self) -> dict[str, Any]:
        """The keys :meth:`step` adds, with their values before any action (the env's info schema: same keys)."""
        info: dict[str, Any] = {f"cost_{r.id}": 0.0 for r in self.rules.rules}
        info.update(
            cost=0.0, episode_cost=0.0, proposed_action=DO_NOTHING, executed_action=DO_NOTHING,
            shield_intervened=False, violations=[],
        )  # fmt: skip
        if self.audit is not None:
            info["audit_hash"] = ""
        return info

    def choose(self, action: int) -> Outcome:
        """What the shield does with ``action`` now (raises in ``raise`` mode)."""
        d = self.decision
        return shield_action(self.mode, action, d.violations.__getitem__, d.env_mask.__getitem__)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        a = np.asarray(action)
        n = self.env.unwrapped.n_actions
        if a.shape not in ((), (1,)) or a.dtype.kind not in "iu" or not 0 <= int(a.reshape(-1)[0]) < n:
            raise ValueError(f"invalid action {action!r}; allowed: an integer in [0, {n - 1}]")
        proposed = int(a.reshape(-1)[0])
        d = self.decision
        out = self.choose(proposed)
        executed, fired = out.executed, out.fired
        obs, reward, terminated, truncated, info = self.env.step(executed)
        costs = out.costs(self.rules)
        cost = float(sum(costs.values()))
        self.episode_cost += cost
        self.metrics.record(
            proposed_hard=len(out.hard),
            executed_hard=out.executed_hard,
            cost=cost,
            intervened=out.intervened,
            soft_cost=out.soft_cost,
            fired=[v.rule.id for v in fired],
        )
        info.update(
            costs,
            cost=cost,
            episode_cost=self.episode_cost,
            proposed_action=proposed,
            executed_action=executed,
            shield_intervened=out.intervened,
            violations=[v.to_dict() for v in fired],
        )
        if self.audit is not None:
            entry = self.audit.append({
                "episode": self.episode, "patient": info["patient_index"],
                "date": str(np.datetime64(d.snapshot.day, "D")),
                "mode": self.mode, "rules_version": self.rules.version,
                "proposed": {"action": proposed, "name": ACTIONS[proposed].name},
                "executed": {"action": executed, "name": ACTIONS[executed].name},
                "mask": "".join("1" if m else "0" for m in d.safe_mask), "rules_fired": info["violations"],
                "model_outputs": info["model_outputs"], "reward": float(reward), "cost": cost,
                "terminated": bool(terminated), "truncated": bool(truncated), "record_digest": d.snapshot.digest,
            })  # fmt: skip
            info["audit_hash"] = entry["hash"]
        self._decision = decide(self.env.unwrapped, self.rules)
        info["action_mask"] = self.action_masks()
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        if self.audit is not None:
            self.audit.close()
        super().close()


def make_shielded_env(
    config: EnvConfig | dict[str, Any] | None = None,
    render_mode: str | None = None,
    mode: str = "replace",
    rules: dict[str, Any] | None = None,
    audit_path: str | None = None,
    fsync: bool = False,
    audit_key_file: str | None = None,
    action_set: str | None = None,
) -> SafetyShield:
    """Entry point of ``twin_env/PrimaryCare-Shielded-v1`` (and ``-v0``): a shielded ``PrimaryCareEnv``."""
    env = PrimaryCareEnv(config, render_mode, action_set)
    return SafetyShield(env, mode=mode, rules=rules, audit_path=audit_path, fsync=fsync, audit_key_file=audit_key_file)
