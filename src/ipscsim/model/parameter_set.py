"""Named parameter sets with bounds and distributions, drawn reproducibly.

A :class:`ParameterSet` holds a value for every model parameter (the defaults unless overridden) together
with a range and a distribution for each (from ``model/data/parameters.csv``, or set by the user). It is
what uncertainty analyses draw from and what calibration returns. The table holds three ranges per
parameter; ``ranges=`` picks one:

* ``"plausible"`` (default): the parameter uncertainty given the published outcomes, a box in which joint
  draws still meet them;
* ``"profile"``: how far each parameter alone may move with the others at their defaults (wider: joint
  draws over these ranges mostly contradict the data);
* ``"prior"``: what is biologically plausible before looking at the data;
* ``"posterior"``: the plausible ranges, but draws take the parameters of the shipped posterior
  (:func:`ipscsim.model.posterior.shipped_posterior`: the Bayesian calibration to the literature
  table) jointly from its sample; ``posterior=`` gives a posterior of one's own (for example
  ``ips.calibrate(..., method="mcmc").posterior``).


>>> import ipscsim as ips
>>> ps = ips.ParameterSet().with_values(k_neurogenesis=1.2)
>>> draws = ps.sample(200, seed=1, names=["k_neurogenesis", "sigma_sensitivity"])
>>> len(draws)
200
>>> r = ips.simulate("maury2015", params=draws[0])          # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._paths import output_path
from ..errors import ParameterError, check_int, is_real, suggest
from .layout import PARAM_INDEX, PARAM_NAMES
from .parameters import param_table, resolve_params

__all__ = ["DISTRIBUTIONS", "RANGES", "ParameterSet"]

#: Distributions a parameter's uncertainty may follow over its range.
DISTRIBUTIONS = ("uniform", "loguniform", "fixed")

#: The ranges of the parameter table a set can take its bounds from.
RANGES = ("plausible", "profile", "prior", "posterior")


class ParameterSet:
    """Values of every model parameter, with a range and a distribution for each.

    Args:
        values: Overrides of the default values (name to value).
        bounds: Overrides of the plausible ranges (name to ``(low, high)``).
        distributions: Overrides of the distributions (name to ``uniform``, ``loguniform`` or ``fixed``).
        ranges: Which ranges of the table the bounds start from: ``"plausible"``, ``"profile"``,
            ``"prior"`` or ``"posterior"`` (see the module documentation).
        posterior: A :class:`~ipscsim.model.posterior.Posterior` (or a CSV written by one) whose
            parameters draws take jointly from its sample (the plausible ranges for the rest).
    """

    def __init__(
        self,
        values: Mapping[str, float] | None = None,
        bounds: Mapping[str, tuple[float, float]] | None = None,
        distributions: Mapping[str, str] | None = None,
        ranges: str = "plausible",
        posterior: Any = None,
    ):
        table = param_table()
        self._values = resolve_params(dict(values or {}))
        if ranges not in RANGES:
            raise ParameterError(
                f"ranges: {ranges!r}{suggest(str(ranges), RANGES)} (one of {', '.join(RANGES)})"
            )
        prefix = {"plausible": "", "profile": "profile_", "prior": "prior_", "posterior": ""}[
            ranges
        ]
        self._posterior = _as_posterior(posterior, ranges)
        self._bounds = {
            n: (getattr(t, prefix + "lower"), getattr(t, prefix + "upper"))
            for n, t in table.items()
        }
        self._dist = {n: t.distribution for n, t in table.items()}
        for name, b in _mapping("bounds", bounds).items():
            self._bounds[name] = _check_bounds(name, b)
        for name, d in _mapping("distributions", distributions).items():
            _check_name(name)
            if not isinstance(d, str) or d not in DISTRIBUTIONS:
                raise ParameterError(
                    f"distribution {name!r}: {d!r}{suggest(str(d), DISTRIBUTIONS)} (one of "
                    f"{', '.join(DISTRIBUTIONS)})"
                )
            self._dist[name] = d
        for name, d in self._dist.items():  # a range given for a loguniform table row included
            if d == "loguniform" and self._bounds[name][0] <= 0:
                raise ParameterError(
                    f"bounds {name!r}: {self._bounds[name]} reaches 0, where a loguniform "
                    "parameter has no draws (they were NaN); give a lower bound above 0, or "
                    f"distributions={{{name!r}: 'uniform'}}"
                )

    # ------------------------------------------------------------------ views
    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in array order."""
        return PARAM_NAMES

    def __getitem__(self, name: str) -> float:
        _check_name(name)
        return float(self._values[PARAM_INDEX[name]])

    def to_dict(self) -> dict[str, float]:
        """Every parameter's value."""
        return {n: float(v) for n, v in zip(PARAM_NAMES, self._values, strict=True)}

    def to_array(self) -> np.ndarray:
        """The values in the engines' array order (a copy)."""
        return self._values.copy()

    def bounds(self, name: str) -> tuple[float, float]:
        """Range of a parameter (the plausible range unless the set was made with other ranges)."""
        _check_name(name)
        return self._bounds[name]

    def distribution(self, name: str) -> str:
        """Distribution of a parameter over its range."""
        _check_name(name)
        return self._dist[name]

    def changed(self) -> dict[str, float]:
        """The parameters whose value differs from the default."""
        default = resolve_params(None)
        return {
            n: float(v)
            for n, v, d in zip(PARAM_NAMES, self._values, default, strict=True)
            if v != d
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParameterSet):
            return NotImplemented
        return (
            np.array_equal(self._values, other._values)
            and self._bounds == other._bounds
            and self._dist == other._dist
            and self._posterior is other._posterior
        )

    def __repr__(self) -> str:
        changed = self.changed()
        shown = ", ".join(f"{k}={v:g}" for k, v in list(changed.items())[:6])
        more = f", +{len(changed) - 6} more" if len(changed) > 6 else ""
        return f"ParameterSet({shown or 'defaults'}{more})"

    # ------------------------------------------------------------------ edits
    def with_values(self, values: Mapping[str, float] | None = None, **kw: float) -> ParameterSet:
        """A copy with some values changed."""
        out = self._copy()
        merged = {**_mapping("values", values), **kw}
        arr = resolve_params(merged)
        for name in merged:
            out._values[PARAM_INDEX[name]] = arr[PARAM_INDEX[name]]
        return out

    def _copy(self) -> ParameterSet:
        out = ParameterSet.__new__(ParameterSet)
        out._values = self._values.copy()
        out._bounds = dict(self._bounds)
        out._dist = dict(self._dist)
        out._posterior = self._posterior
        return out

    # ------------------------------------------------------------------ uncertainty
    def sample(
        self,
        n: int,
        seed: int | np.random.Generator | None = None,
        names: Iterable[str] | None = None,
        design: str = "lhs",
    ) -> list[ParameterSet]:
        """Draw ``n`` parameter sets over the plausible ranges (or from the posterior, if it has one).

        Args:
            n: Number of draws.
            seed: Seed (the same seed gives the same draws).
            names: Parameters to vary (default: every parameter whose distribution is not ``fixed``);
                the others keep this set's values.
            design: ``"lhs"`` (Latin hypercube) or ``"random"``.
        """
        return [self._with_array(v) for v in self.sample_arrays(n, seed, names, design)]

    def sample_arrays(
        self, n: int, seed=None, names: Iterable[str] | None = None, design: str = "lhs"
    ) -> np.ndarray:
        """As :meth:`sample`, returning an ``(n, n_params)`` array."""
        from scipy.stats import qmc

        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"n: {n!r} must be a positive number of draws")
        if isinstance(names, str):  # one name, not its letters
            names = [names]
        varied = [
            x for x in (names or PARAM_NAMES) if (names is not None or self._dist[x] != "fixed")
        ]
        for name in varied:
            _check_name(name)
        rng = _generator(seed)
        d = len(varied)
        if design == "lhs":
            u = qmc.LatinHypercube(d, seed=rng).random(n) if d else np.empty((n, 0))
        elif design == "random":
            u = rng.random((n, d))
        else:
            raise ParameterError(f"design: {design!r} must be 'lhs' or 'random'")
        out = np.tile(self._values, (n, 1))
        for j, name in enumerate(varied):
            lo, hi = self._bounds[name]
            dist = self._dist[name]
            if dist == "loguniform":
                col = np.exp(np.log(lo) + u[:, j] * (np.log(hi) - np.log(lo)))
            elif dist == "fixed":
                col = np.full(n, self._values[PARAM_INDEX[name]])
            else:
                col = lo + u[:, j] * (hi - lo)
            out[:, PARAM_INDEX[name]] = col
        if self._posterior is not None:
            cols = [j for j, x in enumerate(self._posterior.names) if x in set(varied)]
            rows = self._posterior.draw(n, rng)
            for j in cols:
                out[:, PARAM_INDEX[self._posterior.names[j]]] = rows[:, j]
        return out

    @property
    def posterior(self) -> Any:
        """The posterior draws take their parameters from (``None``: ranges only)."""
        return self._posterior

    def _with_array(self, values: np.ndarray) -> ParameterSet:
        out = self._copy()
        out._values = np.asarray(values, dtype=np.float64).copy()
        return out

    # ------------------------------------------------------------------ files
    def to_toml(
        self, path: str | Path | None = None, only_changed: bool = True, **meta: Any
    ) -> str:
        """Write ``[parameters]`` (the changed values, or all) to TOML; returns the text."""
        import tomli_w

        values = self.changed() if only_changed else self.to_dict()
        data: dict[str, Any] = {"parameters": values}
        # a note's line breaks stay inside its comment (a bare second line was malformed TOML)
        text = "".join(
            f"# {k}: {str(v).replace(chr(10), chr(10) + '#   ')}\n" for k, v in meta.items()
        ) + tomli_w.dumps(data)
        if path is not None:
            output_path(path, "path", (".toml",), "parameters.toml").write_text(text, "utf-8")
        return text

    @classmethod
    def from_toml(cls, path: str | Path) -> ParameterSet:
        """Read a parameter file (``[parameters]`` table or top-level ``name = value``)."""
        from .parameters import read_param_file

        return cls(read_param_file(path))

    @classmethod
    def from_array(cls, values: Sequence[float]) -> ParameterSet:
        """A set from a full array of values."""
        return cls()._with_array(resolve_params(np.asarray(values, dtype=np.float64)))


def _as_posterior(posterior: Any, ranges: str) -> Any:
    """The posterior a set draws from: given, read from a CSV, the shipped one, or ``None``."""
    from .posterior import Posterior, shipped_posterior

    if posterior is None:
        return shipped_posterior() if ranges == "posterior" else None
    if isinstance(posterior, Posterior):
        return posterior
    if isinstance(posterior, (str, Path)):
        return Posterior.from_csv(posterior)
    raise ParameterError(
        f"posterior: {posterior!r} must be a Posterior (calibrate(..., method='mcmc').posterior), "
        "a posterior CSV or None"
    )


def _check_name(name: str) -> None:
    if name not in PARAM_INDEX:
        raise ParameterError(
            f"unknown parameter {name!r}{suggest(str(name), PARAM_NAMES)} (ipscsim.parameters() lists "
            "the names)"
        )


_EXAMPLE = {"bounds": (0.5, 2.0), "distributions": "uniform"}


def _mapping(field: str, value: Any) -> dict[str, Any]:
    """``values``, ``bounds`` or ``distributions`` as a dict (``None``: empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParameterError(
            f"{field}: {value!r} must map parameter names to values, e.g. "
            f"{{'k_neurogenesis': {_EXAMPLE.get(field, 1.2)!r}}}"
        )
    return dict(value)


def _check_bounds(name: str, b: Any) -> tuple[float, float]:
    """A ``(low, high)`` range within what the model accepts for ``name``."""
    _check_name(name)
    ok = (  # a tuple, list or array of two numbers
        not isinstance(b, (str, bytes)) and hasattr(b, "__len__") and len(b) == 2
        and all(is_real(x) for x in b)
    )  # fmt: skip
    lo, hi = (float(b[0]), float(b[1])) if ok else (math.nan, math.nan)
    if not lo <= hi:  # NaN too
        raise ParameterError(
            f"bounds {name!r}: {b!r} is not a range; give (low, high) with low <= high, e.g. (0.5, 2)"
        )
    resolve_params({name: lo})
    resolve_params({name: hi})
    return lo, hi


def _generator(seed: Any) -> np.random.Generator:
    """A random generator from a seed (a whole number >= 0, a Generator, or ``None``)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    return np.random.default_rng(check_int("seed", seed, 0, 2**63 - 1))
