"""Readouts a sweep records per run: summary fields and values at given days.

* a summary field (``ipscsim.results.SUMMARY_FIELDS``: ``mn_fraction``, ``mn_yield``, ...);
* ``"<cell type>@<day>"``: the fraction of live cells of that type on that day (``"MN@14"``);
* ``"<marker>@<day>"``: the fraction positive for that marker on that day (``"OLIG2@12"``);
* ``"onset:<cell type or marker>"`` and ``"peak:<cell type or marker>"``: the day it first reaches
  0.10 of the live cells, and the day of its largest share
  (:data:`~ipscsim.model.readouts.TIMING_READOUTS`), read from the recorded days (``Record.every``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, suggest
from ..model.readouts import CELL_TYPES, MARKERS, SUMMARY_FIELDS, TIMING_READOUTS, timing_kind

__all__ = ["Readout", "parse_readouts"]


@dataclass(frozen=True)
class Readout:
    """One readout: a summary field, a cell type/marker at a day, or the day one appears or peaks."""

    name: str
    field: str
    table: str  # "summary", "fractions" or "markers"
    day: float = float("nan")
    timing: str = ""  # "onset" or "peak": the field's day, not its value on ``day``


def check_readout_days(readouts: Sequence[Readout], last_day: float) -> None:
    """Every readout's day lies in the run (0 to ``last_day``): a day past it has no value."""
    for r in readouts:
        if r.table != "summary" and not r.timing and not math.isfinite(r.day):
            raise ParameterError(f"readouts: {r.name!r}: the day must be a finite number")
        if math.isfinite(r.day) and not -1e-9 <= r.day <= last_day + 1e-9:
            raise ParameterError(
                f"readouts: {r.name!r}: day {r.day:g} is outside the run (days 0 to "
                f"{last_day:g}); read a day inside it, or run longer (a Sweep's days={r.day:g}, "
                "or the protocol's with_days)"
            )


def parse_readouts(readouts: Sequence[str] | None) -> tuple[Readout, ...]:
    """Validate readout names (default: every summary field)."""
    if readouts is None:
        return tuple(Readout(n, n, "summary") for n in SUMMARY_FIELDS)
    if isinstance(readouts, str):
        readouts = [readouts]
    if not isinstance(readouts, (list, tuple)):
        raise ParameterError(
            f"readouts: {readouts!r} must be a list of readout names, e.g. ['mn_fraction', 'MN@12']"
        )
    out = []
    options = [*SUMMARY_FIELDS, *(f"{c}@<day>" for c in (*CELL_TYPES, *MARKERS))]
    for name in readouts:
        if not isinstance(name, str):
            raise ParameterError(f"readouts: {name!r} is not a readout name")
        if name in SUMMARY_FIELDS:
            out.append(Readout(name, name, "summary"))
            continue
        if kind := timing_kind(name):
            out.append(_timing_readout(name, kind))
            continue
        if "@" in name:
            field, _, day = name.partition("@")
            try:
                d = float(day)
            except ValueError:
                raise ParameterError(f"readouts: {name!r}: day {day!r} is not a number") from None
            if field in CELL_TYPES:
                out.append(Readout(name, field, "fractions", d))
                continue
            if field in MARKERS:
                out.append(Readout(name, field, "markers", d))
                continue
            raise ParameterError(
                f"readouts: {name!r}: {field!r} is neither a cell type nor a marker"
                f"{suggest(field, (*CELL_TYPES, *MARKERS))}"
            )
        raise ParameterError(
            f"readouts: unknown readout {name!r}{suggest(name, options)} (summary fields: "
            f"{', '.join(SUMMARY_FIELDS)}; '<cell type or marker>@<day>'; or "
            f"{' or '.join(repr(k + ':<cell type or marker>') for k in TIMING_READOUTS)})"
        )
    names = [r.name for r in out]
    if len(set(names)) != len(names):
        raise ParameterError("readouts: a readout is listed twice")
    return tuple(out)


def _timing_readout(name: str, kind: str) -> Readout:
    """``onset:<field>`` or ``peak:<field>``, or an error naming the field with a fix."""
    field = name.split(":", 1)[1]
    if field in CELL_TYPES:
        return Readout(name, field, "fractions", timing=kind)
    if field in MARKERS:
        return Readout(name, field, "markers", timing=kind)
    raise ParameterError(
        f"readouts: {name!r}: {field!r} is neither a cell type nor a marker"
        f"{suggest(field, (*CELL_TYPES, *MARKERS))}; write e.g. '{kind}:OLIG2'"
    )


def readout_days(readouts: Sequence[Readout]) -> np.ndarray:
    """Days the engine must record for these readouts."""
    days = {r.day for r in readouts if r.table != "summary" and not r.timing}
    return np.array(sorted(days), dtype=np.float64)
