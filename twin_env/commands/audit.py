"""``twin-env audit verify FILE`` (check the hash chain) and ``twin-env audit show FILE --patient ID``."""

from __future__ import annotations

import argparse
import json
import sys

from twin_env.commands import CommandError
from twin_env.commands.checks import int_arg
from twin_env.safety.audit import audit_key, read_entries, verify

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``audit`` (with ``verify`` and ``show``) on the top-level subparsers."""
    parser = subparsers.add_parser("audit", help="verify or read a safety audit log (JSON Lines, SHA-256 chain)")
    actions = parser.add_subparsers(dest="audit_action", required=True)
    ver = actions.add_parser(
        "verify", help="check the chain; report the first altered, removed, inserted or reordered entry"
    )
    ver.add_argument("file")
    ver.add_argument(
        "--head",
        default=None,
        help="the last hash the writer reported (info['audit_hash']), kept outside the log's folder: "
        "the log must end exactly there (detects a rewritten, appended or cut log)",
    )
    ver.add_argument(
        "--key-file", default=None, help="file holding the log's HMAC key (default: $TWIN_ENV_AUDIT_KEY if set)"
    )
    show = actions.add_parser("show", help="print one patient's trail")
    show.add_argument("file")
    show.add_argument(
        "--patient", type=int_arg(0, 2**63 - 1), required=True, help="patient index (the entries' 'patient')"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """0 if verified / shown; 1 if verification fails (bad input raises :class:`CommandError`)."""
    try:
        if args.audit_action == "verify":
            if args.head is not None and not _is_digest(args.head):
                raise CommandError(f"--head must be 64 lowercase hex digits (a SHA-256 digest), got {args.head!r}")
            key = audit_key(args.key_file)
            result = verify(args.file, head=args.head, key=key)
            if result.ok:
                anchor = "anchored to --head" if result.anchored else "not anchored: pass --head to detect a rewrite"
                keyed = "keyed" if key is not None else "keyless"
                print(f"{args.file}: OK, {result.entries} entries, head {result.head} ({keyed}, {anchor})")
                return 0
            print(f"{args.file}: line {result.line}: {result.kind} entry ({result.detail})", file=sys.stderr)
            return 1
        entries = [e for e in read_entries(args.file) if isinstance(e, dict) and e.get("patient") == args.patient]
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise CommandError(f"file {args.file}: cannot read ({why}); allowed: an audit log (JSON Lines)") from None
    except ValueError as exc:  # a bad key file
        raise CommandError(str(exc)) from None
    if not entries:
        raise CommandError(f"no entries for patient {args.patient} in {args.file}")
    try:
        _print_trail(entries)
    except (KeyError, TypeError, AttributeError) as exc:
        raise CommandError(f"file {args.file}: not an audit log of the safety shield (entry lacks {exc})") from None
    return 0


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _print_trail(entries: list[dict]) -> None:
    for e in entries:
        if "proposed" not in e:
            continue
        action = e["proposed"]["name"]
        if e["executed"]["action"] != e["proposed"]["action"]:
            action += f" -> {e['executed']['name']} ({e['mode']})"
        print(
            f"#{e['seq']:<5} episode {e['episode']} {e['date']}  {action}  "
            f"reward {e['reward']:+.3f}  cost {e['cost']:g}"
        )
        for v in e["rules_fired"]:
            print(
                f"        {v['severity']} {v['rule']} on {v['order']['kind']} {v['order']['name']}; "
                f"evidence {', '.join(v['evidence']) or '-'}"
            )
        for m in e["model_outputs"]:
            print(f"        model {m['model_id']}: score {m['score_percent']}")
