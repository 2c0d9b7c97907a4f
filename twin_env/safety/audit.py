"""The tamper-evident audit log: append-only JSON Lines with a SHA-256 hash chain.

Each line is the canonical JSON (sorted keys, no whitespace, UTF-8, no NaN) of one entry; its
``hash`` is the SHA-256 of the canonical JSON of the entry without ``hash``, and its ``prev_hash``
the previous entry's ``hash`` (:data:`GENESIS` for the first). ``seq`` counts from 0 per file.

After every entry the writer also replaces a sidecar file ``<path>.head`` (atomically) holding
``"<seq> <hash>"`` of the last entry it wrote. A chain alone cannot tell a deleted last line from
a process killed mid-run; the sidecar can: ``verify`` accepts a chain that ends at the recorded
head, or one entry past it (killed between the two writes), and reports anything shorter as a
removed tail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text (non-ASCII kept), NaN/inf refused."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid in an audit entry")


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json({k: v for k, v in entry.items() if k != "hash"}).encode("utf-8")).hexdigest()


class AuditLog:
    """Appends entries to ``path`` (continuing an existing chain); each write is flushed (and fsync'd if asked)."""

    def __init__(self, path: str | Path, *, fsync: bool = False) -> None:
        self.path, self.fsync = Path(path), fsync
        self.seq, self.head = 0, GENESIS
        if self.path.exists() and self.path.stat().st_size > 0:
            last = self.path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
            entry = json.loads(last)
            self.seq, self.head = int(entry["seq"]) + 1, str(entry["hash"])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8", newline="\n")

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Write ``entry`` with ``seq``, ``prev_hash`` and ``hash`` added; returns the written entry."""
        full = {**entry, "seq": self.seq, "prev_hash": self.head}
        full["hash"] = entry_hash(full)
        self._fh.write(canonical_json(full) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())
        self.seq, self.head = self.seq + 1, full["hash"]
        _write_head_file(self.path, full["seq"], full["hash"])
        return full

    def close(self) -> None:
        self._fh.close()


def head_file(path: str | Path) -> Path:
    """The sidecar holding the writer's last ``seq`` and ``hash``."""
    path = Path(path)
    return path.with_name(path.name + ".head")


def _write_head_file(path: Path, seq: int, digest: str) -> None:
    target = head_file(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(f"{seq} {digest}\n", encoding="ascii")
    os.replace(partial, target)


def _read_head_file(path: Path) -> tuple[int, str] | None:
    target = head_file(path)
    if not target.exists():
        return None
    try:
        seq, digest = target.read_text(encoding="ascii").split()
        return int(seq), digest
    except (ValueError, UnicodeDecodeError):
        return (-1, "")  # an unreadable sidecar matches no entry: reported as altered


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """``ok``; else the first bad ``line`` (1-based), its ``kind`` and why.

    ``kind``: altered, removed, inserted, reordered or truncated.
    """

    ok: bool
    entries: int
    head: str
    line: int | None = None
    kind: str | None = None
    detail: str = ""


def read_entries(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a log file (no verification)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def verify(path: str | Path, head: str | None = None) -> VerifyResult:
    """Check the chain of ``path``; with ``head`` (the last hash the writer reported) also detect a cut tail.

    Without ``head`` a removed last entry is indistinguishable from a killed process (a valid prefix).
    """
    raw = Path(path).read_bytes()
    if raw and not raw.endswith(b"\n"):
        return VerifyResult(False, 0, GENESIS, raw.count(b"\n") + 1, "altered", "last line has no newline terminator")
    lines = raw.split(b"\n")[:-1] if raw else []
    parsed: list[dict[str, Any] | None] = []
    for line in lines:
        try:
            e = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
            parsed.append(e if isinstance(e, dict) and canonical_json(e).encode("utf-8") == line else None)
        except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError; so is NaN
            parsed.append(None)
    seqs = [e.get("seq") if e else None for e in parsed]
    prev = GENESIS
    for i, e in enumerate(parsed):
        n = i + 1
        if e is None or not isinstance(e.get("seq"), int) or e.get("hash") != entry_hash(e):
            return VerifyResult(False, i, prev, n, "altered", "not canonical JSON or hash does not match content")
        if e["seq"] > i:
            kind = "reordered" if i in seqs[i + 1 :] else "removed"
            return VerifyResult(False, i, prev, n, kind, f"expected seq {i}, found {e['seq']}")
        if e["seq"] < i:
            kind = "reordered" if seqs.count(e["seq"]) == 1 else "inserted"
            return VerifyResult(False, i, prev, n, kind, f"expected seq {i}, found {e['seq']}")
        if e["prev_hash"] != prev:
            return VerifyResult(False, i, prev, n, "inserted", "prev_hash does not match the previous entry's hash")
        prev = e["hash"]
    if head is not None and head != prev:
        return VerifyResult(
            False,
            len(parsed),
            prev,
            len(parsed) + 1,
            "truncated",
            f"chain ends at {prev[:12]}, expected head {head[:12]}",
        )
    recorded = _read_head_file(Path(path)) if head is None else None
    if recorded is not None:
        seq, digest = recorded
        hashes = [e["hash"] for e in parsed if e]
        if seq >= len(hashes) and seq >= 0:
            return VerifyResult(
                False,
                len(parsed),
                prev,
                len(parsed) + 1,
                "removed",
                f"the writer recorded entry {seq} as its last; the file ends at entry {len(hashes) - 1}",
            )
        if seq < len(hashes) - 2 or seq < 0 or hashes[seq] != digest:
            return VerifyResult(
                False, len(parsed), prev, max(seq, 0) + 1, "altered", "the head file does not match the chain"
            )
    return VerifyResult(True, len(parsed), prev)
