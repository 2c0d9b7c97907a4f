"""The layers contract (docs/architecture.md), read from the import statements of every module of twin_env/.

Every import counts, at module level, inside functions and under ``TYPE_CHECKING``. A module belongs to the
package after ``twin_env.`` (``twin_env/cli.py`` is the layer ``cli``; ``twin_env/__init__.py`` is the package
facade). A module may import its own layer and the layers below it, never one above; the packages' import graph
has no cycle; no module imports the repository's top-level ``agents`` folder; a few layers read fewer layers than
their rank allows (:data:`ONLY`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "twin_env"

#: The layer order, bottom to top: the one place it is written (docs/architecture.md documents it, a test below
#: checks that the documented table follows it). ``__init__`` is the package facade ``twin_env/__init__.py``.
LAYERS: tuple[str, ...] = (
    "data",  # CSV and JSON read by the layers (no Python)
    "vocab",
    "equations",
    "twin",
    "record",
    "care",
    "simulation",
    "formats",
    "patient_twin",  # a given patient's FHIR record read, and the latent twins it implies
    "models",
    "safety",
    "envs",  # including envs/wrappers
    "__init__",
    "analysis",
    "policies",
    "pretrained",  # the shipped agents' files in a wheel (no Python)
    "trials",  # a policy arm runs a named policy
    "evaluation",
    "training",
    "commands",
    "cli",
)
RANK = {layer: rank for rank, layer in enumerate(LAYERS)}

#: Layers that may read only these layers (besides their own), however high their rank.
ONLY: dict[str, frozenset[str]] = {
    "formats": frozenset({"data", "vocab", "equations", "record"}),
}

#: The repository's folder of trained agents and training material: no module imports it.
FORBIDDEN_TOP_LEVEL = ("agents",)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_sources(root: Path = ROOT) -> dict[str, tuple[str, bool]]:
    """Every module of twin_env/ by dotted name: (source, is a package ``__init__``)."""
    return {
        module_name(path, root): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
        for path in sorted((root / PACKAGE).rglob("*.py"))
    }


def imported_modules(name: str, source: str, is_package: bool = False) -> set[str]:
    """The dotted modules ``source`` (module ``name``) imports, relative imports resolved; ``from a import b`` counts
    as ``a.b`` (a submodule or a name in ``a``, both belong to ``a``'s layer when ``b`` is not a layer)."""
    found: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def layer_of(module: str) -> str | None:
    """The layer of a dotted module of twin_env (``None`` outside twin_env)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1 or (len(parts) == 2 and parts[1] not in RANK):
        return "__init__"  # the facade, or a name imported from it (``from twin_env import sample_population``)
    return parts[1]


def violations(sources: Mapping[str, tuple[str, bool]]) -> list[str]:
    """Every breach of the contract in ``sources`` (dotted name -> (source, is a package)), as readable lines."""
    found: list[str] = []
    edges: dict[str, set[str]] = {}
    for name, (source, is_package) in sorted(sources.items()):
        own = name.split(".")[1] if "." in name else "__init__"
        if own not in RANK:
            found.append(f"{name}: its package has no layer (add it to LAYERS)")
            continue
        for imported in sorted(imported_modules(name, source, is_package)):
            if imported.split(".")[0] in FORBIDDEN_TOP_LEVEL:
                found.append(f"{name} imports {imported}: the repository's agents/ folder is not a library")
                continue
            layer = layer_of(imported)
            if layer is None or layer == own:
                continue
            if layer not in RANK:
                found.append(f"{name} imports {imported}: its package has no layer (add it to LAYERS)")
                continue
            edges.setdefault(own, set()).add(layer)
            if RANK[layer] > RANK[own]:
                found.append(f"{name} ({own}) imports {imported} ({layer}): an upward import")
            elif own in ONLY and layer not in ONLY[own]:
                found.append(f"{name} ({own}) imports {imported} ({layer}): {own} reads only {sorted(ONLY[own])}")
    found.extend(f"import cycle between packages: {' -> '.join(cycle)}" for cycle in cycles(edges))
    return found


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [[*group, group[0]] for group in groups]


def test_the_package_keeps_its_layers() -> None:
    found = violations(package_sources())
    assert not found, "layers contract (docs/architecture.md) broken:\n" + "\n".join(found)


def test_every_layer_that_exists_is_in_the_order() -> None:
    packages = {p.name for p in (ROOT / PACKAGE).iterdir() if p.is_dir() and p.name != "__pycache__"}
    modules = {p.stem for p in (ROOT / PACKAGE).glob("*.py")}
    assert packages | modules <= set(LAYERS)


def test_architecture_doc_lists_the_layers_in_order() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| \d+ \| `([\w_]+)", text, flags=re.MULTILINE)
    assert documented == list(LAYERS)


def _module(source: str, is_package: bool = False) -> tuple[str, bool]:
    return source, is_package


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({"twin_env.twin.x": _module("from twin_env.record.store import ItemType")}, "an upward import"),
        ({"twin_env.record.x": _module("def f():\n    from twin_env.care import parameters\n")}, "an upward import"),
        ({"twin_env.safety.x": _module("if TYPE_CHECKING:\n    import twin_env.envs.core\n")}, "an upward import"),
        ({"twin_env.vocab.x": _module("from twin_env import sample_population")}, "an upward import"),
        ({"twin_env.record": _module("from ..care import simulation", is_package=True)}, "an upward import"),
        ({"twin_env.formats.x": _module("from twin_env.twin import state")}, "formats reads only"),
        ({"twin_env.commands.x": _module("from agents.policies import make_policy")}, "agents/ folder"),
        ({"twin_env.evaluation.x": _module("import agents")}, "agents/ folder"),
        ({"twin_env.newthing.x": _module("")}, "has no layer"),
        ({"twin_env.cli": _module("from twin_env.newthing.x import y")}, "has no layer"),
    ],
)
def test_the_checker_catches_a_violation(sources: dict[str, tuple[str, bool]], expected: str) -> None:
    found = violations(sources)
    assert any(expected in line for line in found), found


def test_the_checker_catches_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_checker_passes_downward_imports() -> None:
    sources = {
        "twin_env.envs.x": _module("from twin_env.vocab.orders import Order\nfrom . import core\n"),
        "twin_env.formats.x": _module("from twin_env.record import Record\nfrom twin_env.vocab import codes\n"),
        "twin_env.cli": _module("from twin_env.commands import COMMANDS"),
    }
    assert violations(sources) == []
