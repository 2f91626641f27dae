"""Axis labels with units: readouts (summary fields, cell types and markers at a day), sweep inputs."""

from __future__ import annotations

__all__ = ["DAY_LABEL", "input_label", "input_unit", "readout_label", "readout_unit"]

#: The day axis of every time course.
DAY_LABEL = "day of differentiation (day)"

_FRACTION = "fraction of live cells"

#: Unit of each summary field (``ipscsim.results.SUMMARY_FIELDS``).
_SUMMARY_UNITS: dict[str, str] = {
    "mn_fraction": _FRACTION,
    "mn_yield": "MNs per seeded cell",
    "residual_pluripotent": _FRACTION,
    "residual_pluripotent_per_well": "OCT4+ cells per well",
    "residual_pluripotent_per_million": "OCT4+ cells per million live cells",
    "day_mn_10pct": "day",
    "day_mn_half": "day",
    "peak_pmn_fraction": _FRACTION,
    "day_peak_pmn": "day",
    "interneuron_fraction": _FRACTION,
    "offtarget_fraction": _FRACTION,
    "glia_fraction": _FRACTION,
    "lmc_share": "fraction of MNs",
    "hox_fraction": _FRACTION,
    "chat_fraction": _FRACTION,
    "total_cells": "cells per well",
}

#: Unit of each protocol knob kind (``ipscsim.sweep.knobs``).
_KNOB_UNITS: dict[str, str] = {
    "scale": "× the protocol's concentration",
    "shift": "days",
    "start": "day",
    "end": "day",
}


def readout_unit(readout: str) -> str:
    """The unit of a readout.

    Args:
        readout: A summary field (``"mn_yield"``), ``"<cell type>@<day>"``, ``"<marker>@<day>"``,
            a bare cell type or marker, ``"count:<cell type>"``, or a timing readout
            (``"onset:OLIG2"``, ``"peak:SOX1"``: a day).

    Returns:
        The unit in words (``"fraction of live cells"``, ``"MNs per seeded cell"``, ``"day"``); an
        empty string for an unknown name.
    """
    from ..model.readouts import CELL_TYPES, MARKERS

    if readout in _SUMMARY_UNITS:
        return _SUMMARY_UNITS[readout]
    if readout.startswith("count:"):
        return "cells per well"
    if readout.startswith(("onset:", "peak:")):
        return "day"
    field = readout.partition("@")[0]
    if field in CELL_TYPES:
        return _FRACTION
    if field in MARKERS:
        return "fraction of live cells positive"
    return ""


def readout_label(readout: str) -> str:
    """An axis label for a readout, with its unit: ``"MN@14 (fraction of live cells)"``."""
    unit = readout_unit(readout)
    return f"{readout} ({unit})" if unit else readout


def input_unit(name: str) -> str:
    """The unit of a sweep input: a protocol knob (``"SAG.scale"``) or a model parameter.

    Returns:
        ``"× the protocol's concentration"`` for a scale, ``"day"`` for a start or end, ``"days"`` for a
        shift, the parameter's unit from ``data/parameters.csv`` (``"dimensionless"`` when it has
        none), or an empty string for an unknown name.
    """
    from ..model.parameters import param_table

    table = param_table()
    if name in table:
        return table[name].unit or "dimensionless"
    kind = name.rpartition(".")[2]
    if name.startswith("culture."):
        from ..sweep.knobs import CULTURE_KNOBS

        return CULTURE_KNOBS.get(kind, "")
    return _KNOB_UNITS.get(kind, "") if "." in name else ""


def input_label(name: str) -> str:
    """An axis label for a sweep input, with its unit: ``"DAPT.start (day)"``."""
    unit = input_unit(name)
    return f"{name} ({unit})" if unit else name
