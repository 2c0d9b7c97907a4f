"""The audit log against a forger: keyed chains, the head anchor, one writer, torn-line recovery."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from twin_env.safety.audit import (
    ALG_PLAIN,
    AuditLog,
    AuditLogBusy,
    audit_key,
    canonical_json,
    entry_hash,
    head_file,
    read_entries,
    verify,
)

KEY = b"a secret the forger does not have"


def _write(path: Path, n: int = 6, key: bytes | None = None) -> str:
    log = AuditLog(path, key=key)
    for i in range(n):
        log.append({"step": i, "reward": i / 3, "note": "é"})
    log.close()
    return log.head


def _rehash_from(entries: list[dict], start: int, key: bytes | None = None) -> bytes:
    """What a forger without ``key`` does: recompute every hash from ``start`` on (keyless hashes if no key)."""
    prev = entries[start - 1]["hash"] if start else "0" * 64
    for e in entries[start:]:
        e["prev_hash"] = prev
        if key is None:
            e["alg"] = ALG_PLAIN
        e["hash"] = entry_hash(e, key)
        prev = e["hash"]
    return b"".join(canonical_json(e) + b"\n" for e in entries)


def test_lines_are_rfc8785_canonical(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    _write(path, 2)
    first = path.read_bytes().splitlines()[0]
    # JCS: sorted keys, no spaces, shortest float form, integers without ".0", UTF-8 kept
    assert first.startswith(b'{"alg":"sha256","hash":"') and b'"note":"\xc3\xa9"' in first and b'"reward":0,' in first
    assert canonical_json({"x": 1.0, "y": 1e21}) == b'{"x":1,"y":1e+21}'


def test_keyless_forgery_is_caught_only_by_the_head_anchor(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    head = _write(path)
    entries = read_entries(path)
    entries[2]["reward"] = 99.0
    path.write_bytes(_rehash_from(entries, 2))
    head_file(path).write_text(f"5 {entries[-1]['hash']}\n")  # the forger rewrites the sidecar too
    assert verify(path).ok  # keyless and unanchored: a full rewrite is undetectable, as documented
    result = verify(path, head=head)
    assert not result.ok and result.kind == "truncated" and result.anchored


def test_with_a_key_a_rehashed_middle_edit_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    _write(path, key=KEY)
    assert verify(path, key=KEY).ok
    entries = read_entries(path)
    entries[2]["reward"] = 99.0
    for forger_key in (None, b"a guessed key"):
        path.write_bytes(_rehash_from([dict(e) for e in entries], 2, forger_key))
        result = verify(path, key=KEY)
        assert not result.ok and result.line == 3 and result.kind == "altered"


def test_with_a_key_an_appended_rehashed_entry_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    head = _write(path, key=KEY)
    entries = read_entries(path)
    forged = {**entries[-1], "reward": 5.0, "seq": 6, "prev_hash": entries[-1]["hash"]}
    forged["hash"] = entry_hash(forged, b"wrong key")
    with path.open("ab") as fh:
        fh.write(canonical_json(forged) + b"\n")
    head_file(path).write_text(f"6 {forged['hash']}\n")
    result = verify(path, key=KEY)
    assert not result.ok and result.line == 7 and result.kind == "altered"
    # keyless verification of a keyed log says so instead of passing
    assert verify(path).kind == "unverifiable"
    # the head anchor alone catches the append too
    anchored = verify(path, head=head, key=KEY)
    assert not anchored.ok


def test_a_keyed_log_cannot_be_continued_without_its_key(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    _write(path, 2, key=KEY)
    with pytest.raises(ValueError, match="hmac-sha256 chain"):
        AuditLog(path)


def test_a_torn_last_line_is_cut_with_a_warning_and_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    _write(path, 4, key=KEY)
    whole = path.read_bytes()
    torn = b'{"alg":"hmac-sha256","hash":"12'
    path.write_bytes(whole + torn)
    with pytest.warns(RuntimeWarning, match="torn last line"):
        log = AuditLog(path, key=KEY)
    log.append({"step": 4})
    log.close()
    entries = read_entries(path)
    assert path.read_bytes().startswith(whole) and [e["seq"] for e in entries] == list(range(6))
    note = entries[4]
    assert note["event"] == "recovered_torn_line" and note["removed_bytes"] == len(torn)
    assert note["removed_sha256"] == hashlib.sha256(torn).hexdigest()
    assert verify(path, head=log.head, key=KEY).ok


def test_a_second_writer_gets_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    first = AuditLog(path)
    with pytest.raises(AuditLogBusy) as caught:
        AuditLog(path)
    message = str(caught.value)
    assert "\n" not in message and "another writer" in message and str(path) in message
    first.close()
    AuditLog(path).close()  # released on close


def test_two_shielded_envs_on_one_path_are_refused(tmp_path: Path) -> None:
    import gymnasium as gym

    import twin_env  # noqa: F401

    path = str(tmp_path / "a.jsonl")
    with pytest.raises(AuditLogBusy, match="one writer per log"):
        gym.make_vec("twin_env/PrimaryCare-Shielded-v0", num_envs=2, vectorization_mode="sync", audit_path=path)


def test_the_key_comes_from_a_file_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWIN_ENV_AUDIT_KEY", raising=False)
    assert audit_key() is None
    monkeypatch.setenv("TWIN_ENV_AUDIT_KEY", "from-env")
    assert audit_key() == b"from-env"
    key_file = tmp_path / "key"
    key_file.write_bytes(b"from-file\n")
    assert audit_key(key_file) == b"from-file"
    key_file.write_bytes(b"\n")
    with pytest.raises(ValueError, match="empty"):
        audit_key(key_file)
    with pytest.raises(ValueError, match="cannot read"):
        audit_key(tmp_path / "missing")


def test_cli_verify_with_key_and_head(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch) -> None:
    from twin_env.cli import main

    monkeypatch.delenv("TWIN_ENV_AUDIT_KEY", raising=False)
    path, key_file = tmp_path / "a.jsonl", tmp_path / "key"
    key_file.write_bytes(KEY)
    head = _write(path, key=KEY)
    assert main(["audit", "verify", str(path), "--key-file", str(key_file), "--head", head]) == 0
    assert "keyed, anchored" in capsys.readouterr().out
    assert main(["audit", "verify", str(path)]) == 1
    assert "unverifiable" in capsys.readouterr().err
    assert main(["audit", "verify", str(path), "--head", "abc"]) == 2
    assert "--head must be 64" in capsys.readouterr().err
    assert json.loads(path.read_bytes().splitlines()[0])["alg"] == "hmac-sha256"


def test_every_single_edit_of_a_small_log_is_detected(tmp_path: Path) -> None:
    """Exhaustive on a 3-entry log: each byte flipped, each line deleted/duplicated/swapped, each truncation."""
    path = tmp_path / "a.jsonl"
    head = _write(path, 3, key=KEY)
    raw = path.read_bytes()
    lines = raw.splitlines(keepends=True)
    bad: list[bytes] = [raw[:i] + bytes([raw[i] ^ x]) + raw[i + 1 :] for i in range(len(raw)) for x in (1,)]
    bad += [raw[:n] for n in range(len(raw))]
    bad += [b"".join(lines[:i] + lines[i + 1 :]) for i in range(len(lines))]
    bad += [b"".join(lines[:i] + [lines[j]] + lines[i:]) for i in range(len(lines) + 1) for j in range(len(lines))]
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            swapped = list(lines)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            bad.append(b"".join(swapped))
    target = tmp_path / "bad.jsonl"
    for tampered in bad:
        target.write_bytes(tampered)
        assert not verify(target, head=head, key=KEY).ok, tampered
