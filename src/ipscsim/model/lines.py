r"""Cell lines: reproducible draws of line-level parameters from a hierarchical distribution.

iPSC lines differ. A line is a set of log-deviations of the line-variable parameters
(``model/data/lines.csv``: parameter, between-line SD of its logarithm, source), drawn from
:math:`\mathcal N(0, \sigma_p^2)` with a seed given by the line's number, and applied to a base
parameter set multiplicatively: :math:`p_\mathrm{line} = p \, e^{z_p}` (clipped to the values the model
accepts). The same line number always gives the same line:

>>> import ipscsim as ips
>>> r = ips.simulate("maury2015", line=3)                       # doctest: +SKIP

Panels of lines are a study: :func:`ipscsim.studies.lines.across`.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from ..errors import ParameterError, is_real, suggest
from .layout import PARAM_INDEX
from .parameters import param_table

__all__ = ["CellLine", "apply_line", "draw", "line", "line_table"]

#: Seed offset so that line numbers do not collide with other uses of small seeds.
_LINE_SEED = 0x1F5C


@lru_cache(maxsize=1)
def line_table() -> dict[str, dict[str, str]]:
    """The line-variability table, keyed by parameter."""
    text = resources.files("ipscsim.model").joinpath("data/lines.csv").read_text("utf-8")
    rows = {r["parameter"]: r for r in csv.DictReader(text.splitlines())}
    unknown = set(rows) - set(PARAM_INDEX)
    if unknown:  # pragma: no cover - guards the shipped table
        raise ParameterError(f"lines.csv names unknown parameters {unknown}")
    return rows


@dataclass(frozen=True)
class CellLine:
    """One cell line: its number and the log-deviations of its line-variable parameters."""

    number: int
    deviations: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _line_number(self.number, "CellLine.number")
        if not isinstance(self.deviations, dict):
            raise ParameterError(
                f"CellLine.deviations: {self.deviations!r} must map parameters to log-deviations"
            )
        table = line_table()
        for name, z in self.deviations.items():
            if name not in table:
                raise ParameterError(
                    f"CellLine.deviations: {name!r} is not a line-variable parameter"
                    f"{suggest(str(name), table)} (those of model/data/lines.csv: {', '.join(table)})"
                )
            if not is_real(z) or not math.isfinite(float(z)):
                raise ParameterError(
                    f"CellLine.deviations[{name!r}]: {z!r} must be a finite log-deviation (0: the "
                    "base value; 0.2: 22% above it)"
                )

    def factors(self) -> dict[str, float]:
        """Multiplicative factors on the base values."""
        return {k: float(np.exp(v)) for k, v in self.deviations.items()}


def _line_number(number: object, field: str) -> int:
    """A line number (a whole number >= 0), or a ParameterError naming ``field``."""
    ok = is_real(number) and math.isfinite(float(number)) and float(number).is_integer()
    if ok and float(number) >= 0:
        return int(number)
    raise ParameterError(f"{field}: {number!r} must be a whole number >= 0")


def line(number: int) -> CellLine:
    """The cell line with this number (the same number always gives the same line)."""
    number = _line_number(number, "line")
    rng = np.random.default_rng([_LINE_SEED, int(number)])
    table = line_table()
    z = {p: float(rng.normal(0.0, float(row["sd_log"]))) for p, row in table.items()}
    return CellLine(int(number), z)


def draw(n: int, seed: int = 0) -> list[CellLine]:
    """``n`` lines, numbered from ``seed * 100000``: a reproducible panel."""
    if not is_real(n) or not math.isfinite(float(n)) or int(n) != n or n < 1:
        raise ParameterError(f"n: {n!r} must be a positive number of lines")
    seed = _line_number(
        seed, "seed (the panel's number; its lines are numbered from seed * 100000)"
    )
    return [line(seed * 100_000 + i) for i in range(int(n))]


def apply_line(params: np.ndarray, cell_line: CellLine | int | None) -> np.ndarray:
    """The parameter array of a line (a copy); ``None`` returns the base unchanged."""
    if cell_line is None:
        return params
    cl = line(cell_line) if not isinstance(cell_line, CellLine) else cell_line
    out = params.copy()
    table = param_table()
    for name, f in cl.factors().items():
        row = table[name]
        out[PARAM_INDEX[name]] = min(max(out[PARAM_INDEX[name]] * f, row.min), row.max)
    return out
