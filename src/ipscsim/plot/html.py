"""Small inline SVG pictures for the Jupyter displays (``_repr_html_``) of protocols and results.

Plain strings, no matplotlib: a protocol's schedule as coloured bars, a cell-type composition as one
stacked bar. Both use the palette of every other plot and stay under a few kilobytes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from .palette import CELL_TYPE_COLORS, compound_color

__all__ = ["svg_composition", "svg_timeline"]


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def svg_timeline(protocol: Any, width: int = 420, row: int = 13) -> str:
    """A protocol's schedule as an inline SVG: one row per compound, bars over its windows.

    Bars take the colour of the compound's pathway; each carries a tooltip (compound, concentration,
    days). Operations are dashed vertical lines; a day scale runs along the bottom.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`.
        width: Width in pixels (the compound names take 90 of them).
        row: Height of a compound's row in pixels.
    """
    left, days = 90, float(protocol.days)
    span = width - left - 6

    def x(d: float) -> float:
        return left + span * min(max(d / days, 0.0), 1.0)

    compounds = list(protocol.compounds)
    height = row * len(compounds) + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="schedule of {_e(protocol.name)}" style="font:9px sans-serif">'
    ]
    for k, name in enumerate(compounds):
        y = k * row
        parts.append(f'<text x="0" y="{y + row - 3}">{_e(name)}</text>')
        for s in protocol.steps_of(name):
            parts.append(
                f'<rect x="{x(s.start):.1f}" y="{y + 1}" width="{max(x(s.end) - x(s.start), 1):.1f}" '
                f'height="{row - 2}" fill="{compound_color(name)}" stroke="#333" stroke-width="0.5">'
                f"<title>{_e(name)} {s.concentration:g} {_e(s.unit)}, days {s.start:g}-{s.end:g}"
                "</title></rect>"
            )
    base = row * len(compounds)
    for op in protocol.operations:
        parts.append(
            f'<line x1="{x(op.day):.1f}" y1="0" x2="{x(op.day):.1f}" y2="{base}" stroke="#000" '
            f'stroke-dasharray="3,2"><title>day {op.day:g}: {_e(op.kind)}</title></line>'
        )
    step = next((n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500) if days / n <= 12), 1000)
    for d in range(0, int(days) + 1, step):
        parts.append(
            f'<text x="{x(d):.1f}" y="{base + 12}" text-anchor="middle" fill="#555">{d}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def svg_composition(fractions: Mapping[str, float], width: int = 300, height: int = 14) -> str:
    """Cell-type fractions as one stacked inline-SVG bar, in the cell-type palette, with tooltips.

    Args:
        fractions: Cell type -> fraction of live cells (summing to 1).
        width: Width in pixels.
        height: Height in pixels.
    """
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        'aria-label="cell-type composition">'
    ]
    x0 = 0.0
    for name, f in fractions.items():
        w = width * float(f) if f > 0 else 0.0
        if w < 0.05:  # invisible; a NaN (no live cells) draws nothing
            x0 += w
            continue
        parts.append(
            f'<rect x="{x0:.2f}" y="0" width="{w:.2f}" height="{height}" '
            f'fill="{CELL_TYPE_COLORS.get(name, "#BBBBBB")}"><title>{_e(name)}: {f:.3f}</title></rect>'
        )
        x0 += w
    parts.append("</svg>")
    return "".join(parts)
