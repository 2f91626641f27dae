"""Sweep spaces: which protocol knobs and model parameters vary, over which values or distributions.

A space is a mapping from a name to its values. Names are protocol knobs, ``"<compound>.scale"``,
``"<compound>.shift"``, ``"<compound>.start"``, ``"<compound>.end"`` (see :mod:`ipscsim.sweep.knobs`), or
model parameter names (``ipscsim.parameters()``). Values are:

* a list of values (a grid axis; with a sampling design, equally likely choices);
* a pair ``(low, high)`` or ``{"bounds": [low, high], "dist": "uniform"}`` for sampling
  (``dist``: ``uniform``, ``loguniform``, ``normal`` or ``lognormal``; the last two take
  ``{"mean": m, "sd": s}`` instead of bounds, on the log scale for ``lognormal``);
* ``{"bounds": [low, high], "n": k}`` (optionally ``"dist": "loguniform"``) for a grid of ``k`` values.

A SALib problem dict (``{"names": [...], "bounds": [[lo, hi], ...], "dists": [...]}``) is accepted as
it is (SALib's ``unif``, ``norm`` and ``lognorm`` conventions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, suggest
from ..model.parameters import PARAM_NAMES, param_table
from ..protocols.compounds import registry
from .knobs import CULTURE, CULTURE_KNOBS, KNOB_KINDS

__all__ = ["DISTRIBUTIONS", "Dimension", "ParameterSpace"]

#: Distributions a sampled dimension may follow.
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "lognormal")


@dataclass(frozen=True)
class Dimension:
    """One varied quantity.

    Attributes:
        name: As written in the space (``"SAG.scale"`` or ``"k_neurogenesis"``).
        kind: ``"knob"`` (a protocol edit) or ``"param"`` (a model parameter).
        values: Grid values (``None`` for a continuous dimension).
        dist: Distribution of a continuous dimension.
        a: Lower bound (uniform, loguniform) or mean (normal, lognormal).
        b: Upper bound (uniform, loguniform) or standard deviation (normal, lognormal).
    """

    name: str
    kind: str
    values: tuple[float, ...] | None = None
    dist: str = "uniform"
    a: float = math.nan
    b: float = math.nan

    @property
    def is_grid(self) -> bool:
        """Whether the dimension has explicit values."""
        return self.values is not None

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map points of the unit interval to values (inverse CDF)."""
        from scipy.stats import norm

        u = np.asarray(u, dtype=np.float64)
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(np.int64), len(self.values) - 1)
            return np.asarray(self.values)[idx]
        if self.dist == "uniform":
            return self.a + u * (self.b - self.a)
        if self.dist == "loguniform":
            return np.exp(np.log(self.a) + u * (np.log(self.b) - np.log(self.a)))
        if self.dist == "normal":
            return norm.ppf(u, loc=self.a, scale=self.b)
        return np.exp(norm.ppf(u, loc=self.a, scale=self.b))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for stores and specs)."""
        if self.values is not None:
            return {"name": self.name, "values": list(self.values)}
        return {"name": self.name, "dist": self.dist, "a": self.a, "b": self.b}


def _number(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ParameterError(f"space {where}: {x!r} is not a number")
    v = float(x)
    if not math.isfinite(v):
        raise ParameterError(f"space {where}: {x!r} is not finite")
    return v


def _kind(name: str, compounds: Sequence[str]) -> str:
    if not isinstance(name, str):
        raise ParameterError(f"space: {name!r} is not a name")
    if "." in name:
        compound, knob = name.rsplit(".", 1)
        if compound == CULTURE:
            if knob not in CULTURE_KNOBS:
                raise ParameterError(
                    f"space: {name!r}: unknown culture knob {knob!r}{suggest(knob, CULTURE_KNOBS)} "
                    f"(one of {', '.join(f'{CULTURE}.{k}' for k in CULTURE_KNOBS)})"
                )
            return "knob"
        if knob not in KNOB_KINDS:
            raise ParameterError(
                f"space: {name!r}: unknown knob {knob!r}{suggest(knob, KNOB_KINDS)} (a protocol knob "
                f"is '<compound>.' followed by one of {', '.join(KNOB_KINDS)})"
            )
        canonical = registry().get(compound, where=f"space {name!r}: compound").name
        if canonical not in compounds:
            raise ParameterError(
                f"space: {name!r}: the protocol has no step with {canonical!r} (its compounds: "
                f"{', '.join(compounds) or 'none'}); add one with Protocol.with_step first"
            )
        return "knob"
    if name not in PARAM_NAMES:
        raise ParameterError(
            f"space: unknown parameter or knob {name!r}{suggest(name, PARAM_NAMES)} (knobs look like "
            "'SAG.scale'; parameters are listed by ipscsim.parameters())"
        )
    return "param"


def _dimension(name: str, spec: Any, kind: str) -> Dimension:
    where = repr(name)
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"values", "bounds", "dist", "n", "mean", "sd"}
        if unknown:
            raise ParameterError(
                f"space {where}: unknown key {sorted(unknown)[0]!r} (use values, bounds, dist, n, mean, sd)"
            )
        if "values" in spec:
            return _dimension(name, list(spec["values"]), kind)
        dist = spec.get("dist", "uniform")
        if dist not in DISTRIBUTIONS:
            raise ParameterError(
                f"space {where}: unknown dist {dist!r}{suggest(str(dist), DISTRIBUTIONS)} (one of "
                f"{', '.join(DISTRIBUTIONS)})"
            )
        if dist in ("normal", "lognormal") and "bounds" not in spec:
            if "mean" not in spec or "sd" not in spec:
                raise ParameterError(f"space {where}: a {dist} dimension needs mean and sd")
            a, b = _number(spec["mean"], f"{where} mean"), _number(spec["sd"], f"{where} sd")
            if b <= 0:
                raise ParameterError(f"space {where}: sd {b!r} must be > 0")
            return Dimension(name, kind, None, dist, a, b)
        if "bounds" not in spec:
            raise ParameterError(f"space {where}: give values, or bounds = [low, high]")
        lo, hi = _bounds(spec["bounds"], where)
        if dist == "loguniform" and lo <= 0:
            raise ParameterError(f"space {where}: loguniform bounds must be > 0, not {lo!r}")
        if "n" in spec:
            n = spec["n"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ParameterError(f"space {where}: n = {n!r} must be a positive integer")
            grid = np.geomspace(lo, hi, n) if dist == "loguniform" else np.linspace(lo, hi, n)
            return Dimension(name, kind, tuple(float(v) for v in grid))
        return Dimension(name, kind, None, dist, lo, hi)
    if isinstance(spec, tuple) and len(spec) == 2:
        lo, hi = _bounds(spec, where)
        return Dimension(name, kind, None, "uniform", lo, hi)
    if isinstance(spec, (list, np.ndarray, range)):
        values = [_number(v, where) for v in spec]
        if not values:
            raise ParameterError(f"space {where}: empty list of values; give at least one value")
        return Dimension(name, kind, tuple(values))
    raise ParameterError(
        f"space {where}: {spec!r} is neither a list of values, a (low, high) pair nor a table with "
        "bounds"
    )


def _bounds(b: Any, where: str) -> tuple[float, float]:
    if not isinstance(b, (list, tuple)) or len(b) != 2:
        raise ParameterError(f"space {where}: bounds {b!r} must be [low, high]")
    lo, hi = _number(b[0], f"{where} bounds"), _number(b[1], f"{where} bounds")
    if not lo < hi:
        raise ParameterError(f"space {where}: empty range [{lo:g}, {hi:g}]; low must be below high")
    return lo, hi


_SALIB_DISTS = {"unif": "uniform", "norm": "normal", "lognorm": "lognormal"}


class ParameterSpace:
    """The dimensions of a sweep, validated against a protocol.

    Args:
        space: A mapping of names to values or distributions, or a SALib problem dict.
        compounds: The compounds of the protocol the knobs edit.
    """

    def __init__(self, space: Mapping[str, Any], compounds: Sequence[str] = ()):
        if not isinstance(space, Mapping) or not space:
            raise ParameterError(
                "space: give a non-empty mapping of names to values (or a SALib dict)"
            )
        if "names" in space and "bounds" in space:
            space = self._from_salib(space)
        dims = []
        for name, spec in space.items():
            dims.append(_dimension(name, spec, _kind(name, compounds)))
        self.dimensions: tuple[Dimension, ...] = tuple(dims)

    @staticmethod
    def _from_salib(problem: Mapping[str, Any]) -> dict[str, Any]:
        names, bounds = list(problem["names"]), list(problem["bounds"])
        dists = list(problem.get("dists") or ["unif"] * len(names))
        if not (len(names) == len(bounds) == len(dists)):
            raise ParameterError("SALib problem: names, bounds and dists must have the same length")
        if "num_vars" in problem and problem["num_vars"] != len(names):
            raise ParameterError(
                f"SALib problem: num_vars = {problem['num_vars']} but {len(names)} names are given"
            )
        out: dict[str, Any] = {}
        for name, b, d in zip(names, bounds, dists, strict=True):
            if d not in _SALIB_DISTS:
                raise ParameterError(
                    f"SALib problem {name!r}: dist {d!r} is not supported (use unif, norm or lognorm)"
                )
            kind = _SALIB_DISTS[d]
            out[name] = (
                {"bounds": list(b)}
                if kind == "uniform"
                else {"dist": kind, "mean": b[0], "sd": b[1]}
            )
        return out

    @property
    def names(self) -> tuple[str, ...]:
        """Dimension names, in order."""
        return tuple(d.name for d in self.dimensions)

    def __len__(self) -> int:
        return len(self.dimensions)

    @property
    def is_grid(self) -> bool:
        """Whether every dimension has explicit values."""
        return all(d.is_grid for d in self.dimensions)

    def to_salib(self) -> dict[str, Any]:
        """The space as a SALib problem (uniform bounds; grid dimensions use their value range)."""
        bounds, dists = [], []
        for d in self.dimensions:
            if d.is_grid:
                bounds.append([min(d.values), max(d.values)])
                dists.append("unif")
            elif d.dist == "uniform":
                bounds.append([d.a, d.b])
                dists.append("unif")
            elif d.dist == "normal":
                bounds.append([d.a, d.b])
                dists.append("norm")
            elif d.dist == "lognormal":
                bounds.append([d.a, d.b])
                dists.append("lognorm")
            else:
                raise ParameterError(
                    f"space {d.name!r}: SALib has no loguniform; sweep its logarithm as a uniform "
                    "dimension instead"
                )
        return {"num_vars": len(self), "names": list(self.names), "bounds": bounds, "dists": dists}

    def to_dict(self) -> list[dict[str, Any]]:
        """Plain-data form."""
        return [d.to_dict() for d in self.dimensions]

    def check_params(self, values: Mapping[str, float]) -> None:
        """Check model-parameter values against the limits the model accepts."""
        table = param_table()
        for name, v in values.items():
            row = table[name]
            if not (row.min <= v <= row.max):
                raise ParameterError(
                    f"space {name!r}: value {v:g} is outside what the model accepts [{row.min:g}, "
                    f"{row.max:g}] {row.unit}; narrow the range"
                )
