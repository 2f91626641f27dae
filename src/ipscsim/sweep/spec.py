"""Sweep specification files (TOML), for ``ipscsim sweep SPEC.toml``.

.. code-block:: toml

    protocol = "maury2015"          # preset name or protocol file (relative to the spec file)
    design = "grid"                 # grid | random | lhs | sobol
    n = 256                         # runs, for the sampling designs
    seed = 1
    readouts = ["mn_fraction", "MN@12"]
    days = 14
    genotype = "control"
    engine = "ode"                  # or a table: engine = { name = "abm", n_cells = 5000 }

    [space]
    "SAG.scale" = [0.1, 1, 10]
    "DAPT.start" = [7, 9, 11]
    k_neurogenesis = { bounds = [1.0, 2.0] }

    [params]                        # fixed overrides for every run
    sigma_sensitivity = 0.3
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._toml import read_toml_file
from ..errors import ParameterError, suggest
from .sweep import Sweep

__all__ = ["sweep_from_spec"]

_KEYS = (
    "protocol",
    "design",
    "n",
    "seed",
    "engine",
    "readouts",
    "days",
    "genotype",
    "cohorts",
    "space",
    "params",
    "options",
)


def sweep_from_spec(path: str | Path) -> Sweep:
    """Build a :class:`Sweep` from a TOML spec file (unknown keys are errors)."""
    path = Path(path)
    data: dict[str, Any] = read_toml_file(path, "sweep spec", ParameterError)
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise ParameterError(
            f"{path}: unknown key {unknown[0]!r}{suggest(unknown[0], _KEYS)} (keys: {', '.join(_KEYS)})"
        )
    for key in ("protocol", "space"):
        if key not in data:
            raise ParameterError(f"{path}: missing key {key!r}")
    protocol = data["protocol"]
    if isinstance(protocol, str) and (path.parent / protocol).is_file():
        protocol = str(path.parent / protocol)
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ParameterError(
            f"{path}: options = {options!r} must be a table of solver settings, e.g. "
            "[options] rtol = 1e-6"
        )
    options = dict(options)
    if "cohorts" in data:
        options["cohorts"] = data["cohorts"]
    return Sweep(
        protocol,
        data["space"],
        design=data.get("design", "grid"),
        n=data.get("n"),
        seed=data.get("seed"),
        engine=_engine(data.get("engine", "ode"), options, path),
        readouts=data.get("readouts"),
        params=data.get("params"),
        days=data.get("days"),
        genotype=data.get("genotype", "control"),
        record=_record(options, path),
    )


def _engine(value: Any, options: dict[str, Any], path: Path) -> Any:
    """The engine of a spec: a name (``"ode"``/``"abm"``) or a table with ``name`` and settings.

    The spec's ``cohorts`` and ``[options]`` (``rtol``, ``atol``, ``max_steps``, ``n_cells``, ...) are
    the engine's settings too.
    """
    from ..solvers import as_engine

    settings = {k: options.pop(k) for k in list(options) if k != "record_every"}
    if isinstance(value, dict):
        table = dict(value)
        name = table.pop("name", "ode")
        settings.update(table)
    else:
        name = value
    if not isinstance(name, str) or name.strip().lower() not in ("ode", "abm"):
        raise ParameterError(f"{path}: engine {name!r} must be 'ode' or 'abm' (any case)")
    return as_engine(name, **settings)


def _record(options: dict[str, Any], path: Path) -> Any:
    from ..solvers import Record

    every = options.pop("record_every", None)
    return Record() if every is None else Record(every=every)
