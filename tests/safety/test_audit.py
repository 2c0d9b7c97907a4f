"""The audit log: it reproduces the trajectory, any tampering is found, it exports to FHIR and reads back."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twin_env  # noqa: F401
from tests.safety.conftest import SHORT
from twin_env.commands import audit as audit_command
from twin_env.safety import AuditLog, audit_to_fhir, read_entries, verify
from twin_env.safety.audit import head_file

ID = "twin_env/PrimaryCare-Shielded-v0"
ACTIONS = [7, 18, 10, 12, 5, 15, 15, 9, 7, 3, 8, 1, 7, 16, 13, 14, 2, 4, 6, 11]


def write_log(path: Path, seed: int = 5) -> tuple[list[tuple], str]:
    env = gym.make(ID, config=SHORT, audit_path=str(path))
    env.reset(seed=seed)
    steps = []
    for a in ACTIONS:
        _, r, term, trunc, info = env.step(a)
        steps.append((a, info["executed_action"], r, info["cost"]))
        if term or trunc:
            env.reset()
    env.close()
    return steps, info["audit_hash"]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple], str]:
    path = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    steps, head = write_log(path)
    return path, steps, head


def test_log_reproduces_the_trajectory_and_replays(log: tuple, tmp_path: Path) -> None:
    path, steps, head = log
    entries = read_entries(path)
    assert [(e["proposed"]["action"], e["executed"]["action"], e["reward"], e["cost"]) for e in entries] == steps
    assert verify(path, head=head).ok and [e["seq"] for e in entries] == list(range(len(ACTIONS)))
    assert any(e["rules_fired"] and e["rules_fired"][0]["evidence"] is not None for e in entries)
    # replaying the proposed actions gives the same log, byte for byte
    again = tmp_path / "again.jsonl"
    write_log(again)
    assert again.read_bytes() == path.read_bytes()


def test_a_killed_writer_leaves_a_valid_prefix_and_a_reopened_log_continues(log: tuple, tmp_path: Path) -> None:
    path, _, _ = log
    lines = path.read_bytes().splitlines(keepends=True)
    prefix = tmp_path / "prefix.jsonl"
    prefix.write_bytes(b"".join(lines[:7]))
    assert verify(prefix).ok and verify(prefix).entries == 7
    writer = AuditLog(prefix)
    writer.append({"note": "resumed"})
    writer.close()
    assert verify(prefix).ok and read_entries(prefix)[-1]["seq"] == 7


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_tampering_is_detected(log: tuple, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    path, _, head = log
    raw = path.read_bytes()
    lines = raw.splitlines(keepends=True)
    how = data.draw(st.sampled_from(["byte", "delete", "swap", "insert", "truncate"]))
    if how == "byte":
        i = data.draw(st.integers(0, len(raw) - 1))
        b = data.draw(st.integers(0, 255).filter(lambda x: x != raw[i]))
        bad = raw[:i] + bytes([b]) + raw[i + 1 :]
    elif how == "delete":
        i = data.draw(st.integers(0, len(lines) - 1))
        bad = b"".join(lines[:i] + lines[i + 1 :])
    elif how == "insert":  # a copy of a valid line anywhere
        i, j = data.draw(st.integers(0, len(lines))), data.draw(st.integers(0, len(lines) - 1))
        bad = b"".join(lines[:i] + [lines[j]] + lines[i:])
    elif how == "truncate":  # cut at any byte
        bad = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        i, j = sorted(data.draw(st.lists(st.integers(0, len(lines) - 1), min_size=2, max_size=2, unique=True)))
        lines[i], lines[j] = lines[j], lines[i]
        bad = b"".join(lines)
    target = tmp_path_factory.mktemp("bad") / "audit.jsonl"
    target.write_bytes(bad)
    result = verify(target, head=head)
    assert not result.ok and result.line is not None
    # the writer's sidecar head file detects the same tampering without being told the head
    shutil.copyfile(head_file(path), head_file(target))
    assert not verify(target).ok
    if how == "swap":
        assert result.kind == "reordered" and result.line == i + 1
    if how == "delete" and i < len(lines) - 1:
        assert result.kind == "removed" and result.line == i + 1


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    audit_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_cli_verify_and_show(log: tuple, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path, _, head = log
    assert _cli("audit", "verify", str(path), "--head", head) == 0
    lines = path.read_bytes().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(lines[:3] + lines[4:]))
    assert _cli("audit", "verify", str(cut)) == 1
    assert "line 4: removed entry" in capsys.readouterr().err
    patient = read_entries(path)[0]["patient"]
    assert _cli("audit", "show", str(path), "--patient", str(patient)) == 0
    out = capsys.readouterr().out
    assert "step_up_antihypertensive" in out and "#0" in out


def test_fhir_export_validates_with_r4b(log: tuple) -> None:
    from fhir.resources.R4B.auditevent import AuditEvent
    from fhir.resources.R4B.provenance import Provenance

    resources = audit_to_fhir(read_entries(log[0]))
    assert len(resources) == 2 * len(ACTIONS)
    for res in resources:
        (AuditEvent if res["resourceType"] == "AuditEvent" else Provenance).model_validate(res)
    assert {r["outcome"] for r in resources if r["resourceType"] == "AuditEvent"} <= {"0", "4"}
