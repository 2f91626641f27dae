"""How a programming cassette reaches the cells: which share of a culture expresses which factors.

A line with an integrated inducible cassette expresses it in every cell; viral delivery reaches only a
share of them, and a three-factor cassette delivered as three vectors reaches each cell factor by
factor. A protocol states this with ``cassette_efficiency`` (the share of cells each vector reaches,
independently of the others) and ``cassette_vectors`` (``"single"`` or ``"separate"``).
:func:`delivery_groups` turns that into the shares of cells by what they express, which the engines
give the cells as their constant genes ``VEC_NGN2`` and ``VEC_IL`` at seeding.

With ``separate`` vectors at efficiency :math:`e`, NGN2 reaches a cell with probability :math:`e`,
and ISL1 and LHX3 both with :math:`e^2`: a share :math:`e^3` expresses all three (motor neurons),
:math:`e(1 - e^2)` NGN2 without both partners (neurons that are not motor neurons; Mazzoni et al. 2013
Nat Neurosci 16:1219: NGN2 with ISL1 and LHX3 specifies motor neurons, NGN2 alone does not), and
:math:`1 - e` no NGN2 (no programming). Goto et al. 2017 (Mol Ther Methods Clin Dev 4:115, abstract)
found that one vector carrying all three raises the ratio of MNs to neurons over three separate ones.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProtocolError, suggest
from .steps import number

__all__ = ["CASSETTE_VECTORS", "check_delivery", "delivery_groups"]

#: How a cassette's factors reach the cells: one vector (or an integrated cassette), or one per factor.
CASSETTE_VECTORS: tuple[str, ...] = ("single", "separate")


def check_delivery(protocol: Any) -> float:
    """Validate a protocol's ``cassette_efficiency`` and ``cassette_vectors``; return the efficiency.

    Raises:
        ProtocolError: naming the field, the value and the fix.
    """
    eff = number(protocol.cassette_efficiency, "cassette_efficiency", positive=True)
    if eff > 1.0:
        raise ProtocolError(
            f"cassette_efficiency: {eff:g} is a share of the cells; give a value in (0, 1]"
        )
    vec = protocol.cassette_vectors
    if vec not in CASSETTE_VECTORS:
        raise ProtocolError(
            f"cassette_vectors: {vec!r} is not a delivery{suggest(str(vec), CASSETTE_VECTORS)}; "
            f"write one of {', '.join(CASSETTE_VECTORS)}"
        )
    if protocol.cassette == "none" and (eff != 1.0 or vec != "single"):
        raise ProtocolError(
            "cassette_efficiency, cassette_vectors: set for a line without a cassette; set "
            "cassette = 'NIL' or 'NGN2', or remove them"
        )
    if vec == "separate" and protocol.cassette != "NIL":
        raise ProtocolError(
            f"cassette_vectors: 'separate' needs the three-factor cassette 'NIL', not "
            f"{protocol.cassette!r}; write cassette_vectors = 'single'"
        )
    return eff


def delivery_groups(protocol: Any) -> tuple[tuple[float, float, float], ...]:
    """The shares of cells by what they express: ``(share, VEC_NGN2, VEC_IL)`` rows, shares > 0.

    A protocol without a cassette gives every cell both flags (they act only with a cassette), so
    its cells are one group, as are those of a line that carries its cassette in every cell.

    Examples:
        >>> from ipscsim.protocols import Protocol
        >>> delivery_groups(Protocol(cassette="NIL", cassette_efficiency=0.5))
        ((0.5, 1.0, 1.0), (0.5, 0.0, 0.0))
        >>> delivery_groups(Protocol(cassette="NIL", cassette_efficiency=0.5, cassette_vectors="separate"))
        ((0.125, 1.0, 1.0), (0.375, 1.0, 0.0), (0.5, 0.0, 0.0))
    """
    e = float(protocol.cassette_efficiency)
    if protocol.cassette_vectors == "separate":
        rows = ((e**3, 1.0, 1.0), (e * (1.0 - e * e), 1.0, 0.0), (1.0 - e, 0.0, 0.0))
    else:
        rows = ((e, 1.0, 1.0), (1.0 - e, 0.0, 0.0))
    return tuple(r for r in rows if r[0] > 0.0)
