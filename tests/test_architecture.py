"""The house's shape: imports point down the pipeline, no circles, short modules and functions.

Read from the package's own source with ``ast`` (nothing is imported or run): every ``import`` and
``from ... import`` (at module level and inside functions) becomes an arrow from one module to another.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ipscsim"

#: The layers, lowest first: a module may import from its own layer or any layer below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "errors", "units", "_toml", "_paths", "trackers", "data", "examples"),
    ("protocols",),
    ("model",),
    ("engines",),
    ("results",),
    ("solvers", "api"),
    ("studies", "sweep", "validation", "export"),
    ("plot",),
    ("benchmarking", "cli", "__main__"),
)

#: Upward imports allowed, each with its reason: ``(importing module prefix, imported prefix)``.
CONVENIENCES = {
    (
        "ipscsim.protocols.protocol",
        "ipscsim.plot",
    ): "Protocol.plot draws the protocol",
    (
        "ipscsim.protocols.display",
        "ipscsim.plot",
    ): "a protocol's notebook view shows its timeline",
    (
        "ipscsim.results.result",
        "ipscsim.plot",
    ): "Result.plot/plot_cells/animate_cells, pandas-style",
    ("ipscsim.sweep.result", "ipscsim.plot"): "SweepResult.plot draws the sweep",
    ("ipscsim.sweep.sensitivity", "ipscsim.plot"): "SensitivityResult.plot draws the indices",
    ("ipscsim.studies.survival_assay", "ipscsim.plot"): "SurvivalAssay.plot draws the curves",
    ("ipscsim.studies.transplant", "ipscsim.plot"): "TransplantResult.plot/plot_map draw the graft",
    (
        "ipscsim.validation.report",
        "ipscsim.plot",
    ): "the report's figures (it writes docs, a top use)",
}

#: Functions allowed over 60 lines outside numba kernels, each with its reason.
LONG_FUNCTIONS = {
    "model/abm_reference.py:step_reference": "numpy twin of engines/abm/step.py:step_cells",
    "model/abm_reference.py:events_reference": "numpy twin of engines/abm/step.py:apply_events",
}


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(SRC.rglob("*.py")):
        rel = f.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


MODULES = _modules()


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([name] if name else [])])


def _imports(module: str, path: Path) -> list[tuple[str, str, int]]:
    """``(imported module, enclosing function, line)`` for every import of an ipscsim module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = func
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name
            if isinstance(child, ast.Import):
                found.extend((a.name, func, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = (
                    _resolve(module, is_package, child.level, child.module)
                    if child.level
                    else child.module or ""
                )
                for a in child.names:  # "from . import x" may name a submodule
                    sub = f"{target}.{a.name}"
                    found.append((sub if sub in MODULES else target, func, child.lineno))
            visit(child, inner)

    visit(tree, "")
    return [(m, f, n) for m, f, n in found if m == "ipscsim" or m.startswith("ipscsim.")]


def _find_layer(module: str) -> int | None:
    top = module.split(".")[1] if "." in module else ""
    return next((i for i, names in enumerate(LAYERS) if top in names), None)


def _layer(module: str) -> int:
    layer = _find_layer(module)
    if layer is None:
        raise AssertionError(f"{module} is in no layer: add its top-level name to LAYERS")
    return layer


ARROWS = {
    m: [(t, f, n) for t, f, n in _imports(m, p) if t != m]
    for m, p in MODULES.items()
    if m != "ipscsim"  # the package's face hands names on lazily
}


def _allowed(src: str, dst: str) -> bool:
    return any(src.startswith(a) and dst.startswith(b) for a, b in CONVENIENCES)


def test_every_module_has_a_layer():
    homeless = [m for m in ARROWS if _find_layer(m) is None]
    assert not homeless, "in no layer (add their top-level names to LAYERS): " + ", ".join(homeless)


def test_imports_point_down_the_pipeline():
    bad = [
        f"{src}:{line} ({func or 'module'}) imports {dst}"
        for src, arrows in ARROWS.items()
        for dst, func, line in arrows
        if dst != "ipscsim" and _layer(dst) > _layer(src) and not _allowed(src, dst)
    ]
    assert not bad, "imports from a lower layer up to a higher one:\n" + "\n".join(bad)


def test_no_import_circles():
    graph = {
        m: {d for d, _, _ in arrows if d in ARROWS and not _allowed(m, d)}
        for m, arrows in ARROWS.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in graph:
        if v not in index:
            strong(v)
    assert not circles, f"import circles: {circles}"


def test_modules_are_under_600_lines():
    long = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert not {m: n for m, n in long.items() if n > 600}


def _is_kernel(node: ast.FunctionDef) -> bool:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Name) and target.id == "jit":
            return True
    return False


def test_functions_are_under_60_lines_outside_kernels():
    long = []
    for p in MODULES.values():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_kernel(node):
                n = node.end_lineno - node.lineno + 1
                key = f"{p.relative_to(SRC).as_posix()}:{node.name}"
                if n > 60 and key not in LONG_FUNCTIONS:
                    long.append(f"{key} ({n} lines)")
    assert not long, "functions over 60 lines:\n" + "\n".join(sorted(long))


@pytest.mark.parametrize("key", sorted(LONG_FUNCTIONS))
def test_allowed_long_functions_exist(key):
    path, name = key.split(":")
    tree = ast.parse((SRC / path).read_text(encoding="utf-8"))
    assert any(isinstance(n, ast.FunctionDef) and n.name == name for n in ast.walk(tree))


def test_numba_only_in_the_engines():
    users = [
        m
        for m, p in MODULES.items()
        if any(
            (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "numba" for a in n.names))
            or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "numba")
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert users
    assert all(m.startswith("ipscsim.engines.") for m in users), users
