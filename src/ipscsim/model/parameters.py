"""The model's parameters and the genotype table, read from data files.

``model/data/parameters.csv`` holds value, unit, plausible range, hard limits and source of each
parameter; ``model/data/genotypes.csv`` the genotypes' MN hazard ratios.

Parameters travel through the engines as one float64 array in :data:`~ipscsim.model.layout.PARAM_NAMES`
order. A user overrides them by name with a dict, or with a TOML file::

    [parameters]
    k_neurogenesis = 1.2
    sigma_sensitivity = 0.3
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, is_real, suggest, warn
from .layout import PARAM_INDEX, PARAM_NAMES

__all__ = [
    "GENOTYPES",
    "Parameter",
    "default_params",
    "genotype_deprivation",
    "genotype_hazard",
    "param_table",
    "parameters",
    "resolve_params",
]


@dataclass(frozen=True)
class Parameter:
    """One row of the parameter table.

    Attributes:
        name: Parameter name (as used in sweeps and override files).
        value: Default value.
        unit: Unit.
        lower: Lower end of the plausible range: the parameter uncertainty given the published outcomes,
            as a box in which joint draws of every parameter still meet them (see
            :mod:`ipscsim.validation.ranges`); used for uncertainty analysis.
        upper: Upper end of the plausible range.
        profile_lower: Lower end of the profile range: how far this parameter alone may move from its
            default (the others at theirs) before a published outcome is lost.
        profile_upper: Upper end of the profile range.
        prior_lower: Lower end of the prior range (plausible before looking at the calibration data;
            the default search range of :func:`ipscsim.calibrate`).
        prior_upper: Upper end of the prior range.
        min: Smallest value the model accepts.
        max: Largest value the model accepts.
        distribution: How uncertainty spreads over the plausible range: ``uniform``, ``loguniform``
            (rates and potencies whose range spans a factor of 3 or more) or ``fixed``.
        module: Part of the model it belongs to.
        description: What it means.
        source: Citation, or the reason for an assumption.
        status: ``verified``, ``published model``, ``derived``, ``definition`` (a point of a scale
            the model defines, e.g. the rostro-caudal level where HOXB4 begins) or ``assumption``.
    """

    name: str
    value: float
    unit: str
    lower: float
    upper: float
    profile_lower: float
    profile_upper: float
    prior_lower: float
    prior_upper: float
    min: float
    max: float
    distribution: str
    module: str
    description: str
    source: str
    status: str


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("ipscsim.model").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def param_table() -> dict[str, Parameter]:
    """The parameter table, keyed by name, in array order."""
    rows = {r["name"]: r for r in _read_csv("parameters.csv")}
    missing = set(PARAM_NAMES) - set(rows)
    extra = set(rows) - set(PARAM_NAMES)
    if missing or extra:  # pragma: no cover - guards the shipped table against the layout
        raise ParameterError(
            f"parameters.csv does not match the layout: missing {missing}, extra {extra}"
        )
    out = {}
    for name in PARAM_NAMES:
        r = rows[name]
        out[name] = Parameter(
            name=name,
            value=float(r["value"]),
            unit=r["unit"],
            lower=float(r["lower"]),
            upper=float(r["upper"]),
            profile_lower=float(r["profile_lower"]),
            profile_upper=float(r["profile_upper"]),
            prior_lower=float(r["prior_lower"]),
            prior_upper=float(r["prior_upper"]),
            min=float(r["min"]),
            max=float(r["max"]),
            distribution=r["distribution"],
            module=r["module"],
            description=r["description"],
            source=r["source"],
            status=r["status"],
        )
    return out


@lru_cache(maxsize=1)
def _defaults() -> np.ndarray:
    arr = np.array([p.value for p in param_table().values()], dtype=np.float64)
    arr.setflags(write=False)
    return arr


def default_params() -> np.ndarray:
    """A fresh copy of the default parameter array."""
    return _defaults().copy()


def parameters():
    """The parameter table as a DataFrame indexed by name."""
    import pandas as pd

    return pd.DataFrame([p.__dict__ for p in param_table().values()]).set_index("name")


def _check_value(name: str, value: Any) -> float:
    if name not in PARAM_INDEX:
        raise ParameterError(
            f"unknown parameter {name!r}{suggest(name, PARAM_NAMES)} (ipscsim.parameters() lists "
            "the names)"
        )
    if not is_real(value):
        raise ParameterError(f"parameter {name!r}: {value!r} is not a number")
    v = float(value)
    row = param_table()[name]
    if not math.isfinite(v) or v < row.min or v > row.max:
        raise ParameterError(
            f"parameter {name!r}: {value!r} is outside the values the model accepts "
            f"[{row.min:g}, {row.max:g}] {row.unit}; the plausible range is [{row.lower:g}, "
            f"{row.upper:g}]"
        )
    return v


def warn_implausible(params: Any) -> None:
    """Warn (UserWarning) about each given value outside its parameter's plausible range.

    The model accepts values between its hard limits; the plausible range is what the literature and
    the published outcomes support (``ipscsim.parameters()``), so a value outside it is allowed, but a
    prediction made with it is an extrapolation the user should know about.

    Args:
        params: Overrides as a dict of name = value, a parameter file or a ParameterSet (their
            values that differ from the defaults are checked); arrays are not checked.
    """
    if isinstance(params, (str, os.PathLike)) or hasattr(params, "to_array"):
        given, default = resolve_params(params), default_params()
        params = {n: float(given[i]) for n, i in PARAM_INDEX.items() if given[i] != default[i]}
    if not isinstance(params, Mapping):
        return
    table = param_table()
    for name, value in params.items():
        row = table.get(name)
        if row is not None and is_real(value) and not row.lower <= float(value) <= row.upper:
            warn(
                f"parameter {name!r}: {value!r} is outside its plausible range [{row.lower:g}, "
                f"{row.upper:g}] {row.unit}; the prediction is an extrapolation",
                UserWarning,
            )


def read_param_file(path: str | Path) -> dict[str, float]:
    """Read parameter overrides from a TOML file (a ``[parameters]`` table, or top-level keys)."""
    from .._toml import read_toml_file

    p = Path(path)
    data = read_toml_file(p, "parameter file", ParameterError)
    if "parameters" in data:
        others = [k for k in data if k != "parameters"]
        if others:
            raise ParameterError(
                f"{p}: unknown key {others[0]!r} next to [parameters]; put every override inside "
                "[parameters]"
            )
        table = data["parameters"]
        if not isinstance(table, Mapping):
            raise ParameterError(f"{p}: [parameters] must be a table of name = value")
    else:
        table = data
    for key, value in table.items():
        if isinstance(value, Mapping):
            raise ParameterError(
                f"{p}: [{key}] is a table, not a parameter value; write overrides as name = value, "
                "at the top level or inside [parameters]"
            )
    return {str(k): v for k, v in table.items()}


def resolve_params(params: Any = None) -> np.ndarray:
    """Turn any accepted form of parameters into the model's float64 array.

    Args:
        params: ``None`` (defaults); a mapping of name to value (overrides of the defaults); a path to
            a TOML parameter file; an object with a ``to_dict()`` method returning such a mapping; or a
            full array of :data:`~ipscsim.model.layout.N_PARAMS` values.

    Raises:
        ParameterError: naming an unknown parameter or a value the model cannot accept.
    """
    if params is None:
        return default_params()
    if hasattr(params, "to_array") and not isinstance(params, np.ndarray):
        return resolve_params(params.to_array())
    if isinstance(params, (str, Path)):
        params = read_param_file(params)
    elif hasattr(params, "to_dict") and not isinstance(params, Mapping):
        params = params.to_dict()
    if isinstance(params, Mapping):
        arr = default_params()
        for name, value in params.items():
            value = _check_value(name, value)
            arr[PARAM_INDEX[name]] = value
        return arr
    try:
        arr = np.asarray(params, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.shape != (len(PARAM_NAMES),):
        if arr is None or arr.ndim == 0:
            raise ParameterError(
                f"params: {params!r} must be a dict of name = value, a ParameterSet, a TOML file or "
                f"an array of the {len(PARAM_NAMES)} parameter values"
            )
        raise ParameterError(
            f"a parameter array must have shape ({len(PARAM_NAMES)},), not {arr.shape}; pass a dict "
            "of name = value to override some parameters"
        )
    for name, v in zip(PARAM_NAMES, arr, strict=True):
        _check_value(name, float(v))
    return arr.copy()


@lru_cache(maxsize=1)
def _genotypes() -> dict[str, dict[str, str]]:
    return {r["genotype"]: r for r in _read_csv("genotypes.csv")}


#: Genotypes the model knows.
GENOTYPES: tuple[str, ...] = ("control", "SOD1_A4V", "C9orf72", "TARDBP_M337V", "FUS")


def canonical_genotype(genotype: str) -> str:
    """The table's spelling of a genotype (case-insensitive).

    Raises:
        ParameterError: for a genotype the table does not know (suggesting the nearest), or a value
            that is not text.
    """
    table = _genotypes()
    if isinstance(genotype, str) and genotype in table:
        return genotype
    lower = {g.lower(): g for g in table}
    if isinstance(genotype, str) and genotype.lower() in lower:
        return lower[genotype.lower()]
    raise ParameterError(
        f"genotype: unknown genotype {genotype!r}{suggest(str(genotype), table)} (choose one "
        f"of {', '.join(table)})"
    )


def genotype_hazard(genotype: str) -> float:
    """MN death hazard ratio of a genotype relative to its isogenic control, with full trophic support."""
    return float(_genotypes()[canonical_genotype(genotype)]["mn_hazard_ratio"])


def genotype_deprivation(genotype: str) -> float:
    """MN hazard ratio of a genotype's death by trophic deprivation, relative to its isogenic control."""
    return float(_genotypes()[canonical_genotype(genotype)]["deprivation_hazard_ratio"])


def genotypes():
    """The genotype table as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(list(_genotypes().values())).set_index("genotype")
