"""``--policy`` values checked before a run: a baseline, ``agent`` or a shipped agent, a readable saved model
(``twin-env train`` folder or ``.zip``) or ``module:callable`` (imported when the policy is made)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from twin_env.commands.errors import CommandError

__all__ = ["check_model_zip", "check_policies", "check_train_dir"]

_ALGOS = ("ppo", "maskable_ppo", "dqn")
_ALLOWED = (
    "a baseline name, agent, a shipped agent, a saved SB3 model (.zip or a `twin-env train` directory) "
    "or module:callable"
)


def check_model_zip(name: str, model_path: Path) -> None:
    """One line naming what is wrong with a saved SB3 model ``model_path`` (a zip archive with a ``data`` member)."""
    where = f"--policy {name}"
    try:
        with zipfile.ZipFile(model_path) as archive:
            bad = archive.testzip()
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise CommandError(
            f"{where}: {model_path.name} is not a readable zip archive ({exc}); retrain or copy it again"
        ) from None
    if bad is not None or "data" not in names:
        raise CommandError(
            f"{where}: {model_path.name} is damaged or not a saved SB3 model (member {bad or 'data'!r}); "
            "allowed: a zip written by model.save()"
        )


def _check_config(name: str, config_path: Path) -> None:
    """One line naming what is wrong with a ``twin-env train`` ``config.json``."""
    where = f"--policy {name}"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{where}: config.json is not readable JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("algo") not in _ALGOS:
        found = config.get("algo") if isinstance(config, dict) else type(config).__name__
        raise CommandError(f"{where}: config.json 'algo' must be one of {list(_ALGOS)}, got {found!r}")
    if not isinstance(config.get("env_config", {}), dict):
        raise CommandError(f"{where}: config.json 'env_config' must be a JSON object")


def check_train_dir(name: str, run: Path) -> None:
    """One line naming what is wrong with the ``twin-env train`` output ``run`` (``model.zip`` + ``config.json``)."""
    if not (run / "config.json").is_file() or not (run / "model.zip").is_file():
        raise CommandError(
            f"--policy {name}: {run} has no model.zip and config.json (allowed: a `twin-env train` directory)"
        )
    _check_config(name, run / "config.json")
    check_model_zip(name, run / "model.zip")


def _check_path(name: str, path: Path) -> None:
    """A saved model by path: a directory with ``model.zip`` or a ``.zip`` file; a ``config.json`` next to it
    (optional) must be a ``twin-env train`` one."""
    zip_path = path / "model.zip" if path.is_dir() else path
    if not zip_path.is_file() or zip_path.suffix != ".zip":
        raise CommandError(
            f"--policy {name}: {path} is neither a .zip nor a folder with model.zip; allowed: {_ALLOWED}"
        )
    if (zip_path.parent / "config.json").is_file():
        _check_config(name, zip_path.parent / "config.json")
    check_model_zip(name, zip_path)


def check_policies(names: list[str]) -> None:
    """Every ``--policy`` value: a known name, a loadable saved model or ``module:callable``; no duplicates."""
    from twin_env.policies import AGENT, POLICIES, PRETRAINED, pretrained_dir  # noqa: PLC0415
    from twin_env.policies.callable_policy import is_callable_spec  # noqa: PLC0415

    if len(set(names)) != len(names):
        raise CommandError(f"--policy lists a policy twice: {names}; allowed: each policy once")
    for name in names:
        if name in POLICIES or name == AGENT:
            continue
        path = pretrained_dir() / name if name in PRETRAINED else Path(name)
        if path.exists():
            _check_path(name, path)
        elif not is_callable_spec(name):
            raise CommandError(f"--policy {name!r}: unknown; allowed: {_ALLOWED}")
