"""Output directories: a complete old or new tree at every instant, stale temporaries cleaned, safe --overwrite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin_env.commands import MARKER, CommandError, atomic_output_dir, output_dir

SMALL = ["simulate", "--patients", "6", "--years", "1", "--formats", "fhir", "opensafely"]


def _write(target: Path, text: str, overwrite: bool = True) -> None:
    with atomic_output_dir(target, overwrite=overwrite) as work:
        (work / "a").mkdir()
        (work / "a" / "x.txt").write_text(text)


def test_overwrite_swaps_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _write(target, "old", overwrite=False)
    _write(target, "new")
    assert (target / "a" / "x.txt").read_text() == "new" and (target / MARKER).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_run_leaves_the_old_tree(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _write(target, "old", overwrite=False)
    with pytest.raises(RuntimeError), atomic_output_dir(target, overwrite=True) as work:
        (work / "half").write_text("x")
        raise RuntimeError("killed")
    assert (target / "a" / "x.txt").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_stale_temporaries_of_dead_runs_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".out.partial-{pid}-abcd"
    (stale / "deep").mkdir(parents=True)
    alive = tmp_path / f".out.partial-{os.getpid()}-beef"  # a live writer's: kept
    alive.mkdir()
    _write(tmp_path / "out", "new", overwrite=False)
    assert not stale.exists() and alive.exists()


def test_the_fallback_restores_an_old_tree_left_aside_by_a_kill(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out"
    _write(target, "old", overwrite=False)
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    target.rename(tmp_path / f".out.old-{dead}-0000")  # killed between the fallback's two renames
    monkeypatch.setattr(output_dir, "_exchange", lambda a, b: False)
    with pytest.raises(RuntimeError), atomic_output_dir(target, overwrite=True):
        assert (target / "a" / "x.txt").read_text() == "old"  # restored before the new run writes
        raise RuntimeError("stop")
    _write(target, "new")  # the fallback swap itself
    assert (target / "a" / "x.txt").read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("name", ["", ".", "cwd", "parent"])
def test_never_the_working_directory(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "here"
    work.mkdir()
    (work / MARKER).write_text("x")
    monkeypatch.chdir(work)
    target = {"": "", ".": ".", "cwd": str(work), "parent": str(tmp_path)}[name]
    with pytest.raises(CommandError, match="--out"):
        _write(Path(target) if target else target, "new")
    assert (work / MARKER).is_file()


def test_only_twin_env_output_is_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    with pytest.raises(CommandError, match="not written by twin-env"):
        _write(target, "new")
    assert (target / "thesis.tex").read_text() == "years of work"


def test_created_with_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        _write(tmp_path / "out", "x", overwrite=False)
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_kill_9_at_any_moment_of_simulate_overwrite_leaves_a_complete_tree(tmp_path: Path) -> None:
    """SIGKILL ``simulate --overwrite`` at 15 moments from start to finish: the target is always a complete tree."""
    cli = [sys.executable, "-m", "twin_env.cli"]
    target = tmp_path / "out"
    trees = {}
    for seed in (1, 2):
        subprocess.run([*cli, *SMALL, "--seed", str(seed), "--out", str(tmp_path / f"ref{seed}")], check=True)
        trees[seed] = _tree(tmp_path / f"ref{seed}")
    started = time.monotonic()
    subprocess.run([*cli, *SMALL, "--seed", "1", "--out", str(target)], check=True)
    full_s, current = time.monotonic() - started, 1
    replaced = 0
    for i in range(16):
        seed = 3 - current
        proc = subprocess.Popen([*cli, *SMALL, "--seed", str(seed), "--out", str(target), "--overwrite"])
        if i < 15:
            time.sleep(full_s * (0.05 + 1.2 * i / 15))
            proc.send_signal(signal.SIGKILL)
        proc.wait()  # the last run finishes: at least one swap, whatever the machine's load
        tree = _tree(target)
        assert tree in (trees[current], trees[seed]), f"kill {i}: an incomplete tree at the target"
        if tree == trees[seed]:
            current, replaced = seed, replaced + 1
    subprocess.run([*cli, *SMALL, "--out", str(target), "--overwrite"], check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ref1", "ref2"]  # stale temporaries cleaned
    assert 0 < replaced < 16, replaced  # some runs were killed before their swap, at least one swapped
