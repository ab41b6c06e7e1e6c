"""The layers hold: no import cycle among pairhmm's modules (imports inside functions counted), no
module reaching into another class's private attributes, one domain-blind parallel runner, and
kernels that take argument bundles instead of twenty arrays. Read from the source (AST), so
every module is checked, imported or not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "pairhmm"

#: Known exceptions, each with its reason. They are checked to still exist, so the list shrinks
#: as the code is cleaned up.
PRIVATE_ACCESS_ALLOWED = {
    # the scanner reuses a filter's cached score distribution (the p-value code is being
    # reworked separately)
    ("motif/scan.py", "_score_distribution"), ("motif/pvalue.py", "_score_distribution"),
}
KERNEL_ARGS_ALLOWED = {
    # the motif scanning kernel: its caller (motif/scan.py) is being reworked separately
    ("_kernels/motif.py", "_scan_segment"), ("_kernels/motif.py", "scan_filters"),
    ("_kernels/motif.py", "scan_filters_serial"),
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for sub in node.body:
                skip.update(id(n) for n in ast.walk(sub))
    return skip


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The pairhmm modules ``name`` imports anywhere (functions included), with the packages
    that importing them runs (below the root package)."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                root = base[: len(base) - node.level + 1]
                mod = ".".join(root + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        for t in targets:
            if t in modules:
                found.add(t)
    # importing a.b.c runs a.b first (the root package only loads light modules), unless a.b
    # is the importer's own package (then it is being imported already)
    for t in list(found):
        parts = t.split(".")
        for k in range(2, len(parts)):
            parent = ".".join(parts[:k])
            if parent in modules:
                found.add(parent)
    return {t for t in found if t != name and not name.startswith(t + ".")
            and t != "pairhmm" and not t.startswith("pairhmm.cli")}


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                cycles.append(stack[stack.index(v):] + [v])
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(graph):
        if u not in state:
            visit(u)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _own_private_names(tree: ast.AST) -> set[str]:
    """Private names the module's own classes and module scope define."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_"):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            names.add(node.attr)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(t, ast.Name):
                    names.add(t.id)
                elif isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
                        and t.value.id in ("self", "cls"):
                    names.add(t.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "__setattr__" and len(node.args) >= 2 and \
                isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            names.add(node.args[1].value)  # object.__setattr__(self, "_x", ...) in a frozen class
    return {n for n in names if n.startswith("_")}


def _private_accesses(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every private attribute read or written on something other than
    ``self``/``cls``, that this module's own classes do not define (``obj._x``, and
    ``getattr``/``setattr``/``hasattr`` with a literal ``"_x"``)."""
    tree = ast.parse(path.read_text())
    own = _own_private_names(tree)
    out = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and \
                not (node.attr.startswith("__") and node.attr.endswith("__")):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            name = node.attr
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) >= 2 and \
                isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str) and \
                node.args[1].value.startswith("_") and not node.args[1].value.startswith("__"):
            name = node.args[1].value
        if name is not None and name not in own:
            out.append((node.lineno, name))
    return out


def test_no_module_reaches_into_another_class_private_attributes():
    found = []
    used_allowances = set()
    for path in sorted(PKG.rglob("*.py")):
        rel = str(path.relative_to(PKG))
        for line, name in _private_accesses(path):
            if (rel, name) in PRIVATE_ACCESS_ALLOWED:
                used_allowances.add((rel, name))
                continue
            found.append(f"{rel}:{line} .{name}")
    assert not found, "private attributes of other classes or modules used: " + ", ".join(found)
    assert used_allowances == PRIVATE_ACCESS_ALLOWED, \
        f"exceptions no longer needed: {sorted(PRIVATE_ACCESS_ALLOWED - used_allowances)}"


def test_the_parallel_runner_is_domain_blind():
    """pairhmm.parallel (and the compatibility module pairhmm.distributed) import no model, and
    no model imports pairhmm.distributed."""
    modules = _modules()
    light = {"pairhmm.errors", "pairhmm.parallel"}
    for name in ("pairhmm.parallel", "pairhmm.distributed"):
        assert _imports(name, modules[name], modules) <= light, name
    users = [n for n, p in modules.items() if "pairhmm.distributed" in _imports(n, p, modules)]
    assert users == []


def test_kernels_take_bundles_not_twenty_arrays():
    wide = []
    for path in sorted((PKG / "_kernels").glob("*.py")):
        rel = str(path.relative_to(PKG))
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and len(node.args.args) >= 20:
                if (rel, node.name) not in KERNEL_ARGS_ALLOWED:
                    wide.append(f"{rel}:{node.name} ({len(node.args.args)})")
    assert not wide


@pytest.mark.parametrize("snippet, expect", [
    ("def f(o):\n    return o._x\n", [(2, "_x")]),
    ("class A:\n    def __init__(self):\n        self._x = 1\n    def g(self, o):\n        return o._x\n", []),
    ("def f(o):\n    return getattr(o, '_y', None)\n", [(2, "_y")]),
    ("def f(o):\n    return o.__class__\n", []),
])
def test_private_access_check_itself(tmp_path, snippet, expect):
    p = tmp_path / "m.py"
    p.write_text(snippet)
    assert _private_accesses(p) == expect


def test_cycle_check_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")  # pkg itself is being imported already
    (pkg / "b.py").write_text("def f():\n    from .a import g\n")
    mods = {"pkg": pkg / "__init__.py", "pkg.a": pkg / "a.py", "pkg.b": pkg / "b.py"}
    assert _imports("pkg.b", mods["pkg.b"], mods) == {"pkg.a"}
    assert _imports("pkg.a", mods["pkg.a"], mods) == {"pkg.b"}
