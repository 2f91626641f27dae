r"""The small equation language the biology is written in, and its numpy interpreter.

The model's equations (:mod:`ipscsim.model.network`) are written once, as text: one equation a line,
``target = expression  # meaning``, an expression being Python arithmetic on names, numbers and the
functions below (no branches, no loops). From that one source come

* the numpy reference: :func:`evaluate` walks the expressions with numpy, every cohort at once;
* the compiled kernels: :mod:`ipscsim.model.codegen` writes them as numba source
  (``engines/network.py``), which a test keeps in step with the equations;
* the SBML document (:mod:`ipscsim.export`), and any other form the engines need.

So a change to the biology is made in one place, and the forms cannot drift apart.

Functions (``K`` a threshold, ``x >= 0`` unless said):

.. math::
    \mathrm{sat}(x) = \frac{x}{1+x},\quad \mathrm{hill}(x, K) = \frac{x}{K + x},\quad
    \mathrm{hill}_n(x, K) = \frac{x^n}{K^n + x^n},\quad \mathrm{rep}_n(x, K) = \frac{1}{1 + (x/K)^n}
    \ (n = 2, 4, 8),

``pos(x) = max(x, 0)``, ``clip01(x)`` (into [0, 1]), ``smax(a, b, e)`` (a smooth maximum,
:math:`(a + b + \sqrt{(a-b)^2 + e^2})/2`), ``gate(x, t, s)`` (the probability a cell with level
:math:`x` is scored positive at a gate :math:`t` with log-normal noise :math:`s`:
:math:`\Phi(\ln(x/t)/s)`, 0 for :math:`x \le 0`), ``min``, ``max``, ``sqrt``, ``exp``, ``log``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "FUNCTIONS",
    "Equation",
    "Network",
    "evaluate",
    "free_names",
    "is_zero",
    "needed",
    "parse_block",
]


def _hill_n(n: int) -> Callable:
    def f(x, k):
        q = (x / k) ** n
        return q / (1.0 + q)

    return f


def _gate(x, th, sd):
    from scipy.special import ndtr

    x = np.asarray(x, dtype=np.float64)
    safe = np.where(x > 0.0, x, 1.0)
    out = np.where(x > 0.0, ndtr(np.log(safe / th) / sd), 0.0)
    return out if out.ndim else float(out)


def _rep_n(n: int) -> Callable:
    def f(x, k):
        return 1.0 / (1.0 + (x / k) ** n)

    return f


#: The functions the language knows: name to (number of arguments, numpy implementation).
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "sat": (1, lambda x: x / (1.0 + x)),
    "hill": (2, lambda x, k: x / (k + x)),
    "hill2": (2, _hill_n(2)),
    "hill4": (2, _hill_n(4)),
    "hill8": (2, _hill_n(8)),
    "rep2": (2, _rep_n(2)),
    "rep4": (2, _rep_n(4)),
    "rep8": (2, _rep_n(8)),
    "pos": (1, lambda x: np.maximum(x, 0.0)),
    "clip01": (1, lambda x: np.minimum(np.maximum(x, 0.0), 1.0)),
    "smax": (3, lambda a, b, e: 0.5 * (a + b + np.sqrt((a - b) ** 2 + e * e))),
    "min": (2, np.minimum),
    "max": (2, np.maximum),
    "gate": (3, lambda x, th, sd: _gate(x, th, sd)),
    "sqrt": (1, np.sqrt),
    "exp": (1, np.exp),
    "log": (1, np.log),
}

_BINOPS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
}


@dataclass(frozen=True)
class Equation:
    """One line of the model: ``target = expression  # meaning``.

    Attributes:
        target: What the line defines: a local name, ``d.GENE`` (a time derivative) or
            ``<kind>.<name>`` (an output of the section, e.g. ``rate.div``).
        expr: The parsed expression.
        text: The expression as written.
        doc: The meaning (the comment).
        line: Line number in its block (for messages).
    """

    target: str
    expr: ast.expr
    text: str
    doc: str
    line: int


@dataclass(frozen=True)
class Network:
    """The model's parsed equations, by section (:mod:`ipscsim.model.network` describes them)."""

    derived: tuple[Equation, ...]
    medium: tuple[Equation, ...]
    emit: tuple[Equation, ...]
    shared: tuple[Equation, ...]
    cell: tuple[Equation, ...]
    cohort: tuple[Equation, ...]
    global_: tuple[Equation, ...]
    readout: tuple[Equation, ...]
    neuron: tuple[Equation, ...]

    @staticmethod
    def outputs(eqs: tuple[Equation, ...], kind: str) -> tuple[str, ...]:
        """The targets ``<kind>.<name>`` of a section, in order (their names)."""
        return tuple(e.target.split(".", 1)[1] for e in eqs if e.target.startswith(kind + "."))

    def locals_(self, eqs: tuple[Equation, ...]) -> tuple[str, ...]:
        """The plain (local) targets of a section."""
        return tuple(e.target for e in eqs if "." not in e.target)


def _logical_lines(text: str) -> list[tuple[int, str, str]]:
    """``(line number, code, comment)`` per equation: indented lines continue the one before."""
    out: list[tuple[int, str, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        code, _, doc = raw.partition("#")
        if raw[0] in " \t" and out:
            m, c, d = out[-1]
            out[-1] = (m, f"{c} {code.strip()}", f"{d} {doc.strip()}".strip())
        else:
            out.append((n, code.strip(), doc.strip()))
    return out


def parse_block(text: str, block: str = "block") -> list[Equation]:
    """Parse a block of equations (see the module docstring).

    Raises:
        ValueError: for a line that is not ``target = expression``, a disallowed construct, or a
            function the language does not know (naming the block and line).
    """
    eqs = []
    for n, body, doc in _logical_lines(text):
        target, eq, expr = body.partition("=")
        if not eq or not target.strip():
            raise ValueError(f"{block} line {n}: expected 'target = expression', got {body!r}")
        try:
            tree = ast.parse(expr.strip(), mode="eval").body
        except SyntaxError as exc:
            raise ValueError(f"{block} line {n}: {exc.msg} in {expr.strip()!r}") from None
        _check(tree, block, n)
        eqs.append(Equation(target.strip(), tree, expr.strip(), doc, n))
    return eqs


def _check(node: ast.AST, block: str, n: int) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if not isinstance(sub.func, ast.Name) or sub.func.id not in FUNCTIONS:
                raise ValueError(f"{block} line {n}: unknown function {ast.unparse(sub.func)!r}")
            if len(sub.args) != FUNCTIONS[sub.func.id][0] or sub.keywords:
                raise ValueError(
                    f"{block} line {n}: {sub.func.id} takes {FUNCTIONS[sub.func.id][0]} arguments"
                )
        elif isinstance(sub, ast.BinOp):
            if isinstance(sub.op, ast.Pow):
                if not (isinstance(sub.right, ast.Constant) and sub.right.value in (2, 3, 4)):
                    raise ValueError(f"{block} line {n}: only powers 2, 3 and 4 are allowed")
            elif type(sub.op) not in _BINOPS:
                raise ValueError(f"{block} line {n}: operator {type(sub.op).__name__} not allowed")
        elif not isinstance(
            sub,
            (
                ast.Name,
                ast.Constant,
                ast.UnaryOp,
                ast.USub,
                ast.UAdd,
                ast.Load,
                ast.Call,
                ast.BinOp,
                ast.Attribute,
                *_BINOPS,
                ast.Pow,
            ),
        ):
            raise ValueError(f"{block} line {n}: {type(sub).__name__} is not allowed")


def free_names(expr: ast.expr) -> set[str]:
    """The names an expression reads (an attribute ``fate.MN`` reads as ``"fate.MN"``)."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            out.add(f"{node.value.id}.{node.attr}")
            return
        if isinstance(node, ast.Call):
            for a in node.args:
                visit(a)
            return
        if isinstance(node, ast.Name):
            out.add(node.id)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(expr)
    return out


def is_zero(expr: ast.expr) -> bool:
    """Whether an expression is written as zero (``0 * x``).

    So are the rate of a state only events change and a marker a neuron class never expresses.
    """
    return (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Mult)
        and isinstance(expr.left, ast.Constant)
        and expr.left.value == 0
    )


def needed(eqs: Sequence[Equation], names: set[str]) -> tuple[Equation, ...]:
    """The equations of ``eqs`` that define ``names`` or what those read, in their order."""
    need, keep = set(names), []
    for e in reversed(eqs):
        if e.target in need:
            keep.append(e)
            need |= free_names(e.expr)
    return tuple(reversed(keep))


def _value(node: ast.expr, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.Attribute):
        return env[f"{node.value.id}.{node.attr}"]  # type: ignore[union-attr]
    if isinstance(node, ast.UnaryOp):
        v = _value(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        left = _value(node.left, env)
        if isinstance(node.op, ast.Pow):
            return left ** int(node.right.value)  # type: ignore[attr-defined]
        return _BINOPS[type(node.op)](left, _value(node.right, env))
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id][1]  # type: ignore[attr-defined]
        return fn(*(_value(a, env) for a in node.args))
    raise TypeError(f"cannot evaluate {ast.dump(node)}")  # pragma: no cover - _check forbids it


def evaluate(eqs: list[Equation], env: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate equations in order with numpy; returns ``env`` extended with every target.

    Values broadcast: a per-cohort quantity is an array, a shared one a scalar.
    """
    out = dict(env)
    with np.errstate(divide="ignore", invalid="ignore"):
        for eq in eqs:
            out[eq.target] = _value(eq.expr, out)
    return out
