"""Showing protocols: the notebook view and the difference between two protocols."""

from __future__ import annotations

import html
from typing import Any

from ..errors import ProtocolError

#: A :class:`~ipscsim.protocols.Protocol` (not imported here: the protocol module imports this one).
Protocol = Any

__all__ = ["diff", "protocol_html"]

#: Culture settings compared by :func:`diff`, with their units.
SETTINGS: dict[str, str] = {
    "days": "days",
    "format": "",
    "seeding_density": "cells/cm^2",
    "well_area": "cm^2",
    "medium_volume": "ml",
    "medium": "",
    "cassette": "",
    "cassette_efficiency": "",
    "cassette_vectors": "",
}


def protocol_html(p: Protocol) -> str:
    """The notebook view of a protocol: its culture, reference, timeline and steps."""
    from ..plot.html import svg_timeline

    e = html.escape
    rows = "".join(
        f"<tr><td>{e(s.compound)}</td><td>{s.concentration:g} {e(s.unit)}"
        f"</td><td>{s.start:g}</td><td>{s.end:g}</td></tr>"
        for s in sorted(p.steps, key=lambda s: (s.start, s.compound))
    )
    ops = "".join(
        f"<li>day {op.day:g}: {e(op.kind)}"
        + ("" if op.density is None else f" at {op.density:g} cells/cm²")
        + "</li>"
        for op in sorted(p.operations, key=lambda o: o.day)
    )
    cite = e(p.reference.get("citation", ""))
    doi = p.reference.get("doi", "")
    if doi:
        cite += f" (doi:{e(doi)})"
    return (
        f"<div><b>Protocol {e(p.name)}</b>: {p.days:g} days, {e(p.format)}, seeded at "
        f"{p.seeding_density:g} cells/cm², {_media_phrase(p)}"
        + (f"<br><i>{cite}</i>" if cite else "")
        + f"<br>{svg_timeline(p)}"
        "<table><thead><tr><th>compound</th><th>concentration</th><th>start (day)</th>"
        f"<th>end (day)</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<ul>{ops}</ul>" if ops else "")
        + "</div>"
    )


def _media_phrase(p: Protocol) -> str:
    if p.media_changes is not None:
        return f"media changes on days {', '.join(f'{d:g}' for d in p.media_changes)}"
    return f"media change every {p.media_change_every or 1:g} day(s)"


def _steps(p: Protocol, compound: str) -> str:
    return "; ".join(
        f"{s.concentration:g} {s.unit} days {s.start:g}-{s.end:g}" for s in p.steps_of(compound)
    )


def diff(a: Protocol, b: Protocol) -> Any:
    """What differs between two protocols, one row per difference.

    Compared: the culture settings (:data:`SETTINGS`), each compound's steps (concentration, unit and
    window), the operations (replating, aggregation, plating) and the media-change days.

    Args:
        a: The first protocol.
        b: The second.

    Returns:
        A DataFrame with columns ``what`` (``"setting"``, ``"compound"``, ``"operations"`` or
        ``"media changes"``), ``item``, ``a`` and ``b`` (the values as text, ``"-"`` for absent),
        named after the two protocols in ``attrs``; empty when nothing differs.

    Raises:
        ProtocolError: if ``b`` is not a Protocol.
    """
    import pandas as pd

    if type(b) is not type(a):
        raise ProtocolError(
            f"other: {b!r} is not a Protocol; compare with ips.protocols.get(name) or "
            "ips.Protocol.from_toml(path)"
        )
    rows = []
    for field, unit in SETTINGS.items():
        va, vb = getattr(a, field), getattr(b, field)
        if va != vb:
            rows.append(("setting", field, _text(va, unit), _text(vb, unit)))
    for c in sorted(set(a.compounds) | set(b.compounds)):
        sa, sb = _steps(a, c), _steps(b, c)
        if sa != sb:
            rows.append(("compound", c, sa or "-", sb or "-"))
    oa, ob = _operations(a), _operations(b)
    if oa != ob:
        rows.append(("operations", "replating, aggregation, plating", oa or "-", ob or "-"))
    ma, mb = a.media_change_days(), b.media_change_days()
    if ma != mb:
        rows.append(("media changes", "days", _days(ma), _days(mb)))
    out = pd.DataFrame(rows, columns=["what", "item", "a", "b"])
    out.attrs.update(a=a.name, b=b.name)
    return out


def _text(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip()


def _operations(p: Protocol) -> str:
    return "; ".join(
        f"day {op.day:g} {op.kind}" + ("" if op.density is None else f" at {op.density:g}")
        for op in sorted(p.operations, key=lambda o: o.day)
    )


def _days(days: tuple[float, ...]) -> str:
    return ", ".join(f"{d:g}" for d in days)
