"""Stage-marker timing across protocol families: the days the stage markers appear and peak.

A differentiation model at human tempo must put the stage markers (SOX1, OLIG2, ISL1/MNX1, CHAT) on
the days the papers see them, in fast monolayer protocols and in slow aggregate protocols alike, with
one set of parameters. The published days are rows of the further-facts table
(``validation/data/validation_facts.csv``) with a timing readout (``onset:<marker>``, ``peak:<marker>``;
:data:`~ipscsim.model.readouts.TIMING_READOUTS`): a two-sided window of days that the paper's text
allows (the row's note says how it was read), or a direction against another protocol with a margin
in days. This module gathers them into the report's timing section; the rows themselves are
evaluated, cross-validated and fitted like every other fact.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ParameterError
from ..model.readouts import ONSET_LEVEL, timing_kind
from ..protocols.presets import as_protocol
from .perturbations import apply_perturbation

__all__ = ["timing_section"]


def _family(protocol: str, perturbation: str = "") -> tuple[str, str]:
    """A protocol arm's family as the report names it: its format at day 0, and with its length.

    The length is the arm's: a perturbation such as ``extend 75`` sets it.
    """
    try:
        p = as_protocol(protocol)
        arm = apply_perturbation(p, perturbation)
        days = arm.days if arm.days is not None else arm.protocol.days
    except (ParameterError, OSError):  # not a preset nor a readable file
        return "-", "-"
    kind = "monolayer" if p.format == "adherent" else "aggregates"
    return kind, f"{kind}, {days:g} days"


def _day(v: float) -> str:
    return "never" if not math.isfinite(v) else f"{v:.1f}"


def _row(ev_fx: Any, j: int, t: Any) -> tuple[str, str]:
    """A timing fact's family (for the tally) and its table line."""
    kind, marker = t.readout.split(":", 1)
    key, family = _family(t.protocol, t.perturbation)
    if t.kind == "direction":
        ref = t.reference_protocol or t.protocol
        ref_key, ref_family = _family(ref, t.reference_perturbation)
        key, family = f"{key} against {ref_key}", f"{family} against {ref_family}"
        word = {">": "later than", "<": "earlier than", "=": "within"}[t.relation]
        window = f"{word} {ref} ({_day(ev_fx.references[0, j])}) by {t.margin:g}"
    elif t.relation == "in":
        window = f"{t.value:g} ({t.low:g}-{t.high:g})"
    else:
        window = f"{t.relation} {t.value:g}"
    line = (
        f"| {t.id} | {t.protocol}{' (' + t.perturbation + ')' if t.perturbation else ''} | "
        f"{family} | {marker} | {kind} | {window} | {_day(ev_fx.values[0, j])} | "
        f"{'yes' if ev_fx.met[0, j] else '**no**'} |"
    )
    return key, line


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
    families: dict[str, list[bool]] = {}
    table = []
    for j, t in rows:
        key, line = _row(ev_fx, j, t)
        families.setdefault(key, []).append(bool(ev_fx.met[0, j]))
        table.append(line)
    met = sum(sum(v) for v in families.values())
    return [
        "## Stage-marker timing across protocol families",
        "",
        f"The day each stage marker first reaches {ONSET_LEVEL:.0%} of live cells (`onset`) and the "
        "day of its largest share (`peak`), in monolayer and aggregate protocols, with one set of "
        "parameters (the defaults). A published day is a window that the paper's text allows (each "
        "row's note says how it was read), or a comparison with another protocol by a margin in "
        f"days. The rows are further facts (above); met {met} of {len(rows)}: "
        + ", ".join(f"{k} {sum(v)} of {len(v)}" for k, v in sorted(families.items()))
        + ".",
        "",
        "| id | protocol | family | marker | event | published day (window, or against a reference) "
        "| model day | met |",
        "|---|---|---|---|---|---|---|---|",
        *table,
        "",
    ]
