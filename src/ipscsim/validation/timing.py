"""Stage-marker timing across protocol families: the days the stage markers appear and peak.

A differentiation model at human tempo must put the stage markers (SOX1, OLIG2, ISL1/MNX1, CHAT) on
the days the papers see them, in fast monolayer protocols and in slow aggregate protocols alike, with
one set of parameters. The published days are rows of the further-facts table
(``validation/data/validation_facts.csv``) with a timing readout (``onset:<marker>``, ``peak:<marker>``;
:data:`~ipscsim.model.readouts.TIMING_READOUTS`), each a two-sided window: the last sampled day the
marker was absent (or below its peak) to the first day it was present (or past it), unless the paper
gives a tighter day. This module gathers them into the report's timing section; the rows themselves
are evaluated, cross-validated and fitted like every other fact.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ParameterError
from ..model.readouts import ONSET_LEVEL, timing_kind
from ..protocols.presets import as_protocol

__all__ = ["timing_section"]


def _family(protocol: str) -> str:
    """A protocol's family as the report names it: its format at day 0 and its length."""
    try:
        p = as_protocol(protocol)
    except (ParameterError, OSError):  # not a preset nor a readable file
        return "-"
    kind = "monolayer" if p.format == "adherent" else "aggregates"
    return f"{kind}, {p.days:g} days"


def _day(v: float) -> str:
    return "never" if not math.isfinite(v) else f"{v:.1f}"


def timing_section(ev_fx: Any) -> list[str]:
    """The report's section on stage-marker timing, from the further facts' evaluation.

    Args:
        ev_fx: Evaluation of the further facts (default parameters on row 0).

    Returns:
        Markdown lines (none when no fact has a timing readout).
    """
    rows = [(j, t) for j, t in enumerate(ev_fx.targets) if timing_kind(t.readout)]
    if not rows:
        return []
    met = sum(bool(ev_fx.met[0, j]) for j, _ in rows)
    families: dict[str, list[bool]] = {}
    for j, t in rows:
        families.setdefault(_family(t.protocol).split(",")[0], []).append(bool(ev_fx.met[0, j]))
    lines = [
        "## Stage-marker timing across protocol families",
        "",
        f"The day each stage marker first reaches {ONSET_LEVEL:.0%} of live cells (`onset`) and the "
        "day of its largest share (`peak`), in monolayer and aggregate protocols, with one set of "
        "parameters (the defaults). Each published day is a window: the last sampled day before "
        "and the first day at or after the event, unless the paper names the day. The rows are "
        f"further facts (above); met {met} of {len(rows)}: "
        + ", ".join(f"{k} {sum(v)} of {len(v)}" for k, v in sorted(families.items()))
        + ".",
        "",
        "| id | protocol | family | marker | event | published day (window) | model day | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for j, t in rows:
        kind, marker = t.readout.split(":", 1)
        window = f"{t.value:g} ({t.low:g}-{t.high:g})" if t.relation == "in" else f"{t.value:g}"
        lines.append(
            f"| {t.id} | {t.protocol}{' (' + t.perturbation + ')' if t.perturbation else ''} | "
            f"{_family(t.protocol)} | {marker} | {kind} | {window} | "
            f"{_day(ev_fx.values[0, j])} | {'yes' if ev_fx.met[0, j] else '**no**'} |"
        )
    return [*lines, ""]
