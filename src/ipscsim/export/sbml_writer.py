"""The SBML writing layer of :mod:`ipscsim.export.sbml_model`: numbers, identifiers and libsbml calls.

Private to the export: :class:`_Writer` wraps python-libsbml (one document, its unit of time and the
parameters, rules, initial assignments and events :func:`ipscsim.export.sbml` adds in order), and the
function definitions every document carries (branch-free ``fmax``/``fmin``, the Hill terms and the
*Numerical Recipes* erfc approximation behind the fate ``gate``).
"""

from __future__ import annotations

import math
import re
from typing import Any

# Numerical Recipes' erfcc: erfc(a) ~ t exp(-a^2 + P(t)), t = 1 / (1 + a / 2), a >= 0.
_ERFCC = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def _num(x: float) -> str:
    """A finite number as SBML formula text (negative numbers in parentheses)."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot write the non-finite number {x!r} into SBML")
    s = repr(x)
    return f"({s})" if x < 0 else s


def _sid(name: str) -> str:
    """An SBML identifier from a compound or gene name."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return s if re.match(r"[A-Za-z_]", s) else f"_{s}"


_FUNCTIONS = {
    # the equation language's functions (ipscsim.model.expr), branch-free: piecewise would defeat
    # libRoadRunner's caching of assignment rules
    "fmax": "lambda(a, b, (a + b + abs(a - b)) / 2)",
    "fmin": "lambda(a, b, (a + b - abs(a - b)) / 2)",
    "pos": "lambda(x, (x + abs(x)) / 2)",
    "clip01": "lambda(x, fmin(pos(x), 1))",
    "sat": "lambda(x, x / (1 + x))",
    "hill": "lambda(x, k, x / (k + x))",
    "hill2": "lambda(x, k, (x / k)^2 / (1 + (x / k)^2))",
    "hill4": "lambda(x, k, (x / k)^4 / (1 + (x / k)^4))",
    "hill8": "lambda(x, k, (x / k)^8 / (1 + (x / k)^8))",
    "rep2": "lambda(x, k, 1 / (1 + (x / k)^2))",
    "rep4": "lambda(x, k, 1 / (1 + (x / k)^4))",
    "rep8": "lambda(x, k, 1 / (1 + (x / k)^8))",
    "smax": "lambda(a, b, e, (a + b + sqrt((a - b)^2 + e * e)) / 2)",
}


def _erfcc_functions() -> dict[str, str]:
    """The function definitions of the erfc approximation and the fate gate built on it."""
    poly = _num(_ERFCC[-1])
    for c in reversed(_ERFCC[:-1]):
        poly = f"{_num(c)} + t * ({poly})"
    return {
        "erfc_t": f"lambda(t, a, t * exp(-a * a + {poly}))",
        "erfc_pos": "lambda(a, erfc_t(1 / (1 + 0.5 * a), a))",
        # erfc(z) = v for z >= 0 and 2 - v for z < 0, v = erfc(|z|), written v + (1 - sign(z)) (1 - v)
        # so that the tail (v ~ 1e-30) keeps its relative accuracy; z / (|z| + 1e-300) is the sign
        "erfc_nr": (
            "lambda(z, erfc_pos(abs(z)) + (1 - z / (abs(z) + 1e-300)) * (1 - erfc_pos(abs(z))))"
        ),
        # x <= 0 gives ln(1e-300 / th), deep in the tail: the gate is 0 there as in the kernel
        "gate": (
            "lambda(x, th, s, "
            f"0.5 * erfc_nr(-ln((fmax(x, 0) + 1e-300) / th) / (s * {_num(math.sqrt(2.0))})))"
        ),
    }


class _Writer:
    """Collects the model's components and writes them with python-libsbml."""

    def __init__(self, libsbml: Any, model_id: str, name: str) -> None:
        self.sb = libsbml
        self.doc = libsbml.SBMLDocument(3, 1)
        m = self.doc.createModel()
        m.setId(model_id)
        m.setName(name)
        ud = m.createUnitDefinition()
        ud.setId("day")
        u = ud.createUnit()
        u.setKind(libsbml.UNIT_KIND_SECOND)
        u.setExponent(1)
        u.setScale(0)
        u.setMultiplier(86400.0)
        m.setTimeUnits("day")
        self.m = m

    def _math(self, formula: str):
        ast = self.sb.parseL3Formula(formula)
        if ast is None:  # pragma: no cover - a bug in this module, not in the user's input
            raise RuntimeError(
                f"SBML export: cannot parse {formula!r}: {self.sb.getLastParseL3Error()}"
            )
        return ast

    def function(self, fid: str, formula: str) -> None:
        f = self.m.createFunctionDefinition()
        f.setId(fid)
        f.setMath(self._math(formula))

    def param(self, pid: str, value: float | None, constant: bool, name: str | None = None) -> None:
        p = self.m.createParameter()
        p.setId(pid)
        p.setConstant(constant)
        if value is not None:
            p.setValue(float(value))
        if name:
            p.setName(name)

    def rule(self, pid: str, formula: str, name: str | None = None) -> None:
        self.param(pid, None, False, name)
        r = self.m.createAssignmentRule()
        r.setVariable(pid)
        r.setMath(self._math(formula))

    def rate(self, pid: str, formula: str) -> None:
        r = self.m.createRateRule()
        r.setVariable(pid)
        r.setMath(self._math(formula))

    def initial(self, pid: str, formula: str) -> None:
        a = self.m.createInitialAssignment()
        a.setSymbol(pid)
        a.setMath(self._math(formula))

    def event(self, eid: str, day: float, assignments: list[tuple[str, str]], name: str) -> None:
        e = self.m.createEvent()
        e.setId(eid)
        e.setName(name)
        e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger()
        t.setInitialValue(False)
        t.setPersistent(True)
        t.setMath(self._math(f"time >= {_num(day)}"))
        for var, formula in assignments:
            a = e.createEventAssignment()
            a.setVariable(var)
            a.setMath(self._math(formula))

    def write(self) -> str:
        return self.sb.writeSBMLToString(self.doc)


def _libsbml():
    """The python-libsbml module, or an ImportError that says how to install it."""
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ipscsim.export.sbml needs python-libsbml: pip install 'ipscsim[sbml]' "
            "(or pip install python-libsbml)"
        ) from exc
    return libsbml
