"""The safety layer judges orders without knowing the envs: it imports no envs (or care) module."""

from __future__ import annotations

import ast
from pathlib import Path

SAFETY = Path(__file__).parents[2] / "twin_env" / "safety"


def test_safety_imports_neither_envs_nor_care() -> None:
    bad = []
    for path in sorted(SAFETY.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [f"{path.name}: {n}" for n in names if n.startswith(("twin_env.envs", "twin_env.care", "agents"))]
    assert bad == []
