"""``--policy`` values checked before a run: a baseline, a shipped agent or a readable ``twin-env train`` folder."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from twin_env.commands.errors import CommandError

__all__ = ["check_policies", "check_train_dir"]

_ALGOS = ("ppo", "maskable_ppo", "dqn")


def check_train_dir(name: str, run: Path) -> None:
    """One line naming what is wrong with the ``twin-env train`` output ``run`` (``model.zip`` + ``config.json``)."""
    where = f"--policy {name}"
    config_path, model_path = run / "config.json", run / "model.zip"
    if not config_path.is_file() or not model_path.is_file():
        raise CommandError(f"{where}: {run} has no model.zip and config.json (allowed: a `twin-env train` directory)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{where}: config.json is not readable JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("algo") not in _ALGOS:
        found = config.get("algo") if isinstance(config, dict) else type(config).__name__
        raise CommandError(f"{where}: config.json 'algo' must be one of {list(_ALGOS)}, got {found!r}")
    if not isinstance(config.get("env_config", {}), dict):
        raise CommandError(f"{where}: config.json 'env_config' must be a JSON object")
    try:
        with zipfile.ZipFile(model_path) as archive:
            bad = archive.testzip()
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise CommandError(
            f"{where}: model.zip is not a readable zip archive ({exc}); retrain or copy it again"
        ) from None
    if bad is not None or "data" not in names:
        raise CommandError(f"{where}: model.zip is damaged (member {bad or 'data'!r}); retrain or copy it again")


def check_policies(names: list[str]) -> None:
    """Every ``--policy`` value: a known name or a loadable training directory; no duplicates."""
    from twin_env.policies import POLICIES, PRETRAINED, pretrained_dir  # noqa: PLC0415

    if len(set(names)) != len(names):
        raise CommandError(f"--policy lists a policy twice: {names}; allowed: each policy once")
    for name in names:
        if name in POLICIES:
            continue
        path = pretrained_dir() / name if name in PRETRAINED else Path(name)
        if not path.exists():
            raise CommandError(
                f"--policy {name!r}: unknown; allowed: {sorted(POLICIES)}, {list(PRETRAINED)} or a training directory"
            )
        check_train_dir(name, path if path.is_dir() else path.parent)
