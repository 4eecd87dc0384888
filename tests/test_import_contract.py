"""The import contract: imports run one way, and no module uses another module's private names.

    cli -> tasks / analysis -> training -> models -> layers -> kernels

``seqlab.data`` is read by the tasks (and the analysis and cli above them) and imports none of the
packages above; every package may import the leaf modules (errors, configs, JSON, files, extras).
Every import counts, at module level or inside a function, and so does a module named by a string
(``importlib.import_module("seqlab.x")``, ``"seqlab.x:name"``): a lazy import is still an arrow.

The test reads the source with ``ast``; it imports nothing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "seqlab"

# Rank of each top-level package: a module may import its own package and packages of lower rank.
# tasks and analysis share a level: the analysis tools drive the tasks, the tasks never need them.
RANKS = {"cli": 6, "analysis": 5, "tasks": 5, "training": 4, "models": 3, "layers": 2, "kernels": 1}
# Modules every package may import; they import only each other (and no package above).
LEAVES = {"seqlab.errors", "seqlab.configbase", "seqlab.jsonsafe", "seqlab.fileio", "seqlab.extras"}
# Who may import seqlab.data: the tasks and what sits above them.
DATA_USERS = {"tasks", "analysis", "cli"}
# The arrows against the direction that stay, each with its reason. Keep this short.
ALLOWED = {
    ("seqlab.models.sequential", "seqlab.training.sequential"):
        "Sequential.trainer: Keras' fit is a method of the model, but its loop is the engine's; the model "
        "names the trainer as a string, resolved at the first compile/fit, and never imports training",
}
MAX_LINES = 400
# Files over MAX_LINES whose split is someone else's pending work (remove an entry once it is split).
PENDING_SPLIT: dict[str, str] = {}  # files allowed over the limit for now, each with the reason
DYNAMIC = re.compile(r"^seqlab(\.\w+)+(:\w+)?$")  # a module named by a string


@dataclass(frozen=True)
class Arrow:
    source: str  # the importing module
    target: str  # the imported module
    line: int
    names: tuple[str, ...]  # the names taken from it (from x import a, b); () for import x / a string


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(encoding="utf-8"), filename=str(modules()[name]))


def resolve(source: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = source.split(".") if modules()[source].name == "__init__.py" else source.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def docstrings(module: ast.Module) -> set[int]:
    """ids of the docstring constants of the module, its classes and functions."""
    found = set()
    for node in ast.walk(module):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


@cache
def arrows() -> tuple[Arrow, ...]:
    """Every seqlab import of every module, at any depth, and every module named by a string."""
    out = []
    for source in modules():
        module = tree(source)
        skip = docstrings(module)
        for node in ast.walk(module):
            if isinstance(node, ast.Import):
                out += [Arrow(source, a.name, node.lineno, ()) for a in node.names if a.name.startswith("seqlab")]
            elif isinstance(node, ast.ImportFrom):
                target = resolve(source, node)
                if not target.startswith("seqlab"):
                    continue
                for a in node.names:  # `from seqlab.tasks import runs` imports the module seqlab.tasks.runs
                    sub = f"{target}.{a.name}"
                    out.append(Arrow(source, sub, node.lineno, ()) if sub in modules()
                               else Arrow(source, target, node.lineno, (a.name,)))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                if DYNAMIC.match(node.value):
                    target = node.value.split(":")[0]
                    while target not in modules() and "." in target:
                        target = target.rsplit(".", 1)[0]
                    out.append(Arrow(source, target, node.lineno, ()))
    return tuple(out)


def package(name: str) -> str:
    """The top-level package of a module (``seqlab.tasks.text.run`` -> ``tasks``); the module itself for leaves."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def where(arrow: Arrow) -> str:
    return f"{modules()[arrow.source].relative_to(SRC)}:{arrow.line}: {arrow.source} -> {arrow.target}"


def test_the_tree_is_read():
    assert len(modules()) > 100 and len(arrows()) > 500
    assert {package(m) for m in modules()} >= set(RANKS) | {"data", "<root>"}


def test_imports_run_down_the_layers_only():
    wrong = []
    for arrow in arrows():
        src, dst = package(arrow.source), package(arrow.target)
        if src == dst or src == "<root>" or arrow.target in LEAVES or (arrow.source, arrow.target) in ALLOWED:
            continue
        if arrow.source in LEAVES:
            wrong.append(f"{where(arrow)} (a leaf module imports only other leaves)")
        elif dst == "<root>":
            if src != "cli":
                wrong.append(f"{where(arrow)} (the package root imports the layers: only the CLI may import it)")
        elif dst == "data":
            if src not in DATA_USERS:
                wrong.append(f"{where(arrow)} (seqlab.data is for {', '.join(sorted(DATA_USERS))})")
        elif src == "data":
            wrong.append(f"{where(arrow)} (seqlab.data may import only {', '.join(sorted(LEAVES))})")
        elif RANKS[dst] >= RANKS[src] and not (src == "analysis" and dst == "tasks"):
            wrong.append(f"{where(arrow)} ({src} is not above {dst}: cli -> tasks/analysis -> training -> "
                         "models -> layers -> kernels)")
    assert not wrong, "imports against the direction:\n" + "\n".join(wrong)


def test_the_allowed_arrows_still_exist():
    present = {(a.source, a.target) for a in arrows()}
    assert set(ALLOWED) <= present, f"stale entries in ALLOWED: {set(ALLOWED) - present}"


def test_a_task_imports_no_other_task():
    """What two tasks share lives in seqlab.tasks (or below), not in one of them."""
    wrong = []
    for arrow in arrows():
        s, t = arrow.source.split("."), arrow.target.split(".")
        if len(s) > 3 and len(t) > 2 and s[1] == t[1] == "tasks" and f"seqlab.tasks.{t[2]}" in modules() \
                and modules()[f"seqlab.tasks.{t[2]}"].name == "__init__.py" and s[2] != t[2]:
            wrong.append(where(arrow))
    assert not wrong, "one task imports another:\n" + "\n".join(wrong)


@cache
def defined_privately(name: str) -> frozenset[str]:
    """The private names a module defines: its functions, classes, globals and ``self._x`` attributes."""
    found = set()
    for node in ast.walk(tree(name)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            found.add(node.attr)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
    return frozenset(n for n in found if is_private(n))


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_uses_another_modules_private_names():
    """``from x import _name``, ``x._name`` and ``obj._attr`` where only another seqlab module defines ``_attr``."""
    wrong = []
    defined_elsewhere: dict[str, set[str]] = {}
    for name in modules():
        for private in defined_privately(name):
            defined_elsewhere.setdefault(private, set()).add(name)
    for arrow in arrows():
        for n in arrow.names:
            if is_private(n) and arrow.target != arrow.source:
                wrong.append(f"{where(arrow)}: imports {n}")
        if is_private(arrow.target.rsplit(".", 1)[-1]) and not arrow.source.startswith(arrow.target.rsplit(".", 1)[0]):
            wrong.append(f"{where(arrow)}: imports a private module")
    for name in modules():
        module = tree(name)
        aliases = {}  # local name -> seqlab module, for `import seqlab.x as y` / `from seqlab import x`
        for node in ast.walk(module):
            if isinstance(node, ast.ImportFrom):
                target = resolve(name, node)
                for a in node.names:
                    if f"{target}.{a.name}" in modules():
                        aliases[a.asname or a.name] = f"{target}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("seqlab") and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(module):
            if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
                continue
            base = node.value
            line = f"{modules()[name].relative_to(SRC)}:{node.lineno}: {ast.unparse(node)}"
            if isinstance(base, ast.Name) and base.id in aliases and aliases[base.id] != name:
                wrong.append(f"{line} (a private name of {aliases[base.id]})")
            elif isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            elif isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
                continue
            elif node.attr not in defined_privately(name) and defined_elsewhere.get(node.attr):
                owners = ", ".join(sorted(defined_elsewhere[node.attr]))
                wrong.append(f"{line} (defined in {owners})")
    assert not wrong, "private names used across modules:\n" + "\n".join(wrong)


def test_no_source_file_is_over_400_lines():
    over = {str(p.relative_to(ROOT)): n for p in modules().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(over) <= set(PENDING_SPLIT), \
        f"split these files (aim for under {MAX_LINES} lines): " + ", ".join(f"{k} ({v})" for k, v in over.items()
                                                                              if k not in PENDING_SPLIT)


@pytest.mark.parametrize("name", ["seqlab.layers", "seqlab.models", "seqlab.data.series", "seqlab.training.config",
                                  "seqlab.tasks.classify.config"])
def test_lower_layers_import_without_lightning(name):
    """Building a network, reading data or a config never loads the training engine's Lightning."""
    import subprocess
    import sys

    code = f"import sys, {name}; print(sorted(m for m in ('lightning', 'seqlab.training.engine') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", f"importing {name} loads {done.stdout.strip()}"
