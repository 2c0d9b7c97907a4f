"""Where the agents shipped with the package live, by name.

The repository keeps them in ``agents/pretrained/<name>/`` (a ``twin-env train`` output directory;
provenance in its ``config.json`` and ``docs/report.md`` section 6). A wheel installs the same files as
``twin_env/pretrained/<name>/`` (pyproject maps the package ``twin_env.pretrained`` to ``agents/pretrained``),
so the directory is found by path in both, without importing anything from ``agents/``. The name
:data:`AGENT` (``agent``) always means the shipped agent :data:`SHIPPED_AGENT`.
"""

from __future__ import annotations

from pathlib import Path

#: Trained agents shipped with the package, by name.
PRETRAINED: tuple[str, ...] = ("maskable_ppo_v1_mask", "maskable_ppo_30min")
#: The policy name that always means the shipped agent (scripts need not change when a better one ships).
AGENT = "agent"
#: The shipped agent :data:`AGENT` stands for (one of :data:`PRETRAINED`).
SHIPPED_AGENT: str = "maskable_ppo_v1_mask"

_PACKAGE = Path(__file__).resolve().parent.parent


def pretrained_dir() -> Path:
    """``twin_env/pretrained`` in an installed wheel, else ``agents/pretrained`` of the source checkout
    (an editable install or ``python -m twin_env.cli`` from the repository root)."""
    installed = _PACKAGE / "pretrained"
    return installed if installed.is_dir() else _PACKAGE.parent / "agents" / "pretrained"
