"""The ``twin-env`` command line: simulate (determinism, refusals, bad input) and the quick demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from twin_env.cli import main
from twin_env.commands import MARKER

pytestmark = pytest.mark.slow

ARGS = ["simulate", "--patients", "200", "--years", "10", "--seed", "7", "--min-age", "40", "--max-age", "80"]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run1"
    assert main([*ARGS, "--out", str(out)]) == 0
    return out


def test_simulate_writes_every_format_and_a_manifest(first_run: Path) -> None:
    assert {p.name for p in first_run.iterdir()} == {"fhir", "hl7", "letters", "opensafely", "manifest.json", MARKER}
    manifest = json.loads((first_run / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["config"]["patients"] == 200
    assert manifest["outputs"]["fhir"]["files"] == 200 == len(list((first_run / "fhir").glob("*.json")))
    assert manifest["record_items"]["gp"]["observation"] > 0
    assert set(manifest["versions"]) >= {"twin-env", "numpy", "pandas"}
    assert not [p for p in first_run.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_same_seed_gives_a_byte_identical_directory(first_run: Path, tmp_path: Path) -> None:
    assert main([*ARGS, "--out", str(tmp_path / "run2")]) == 0
    assert _files(first_run) == _files(tmp_path / "run2")


def test_refuses_to_overwrite_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    small = ["simulate", "--patients", "3", "--years", "1", "--out", str(out)]
    assert main(small) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--overwrite" in err and err.count("\n") == 1
    assert _files(out) == {"keep.txt": b"mine"}
    assert main([*small, "--overwrite"]) == 2  # not written by twin-env: never replaced
    assert "not written by twin-env" in capsys.readouterr().err and _files(out) == {"keep.txt": b"mine"}
    (out / "keep.txt").unlink()
    assert main(small) == 0 and main([*small, "--overwrite"]) == 0
    assert (out / "manifest.json").exists() and (out / MARKER).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out.stat().st_mode & 0o777) == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--patients", "-5", "--years", "1"], "argument --patients: must be an integer in [1, "),
        (["--patients", "5", "--years", "-1"], "argument --years: must be a number in (0, 100]"),
        (["--patients", "5", "--years", "1", "--formats", "fhir", "pdf"], "allowed: fhir, hl7, letters, opensafely"),
        (["--patients", "5", "--years", "1", "--min-age", "80", "--max-age", "40"], "--min-age"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["simulate", *extra, "--out", str(tmp_path / "out")])
    except SystemExit as exc:  # refused while parsing
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_unparsable_number_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--patients", "five", "--years", "1", "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --patients: must be an integer" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_path_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        assert main(["simulate", "--patients", "2", "--years", "1", "--out", str(locked / "out")]) == 2
        assert "cannot write" in capsys.readouterr().err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_python_dash_m_and_help_list_the_subcommands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twin_env.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "simulate" in result.stdout and "demo" in result.stdout


def test_quick_demo_runs_the_whole_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    demo = tmp_path / "demo"
    assert main(["demo", "--quick", "--train-minutes", "0.1", "--out", str(demo)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "deaths" in out and "gp items" in out and str(demo / "records" / "fhir") in out
    assert (
        "| maskable_ppo:ppo |" in out
        and "| agent |" in out
        and "| nice_guideline |" in out
        and "hard violations executed" in out
    )
    assert str(demo / "evaluation" / "outcomes.png") in out and str(demo / "ppo" / "model.zip") in out
    assert "[4/4" in captured.err
    results = json.loads((demo / "evaluation" / "results.json").read_text())
    assert results["shielded"] and len(results["policies"]) == 7
    assert all(p["safety"]["executed_hard_violations"] == 0 for p in results["policies"].values())
    assert {p.name for p in demo.iterdir()} == {"records", "evaluation", "ppo", MARKER}
    assert (demo / "evaluation" / "timeline_maskable_ppo_ppo.png").is_file()
