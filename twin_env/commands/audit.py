"""``twin-env audit verify FILE`` (check the hash chain) and ``twin-env audit show FILE --patient ID``."""

from __future__ import annotations

import argparse
import json
import sys

from twin_env.commands import CommandError
from twin_env.safety.audit import read_entries, verify

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``audit`` (with ``verify`` and ``show``) on the top-level subparsers."""
    parser = subparsers.add_parser("audit", help="verify or read a safety audit log (JSON Lines, SHA-256 chain)")
    actions = parser.add_subparsers(dest="audit_action", required=True)
    ver = actions.add_parser("verify", help="check the chain; report the first altered, removed, inserted or reordered entry")
    ver.add_argument("file")
    ver.add_argument("--head", default=None, help="the last hash the writer reported (also detects a cut tail)")
    show = actions.add_parser("show", help="print one patient's trail")
    show.add_argument("file")
    show.add_argument("--patient", type=int, required=True, help="patient index (the entries' 'patient')")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """0 if verified / shown; 1 if verification fails (bad input raises :class:`CommandError`)."""
    try:
        if args.audit_action == "verify":
            result = verify(args.file, head=args.head)
            if result.ok:
                print(f"{args.file}: OK, {result.entries} entries, head {result.head}")
                return 0
            print(f"{args.file}: line {result.line}: {result.kind} entry ({result.detail})", file=sys.stderr)
            return 1
        entries = [e for e in read_entries(args.file) if e.get("patient") == args.patient]
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from None
    if not entries:
        raise CommandError(f"no entries for patient {args.patient} in {args.file}")
    for e in entries:
        action = e["proposed"]["name"]
        if e["executed"]["action"] != e["proposed"]["action"]:
            action += f" -> {e['executed']['name']} ({e['mode']})"
        print(f"#{e['seq']:<5} episode {e['episode']} {e['date']}  {action}  reward {e['reward']:+.3f}  cost {e['cost']:g}")
        for v in e["rules_fired"]:
            print(f"        {v['severity']} {v['rule']} on {v['order']['kind']} {v['order']['name']}; evidence {', '.join(v['evidence']) or '-'}")
        for m in e["model_outputs"]:
            print(f"        model {m['model_id']}: score {m['score_percent']}")
    return 0
