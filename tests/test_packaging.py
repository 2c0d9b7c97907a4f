"""What the distribution installs: every twin_env package, the shipped agents as twin_env/pretrained, no other
top-level name (the repository's agents/ folder is not a package; docs/architecture.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from twin_env.policies import PRETRAINED, make_policy
from twin_env.policies.pretrained import pretrained_dir

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_is_listed_and_nothing_outside_twin_env() -> None:
    on_disk = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "twin_env").rglob("*.py")} | {
        "twin_env.pretrained"
    }
    assert set(SETUPTOOLS["packages"]) == on_disk
    assert {name.split(".")[0] for name in SETUPTOOLS["packages"]} == {"twin_env"}


def test_the_shipped_agents_are_mapped_from_agents_pretrained() -> None:
    assert SETUPTOOLS["package-dir"] == {"twin_env.pretrained": "agents/pretrained"}
    assert SETUPTOOLS["package-data"]["twin_env.pretrained"] == ["*/*"]
    assert not (ROOT / "agents" / "__init__.py").exists()
    for name in PRETRAINED:
        files = {p.name for p in (ROOT / "agents" / "pretrained" / name).iterdir()}
        assert {"config.json", "model.zip", "vecnormalize.pkl"} <= files


def test_the_shipped_agents_are_found_by_name_in_a_checkout() -> None:
    assert pretrained_dir() == ROOT / "agents" / "pretrained"
    pytest.importorskip("sb3_contrib")
    assert make_policy("maskable_ppo_30min") is not None


def test_evaluate_runs_beside_another_package_called_agents(tmp_path: Path) -> None:
    """The clash of issue 13: another distribution's top-level ``agents`` on the path breaks nothing."""
    pytest.importorskip("sb3_contrib")
    foreign = tmp_path / "site" / "agents"
    foreign.mkdir(parents=True)
    (foreign / "__init__.py").write_text("raise ImportError('another package called agents')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    args = ["evaluate", "--policy", "maskable_ppo_30min", "--episodes", "2", "--no-plots"]
    done = subprocess.run(
        [sys.executable, "-m", "twin_env.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "maskable_ppo_30min" in done.stdout


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata  # noqa: PLC0415

    from twin_env.cli import main  # noqa: PLC0415

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"twin-env {importlib.metadata.version('twin-env')}"


def test_license_citation_and_changelog_are_shipped() -> None:
    assert (
        "Apache License" in (ROOT / "LICENSE").read_text()
        and "END OF TERMS AND CONDITIONS" in (ROOT / "LICENSE").read_text()
    )
    citation = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in citation and 'name: "twin_env contributors"' in citation
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
