"""``twin-env whatif``: a patient's FHIR record forecast forward under strategies, with intervals.

``twin-env whatif RECORD.json --out DIR [--years Y] [--samples K] [--seed S] [--strategy JSON ...]
[--impossible-values {error,ignore}]`` reads the record (a value outside its plausible range refuses it, or with
``ignore`` is listed as ignored), infers K posterior samples of the patient's latent state, follows them Y years
under each strategy on common random numbers and writes ``DIR/whatif.json`` (keys ``reading``, ``posterior``,
``strategies``) and ``DIR/fan_chart.png`` (with matplotlib); it prints a table. A strategy is a JSON object as in a
trial protocol: a strategy (``{"kind": "drugs", ...}``, named by its kind) or an arm (``{"name": ..., "strategy":
{...}}``); the default is ``{"kind": "none"}``. Bad input is one line, nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin_env.commands import CommandError, ProgressBar, atomic_output_dir, check_output_dir
from twin_env.patient_twin.bundle_errors import IMPOSSIBLE_VALUES

if TYPE_CHECKING:
    from twin_env.trials.schema import Arm

__all__ = ["add_parser", "parse_strategies", "run"]

MAX_SAMPLES = 20_000
#: Outcomes the printed table shows (at the last year).
TABLE_OUTCOMES: tuple[str, ...] = ("cvd", "mi", "stroke", "death")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "whatif", help="forecast a patient's FHIR record under strategies", description=__doc__.splitlines()[0]
    )
    parser.add_argument("record", metavar="RECORD", type=Path, help="FHIR R4 Bundle (JSON file) of one patient")
    parser.add_argument("--out", type=Path, required=True, help="output directory (must be empty or absent)")
    parser.add_argument("--years", type=int, default=5, help="years to forecast (1-30; default 5)")
    parser.add_argument("--samples", type=int, default=200, help=f"posterior samples (1-{MAX_SAMPLES}; default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the posterior and the forecast (default 0)")
    parser.add_argument(
        "--strategy",
        action="append",
        metavar="JSON",
        help='a strategy as in trial protocols, e.g. \'{"kind": "drugs", "start": [{"drug": "atorvastatin", '
        '"dose": 20}]}\' or {"name": ..., "strategy": {...}}; repeatable (default {"kind": "none"})',
    )
    parser.add_argument(
        "--impossible-values",
        choices=IMPOSSIBLE_VALUES,
        default="error",
        help="a value outside its plausible range (an SBP of 900): error refuses the record (default), "
        "ignore lists that entry as ignored and reads the rest",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    parser.set_defaults(func=run)


def parse_strategies(texts: list[str] | None) -> list[Arm]:
    """The ``--strategy`` JSON texts as named arms (default: ``none``); ``CommandError`` naming the bad one."""
    from twin_env.trials import ProtocolError  # noqa: PLC0415 (lifelines: keep --help fast)
    from twin_env.trials.protocol import parse_arm  # noqa: PLC0415

    arms: list[Arm] = []
    for index, text in enumerate(texts or ['{"kind": "none"}']):
        where = f"--strategy[{index}]"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{where}: not valid JSON ({exc.msg}); allowed: a strategy object as in a protocol"
            ) from None
        try:
            arm = parse_arm(data, where)
        except ProtocolError as exc:
            raise CommandError(str(exc)) from None
        if arm.name in (a.name for a in arms):
            raise CommandError(f'{where}: duplicate name {arm.name!r}; name it: {{"name": ..., "strategy": {{...}}}}')
        _check_policy(arm, where)
        arms.append(arm)
    return arms


def _check_policy(arm: Arm, where: str) -> None:
    from twin_env.policies import POLICIES, PRETRAINED  # noqa: PLC0415

    name = getattr(arm.strategy, "policy", None)
    if name is not None and name not in POLICIES and name not in PRETRAINED and not Path(name).is_dir():
        allowed = ", ".join([*POLICIES, *PRETRAINED])
        raise CommandError(f"{where}.policy: must be one of {allowed} or a trained model directory, got {name!r}")


def _check_numbers(args: argparse.Namespace) -> None:
    from twin_env.trials.whatif import MAX_YEARS  # noqa: PLC0415

    if not 1 <= args.years <= MAX_YEARS:
        raise CommandError(f"--years must be a whole number from 1 to {MAX_YEARS}, got {args.years}")
    if not 1 <= args.samples <= MAX_SAMPLES:
        raise CommandError(f"--samples must be from 1 to {MAX_SAMPLES}, got {args.samples}")
    if args.seed < 0:
        raise CommandError(f"--seed must be a non-negative integer, got {args.seed}")
    if not args.record.is_file():
        raise CommandError(f"RECORD {args.record}: no such file; allowed: a FHIR R4 Bundle JSON file")


def run(args: argparse.Namespace) -> int:
    _check_numbers(args)
    arms = parse_strategies(args.strategy)
    check_output_dir(args.out, overwrite=args.overwrite)
    from twin_env.trials.whatif_record import whatif_from_record  # noqa: PLC0415

    bar = _Progress(enabled=sys.stderr.isatty())
    try:
        result = whatif_from_record(
            args.record,
            arms,
            years=args.years,
            samples=args.samples,
            seed=args.seed,
            progress=bar,
            impossible_values=args.impossible_values,
        )
    except ValueError as exc:  # RecordReadError, an impossible record, bad numbers
        raise CommandError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.record}: {getattr(exc, 'strerror', None) or exc}") from None
    with atomic_output_dir(args.out, overwrite=args.overwrite) as work:
        (work / "whatif.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        skipped = _plot(result["strategies"], work / "fan_chart.png", args)
    if skipped:
        print(skipped, file=sys.stderr)
    print("\n".join(table_lines(result["strategies"], args.years)))
    print(f"{len(arms)} strategies, {args.samples} samples, {args.years} years; whatif.json in {args.out}")
    return 0


def _plot(strategies: dict[str, Any], path: Path, args: argparse.Namespace) -> str | None:
    """Draw the fan chart; the reason it was skipped (no matplotlib) or None."""
    from twin_env.trials.whatif_plot import fan_chart  # noqa: PLC0415

    try:
        fan_chart(strategies, path, title=f"{args.record.name}: {args.samples} samples, seed {args.seed}")
    except ImportError as exc:
        return f"fan chart skipped: {exc}"
    return None


def table_lines(strategies: dict[str, Any], years: int) -> list[str]:
    """The printed table: per strategy, the risk of :data:`TABLE_OUTCOMES` by year ``years``, QALYs and cost."""

    def cell(s: dict[str, float], fmt: str, scale: float = 1.0) -> str:
        return f"{s['mean'] * scale:{fmt}} ({s['p05'] * scale:{fmt}}-{s['p95'] * scale:{fmt}})"

    width = max(10, *(len(name) for name in strategies))
    head = [f"{f'{o} {years}y %':>18}" for o in TABLE_OUTCOMES]
    lines = [f"{'strategy':<{width}} {' '.join(head)} {'QALYs':>18} {'cost GBP':>22}"]
    for name, s in strategies.items():
        risks = [f"{cell(s['risk_by_year'][o][-1], '.1f', 100.0):>18}" for o in TABLE_OUTCOMES]
        lines.append(
            f"{name:<{width}} {' '.join(risks)} {cell(s['qalys'], '.2f'):>18} {cell(s['cost_gbp'], ',.0f'):>22}"
        )
    lines.append("mean (90% interval); risks cumulative by the year; QALYs and costs discounted at 3.5%")
    return lines


class _Progress:
    """The forecast's progress callback ``(done, total)`` as the commands' :class:`ProgressBar`."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: ProgressBar | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = ProgressBar("whatif", total, enabled=self.enabled)
        self._bar.update(done)
