"""The tamper-evident audit log: append-only JSON Lines with a SHA-256 (or HMAC-SHA-256) hash chain.

Each line is the RFC 8785 canonical JSON (JCS, via the ``rfc8785`` package, so any language can
re-verify) of one entry; its ``hash`` is the SHA-256 of the canonical JSON of the entry without
``hash`` (HMAC-SHA-256 under a secret key when the log is keyed: ``alg`` says which), and its
``prev_hash`` the previous entry's ``hash`` (:data:`GENESIS` for the first). ``seq`` counts from 0
per file.

* **Key**: ``AuditLog(path, key=...)``; :func:`audit_key` reads it from a key file or the
  ``TWIN_ENV_AUDIT_KEY`` environment variable. Without the key nobody can recompute a valid hash.
* **Head anchor**: every append returns the new head hash (the shield reports it as
  ``info["audit_hash"]``). The caller keeps it outside the log's folder and checks with
  ``verify(path, head=...)``: a rewritten or cut log no longer ends at that head.
* **Sidecar** ``<path>.head`` (``"<seq> <hash>"``, replaced atomically after each entry): tells a
  deleted last line from a killed process when no head is given. It lives beside the log, so it
  protects against accidents, not against a forger (see docs/safety.md, threat model).
* **One writer**: an exclusive ``fcntl.flock`` on the log; a second writer gets
  :class:`AuditLogBusy` (one line).
* **Torn last line** (killed mid-write): on reopen the bytes after the last newline are cut off
  with a warning and a ``recovered_torn_line`` entry records what was removed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import rfc8785

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: no advisory locks; documented in docs/safety.md)
    fcntl = None  # type: ignore[assignment]

GENESIS = "0" * 64
KEY_ENV = "TWIN_ENV_AUDIT_KEY"
ALG_PLAIN, ALG_KEYED = "sha256", "hmac-sha256"


class AuditLogBusy(RuntimeError):
    """Another writer holds the log's lock."""


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON as UTF-8 bytes; NaN/inf refused."""
    return rfc8785.dumps(obj)


def audit_key(key_file: str | Path | None = None) -> bytes | None:
    """The HMAC key: the contents of ``key_file`` if given, else ``$TWIN_ENV_AUDIT_KEY``, else None (keyless)."""
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise ValueError(f"audit key file {key_file}: cannot read ({exc.strerror or exc})") from None
        if not key:
            raise ValueError(f"audit key file {key_file}: empty; allowed: a file holding a secret of >= 1 byte")
        return key
    env = os.environ.get(KEY_ENV, "")
    return env.encode("utf-8") if env else None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid in an audit entry")


def entry_hash(entry: dict[str, Any], key: bytes | None = None) -> str:
    """SHA-256 (HMAC-SHA-256 with ``key``) of the canonical JSON of ``entry`` without ``hash``."""
    body = canonical_json({k: v for k, v in entry.items() if k != "hash"})
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _lock(fh: BinaryIO, path: Path) -> None:
    if fcntl is None:  # pragma: no cover
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise AuditLogBusy(
            f"audit log {path} is open by another writer; "
            "allowed: one writer per log (give each env its own audit_path)"
        ) from None


class AuditLog:
    """Appends entries to ``path`` (continuing an existing chain) under an exclusive lock.

    Args:
        path: the JSON Lines file (created with its folder if missing).
        fsync: fsync after every entry (survives power loss, not just a killed process).
        key: HMAC key (bytes) or None for a keyless SHA-256 chain; a reopened log keeps its kind.
    """

    def __init__(self, path: str | Path, *, fsync: bool = False, key: bytes | None = None) -> None:
        self.path, self.fsync, self.key = Path(path), fsync, key
        self.alg = ALG_KEYED if key is not None else ALG_PLAIN
        self.seq, self.head = 0, GENESIS
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: BinaryIO = self.path.open("a+b")
        _lock(self._fh, self.path)
        torn = self._resume()
        if torn is not None:
            warnings.warn(
                f"audit log {self.path}: removed a torn last line ({len(torn)} bytes) left by a killed writer",
                RuntimeWarning,
                stacklevel=2,
            )
            self.append({
                "event": "recovered_torn_line",
                "removed_bytes": len(torn),
                "removed_sha256": hashlib.sha256(torn).hexdigest(),
            })  # fmt: skip

    def _resume(self) -> bytes | None:
        """Continue after the last complete entry; cut and return a torn tail (None if there is none)."""
        self._fh.seek(0)
        raw = self._fh.read()
        cut = raw.rfind(b"\n") + 1
        torn = raw[cut:] or None
        if torn is not None:
            self._fh.truncate(cut)
            self._fh.flush()
        complete = raw[:cut].rstrip(b"\n")
        if not complete:
            return torn
        last = complete.rsplit(b"\n", 1)[-1]
        try:
            entry = json.loads(last)
            self.seq, self.head = int(entry["seq"]) + 1, str(entry["hash"])
            alg = entry.get("alg", ALG_PLAIN)
        except (ValueError, KeyError, TypeError):
            self.close()
            raise ValueError(
                f"audit log {self.path}: last line is not an audit entry; run `twin-env audit verify` on it"
            ) from None
        if alg != self.alg:
            self.close()
            raise ValueError(
                f"audit log {self.path} is a {alg} chain; allowed: continue it with the same kind "
                f"({'the key' if alg == ALG_KEYED else 'no key'})"
            )
        return torn

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Write ``entry`` with ``seq``, ``prev_hash``, ``alg`` and ``hash`` added; returns the written entry."""
        full = {**entry, "seq": self.seq, "prev_hash": self.head, "alg": self.alg}
        full["hash"] = entry_hash(full, self.key)
        self._fh.write(canonical_json(full) + b"\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())
        self.seq, self.head = self.seq + 1, full["hash"]
        _write_head_file(self.path, full["seq"], full["hash"])
        return full

    def close(self) -> None:
        """Close the file (which releases the lock)."""
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

    ``kind``: altered, removed, inserted, reordered, truncated or unverifiable (a keyed entry and no key).
    ``anchored``: the chain was checked against a head given by the caller (not the sidecar beside it).
    """

    ok: bool
    entries: int
    head: str
    line: int | None = None
    kind: str | None = None
    detail: str = ""
    anchored: bool = False


def read_entries(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a log file (no verification)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        e = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
        return e if isinstance(e, dict) and canonical_json(e) == line else None
    except (UnicodeDecodeError, ValueError, rfc8785.CanonicalizationError):
        return None


def _check_hash(e: dict[str, Any], key: bytes | None) -> str | None:
    """Why the hash of ``e`` is wrong (None if it is right)."""
    alg = e.get("alg", ALG_PLAIN)
    if alg == ALG_KEYED and key is None:
        return f"a keyed ({ALG_KEYED}) entry: give the key ({KEY_ENV} or --key-file)"
    if key is not None and alg != ALG_KEYED:
        return f"expected a keyed ({ALG_KEYED}) entry, found {alg!r}"
    if alg not in (ALG_PLAIN, ALG_KEYED) or e.get("hash") != entry_hash(e, key):
        return "hash does not match content"
    return None


def verify(path: str | Path, head: str | None = None, key: bytes | None = None) -> VerifyResult:
    """Check the chain of ``path``; with ``head`` (the last hash the writer reported) it must end exactly there.

    With ``key`` every entry must be keyed and its HMAC must match. Without ``head`` the sidecar
    ``<path>.head`` (if present) is used, which catches accidents but not a forger who rewrites it.
    """
    raw = Path(path).read_bytes()
    if raw and not raw.endswith(b"\n"):
        return VerifyResult(False, 0, GENESIS, raw.count(b"\n") + 1, "altered", "last line has no newline terminator")
    lines = raw.split(b"\n")[:-1] if raw else []
    parsed = [_parse(line) for line in lines]
    seqs = [e.get("seq") if e else None for e in parsed]
    prev = GENESIS
    for i, e in enumerate(parsed):
        n = i + 1
        if e is None or not isinstance(e.get("seq"), int):
            return VerifyResult(False, i, prev, n, "altered", "not canonical JSON (RFC 8785) or no integer seq")
        why = _check_hash(e, key)
        if why is not None:
            kind = "unverifiable" if why.startswith("a keyed") else "altered"
            return VerifyResult(False, i, prev, n, kind, why)
        if e["seq"] > i:
            kind = "reordered" if i in seqs[i + 1 :] else "removed"
            return VerifyResult(False, i, prev, n, kind, f"expected seq {i}, found {e['seq']}")
        if e["seq"] < i:
            kind = "reordered" if seqs.count(e["seq"]) == 1 else "inserted"
            return VerifyResult(False, i, prev, n, kind, f"expected seq {i}, found {e['seq']}")
        if e.get("prev_hash") != prev:
            return VerifyResult(False, i, prev, n, "inserted", "prev_hash does not match the previous entry's hash")
        prev = e["hash"]
    if head is not None:
        if head != prev:
            hashes = [e["hash"] for e in parsed if e]
            kind, where = ("appended", hashes.index(head) + 2) if head in hashes else ("truncated", len(parsed) + 1)
            detail = f"chain ends at {prev[:12]}, expected head {head[:12]}"
            return VerifyResult(False, len(parsed), prev, where, kind, detail, anchored=True)
        return VerifyResult(True, len(parsed), prev, anchored=True)
    recorded = _read_head_file(Path(path))
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
