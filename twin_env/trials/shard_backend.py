"""Run one function over contiguous index shards of a cohort, in process, in worker processes, or as Ray tasks.

The one shard/merge helper of trials (:mod:`twin_env.trials.shards`) and evaluations
(:mod:`twin_env.evaluation.shards`): :func:`shard_bounds` splits ``n`` patients into ``K`` contiguous
``[first, stop)`` ranges; :func:`run_shards` calls ``task(*args)`` once per shard and returns the results in
shard order, whatever order the workers finish in, so the caller's merge sees the same data every time.

Backends: ``local`` (this process, or ``processes`` > 1 worker processes of :mod:`concurrent.futures`,
started with ``spawn``) and ``ray`` (each shard a ``ray.remote`` task; Ray is imported only then and is
the ``ray`` extra). When this module starts Ray (``ray.init``), the job ships this ``twin_env`` package to the
workers as a ``py_modules`` runtime environment (:func:`ray_runtime_env`), so every node runs the driver's code;
a caller that initialised Ray itself passes that runtime environment (or installs the same ``twin_env`` on every
node).
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

#: Where a sharded run's shards execute.
BACKENDS: tuple[str, ...] = ("local", "ray")
#: Most shards a run may ask for (one shard per patient is already more than any cluster needs).
MAX_SHARDS = 100_000
_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the twin_env package this module belongs to


@dataclasses.dataclass(frozen=True)
class Sharding:
    """How to split a run: ``shards`` contiguous index shards on ``backend``.

    ``processes``: worker processes of the ``local`` backend (1: run the shards one after another in this
    process). ``address``: the Ray cluster to join (``"auto"``: the one ``ray start --head`` started on this
    machine; ``None``: start a local Ray for this run unless one is already initialised).
    """

    shards: int = 1
    backend: str = "local"
    processes: int = 1
    address: str | None = None

    def __post_init__(self) -> None:
        for name in ("shards", "processes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= MAX_SHARDS:
                raise ValueError(f"{name} must be an integer in [1, {MAX_SHARDS:,}], got {value!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend {self.backend!r}; allowed: {', '.join(BACKENDS)}")
        if self.processes > 1 and self.backend != "local":
            raise ValueError(f"processes {self.processes} is for the local backend; Ray sizes its own workers")
        if self.address is not None and self.backend != "ray":
            raise ValueError(f"address {self.address!r} is for the ray backend, not {self.backend!r}")

    @property
    def in_process(self) -> bool:
        """Whether the shards run in this process (and may share its memory)."""
        return self.backend == "local" and self.processes == 1


def shard_bounds(n: int, shards: int) -> list[tuple[int, int]]:
    """``shards`` contiguous ``(first, stop)`` ranges covering ``[0, n)``; sizes differ by at most one.

    Raises ``ValueError`` (one line) when ``shards`` is not in ``[1, n]`` (an empty shard is a mistake).
    """
    if isinstance(shards, bool) or not isinstance(shards, numbers.Integral) or not 1 <= shards <= max(n, 1):
        raise ValueError(f"shards must be an integer in [1, {max(n, 1):,}] (at least one patient each), got {shards!r}")
    size, extra = divmod(n, shards)
    bounds, first = [], 0
    for k in range(shards):
        stop = first + size + (k < extra)
        bounds.append((first, stop))
        first = stop
    return bounds


def run_shards(
    task: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    sharding: Sharding,
    *,
    done: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """``[task(*a) for a in args]`` on ``sharding``'s backend, in the order of ``args``.

    ``task`` must be a module-level function of ``twin_env`` (workers import it by name) and its arguments
    picklable. ``done(finished, total)`` is called as shards finish. Raises ``ImportError`` (one line) when
    the ray backend is asked for without Ray installed and ``ValueError`` (one line) when no Ray cluster is at
    ``sharding.address``.
    """
    total = len(args)
    if sharding.in_process:
        results = []
        for k, a in enumerate(args):
            results.append(task(*a))
            if done is not None:
                done(k + 1, total)
        return results
    if sharding.backend == "local":
        return _run_processes(task, args, sharding.processes, done)
    return _run_ray(task, args, sharding.address, done)


def _run_processes(
    task: Callable[..., Any], args: Sequence[tuple[Any, ...]], processes: int, done: Callable[[int, int], None] | None
) -> list[Any]:
    results: list[Any] = [None] * len(args)
    with ProcessPoolExecutor(max_workers=min(processes, len(args)), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(task, *a): k for k, a in enumerate(args)}
        for finished, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if done is not None:
                done(finished, len(args))
    return results


def ray_runtime_env() -> dict[str, Any]:
    """The Ray job runtime environment that ships this ``twin_env`` package to every worker (``py_modules``)."""
    return {"py_modules": [str(_PACKAGE_DIR)]}


def _run_ray(
    task: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    address: str | None,
    done: Callable[[int, int], None] | None,
) -> list[Any]:
    try:
        import ray  # noqa: PLC0415 (optional: the ray extra)
    except ImportError:
        raise ImportError("the ray backend needs Ray (pip install 'twin-env[ray]'); or use --backend local") from None
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(
                address=address,
                runtime_env=ray_runtime_env(),
                include_dashboard=False,
                log_to_driver=False,
                logging_level="ERROR",
            )
        except ConnectionError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(
                f"address {address!r}: no Ray cluster there ({reason}); start one with `ray start --head` "
                "or leave out --address for a local Ray"
            ) from None
    try:
        remote = ray.remote(task)
        refs = [remote.remote(*a) for a in args]
        pending, finished = list(refs), 0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            finished += len(ready)
            if done is not None:
                done(finished, len(refs))
        return ray.get(refs)
    finally:
        if started:
            ray.shutdown()
