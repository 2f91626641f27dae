"""The model's equations as SBML formula text (:mod:`ipscsim.model.network`, translated).

Each name is renamed for the document: a parameter ``k`` becomes ``p_k``, a gene ``X`` of cohort ``i``
``c<i>_X``, a local of a per-cohort section ``<name>_<i>``, an output ``rate.div`` ``rate_div_<i>``;
functions keep their names (the document defines them, :mod:`ipscsim.export.sbml_writer`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..model.expr import Equation
from .sbml_writer import _num

__all__ = ["formula", "sid_of"]

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_FUNCS = {"min": "fmin", "max": "fmax", "log": "ln"}


def sid_of(name: str) -> str:
    """An identifier for a dotted name (``rate.div`` -> ``rate_div``)."""
    return name.replace(".", "_")


def formula(node: ast.expr, rename: Callable[[str], str]) -> str:
    """SBML infix text of an expression, names mapped by ``rename``."""
    if isinstance(node, ast.Constant):
        return _num(float(node.value))
    if isinstance(node, ast.Name):
        return rename(node.id)
    if isinstance(node, ast.Attribute):
        return rename(f"{node.value.id}.{node.attr}")  # type: ignore[union-attr]
    if isinstance(node, ast.UnaryOp):
        inner = formula(node.operand, rename)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = formula(node.left, rename)
        if isinstance(node.op, ast.Pow):
            return f"(({left})^{int(node.right.value)})"  # type: ignore[attr-defined]
        return f"({left} {_OPS[type(node.op)]} {formula(node.right, rename)})"
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        args = ", ".join(formula(a, rename) for a in node.args)
        return f"{_FUNCS.get(name, name)}({args})"
    raise TypeError(ast.dump(node))  # pragma: no cover - the parser forbids it


def equation_formula(eq: Equation, rename: Callable[[str], str]) -> str:
    """The formula of one equation."""
    return formula(eq.expr, rename)
