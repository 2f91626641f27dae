"""Compile a :class:`~ipscsim.protocols.Protocol` into the arrays the engines integrate.

The protocol's day range is cut at every breakpoint (media change, step edge, operation, end), so that no
integration step crosses a discontinuity. Segment ``i`` covers ``[t[i], t[i+1])`` and has

* an input vector ``u[i]`` (:mod:`ipscsim.model.layout`, ``U_*``): the day of the last media change, the
  format, the seeding count and area, the genotype's MN hazard ratio, the aggregate size, the cassette,
  and the nominal concentrations (nM) of every registry compound at that media change: the steps' and the
  basal medium's components (:mod:`ipscsim.protocols.media`), added;
* an operation applied at its start (``op[i]``: none, replate, aggregate, plate) with the live-cell count
  it re-seeds (``op_count[i]``, in units of the cells seeded at day 0).

Days past the protocol's end run in the protocol's basal medium without its steps, with media changes
continuing at the protocol's rhythm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ProtocolError, is_real, snap_day
from ..protocols.compounds import registry
from ..protocols.protocol import Protocol
from ..units import to_nanomolar
from . import layout as L

__all__ = ["CompiledProtocol", "compile_protocol", "nominal_concentrations"]

_OPS = {"replate": L.OP_REPLATE, "aggregate": L.OP_AGGREGATE, "plate": L.OP_PLATE}
#: The default medium lasts past any simulated day (runs past a protocol's end keep it).
MAX_DAYS_INPUTS = 1e9


@dataclass(frozen=True)
class CompiledProtocol:
    """A protocol as arrays.

    Attributes:
        t: Segment boundaries, shape ``(n_seg + 1,)``, from 0 to the simulated days.
        u: Segment inputs, shape ``(n_seg, U_CONC + n_compounds)``.
        op: Operation code at each segment's start, shape ``(n_seg,)``.
        op_count: Cells seeded by that operation (units of the day-0 seeding), shape ``(n_seg,)``.
        seeded: Cells seeded at day 0 (per well).
        suspension: Whether day 0 starts as suspension aggregates.
        seeding_density: Cells per cm² seeded at day 0.
        well_area: Area of the well (cm²).
    """

    t: np.ndarray
    u: np.ndarray
    op: np.ndarray
    op_count: np.ndarray
    seeded: float
    suspension: bool
    seeding_density: float = 0.0
    well_area: float = 1.0


def _media_days(protocol: Protocol, days: float) -> list[float]:
    out = set(protocol.media_change_days())
    if days > protocol.days:
        out.update(protocol.feeding_after_end(days))
    return sorted(x for x in out if x < days)


#: The shortest run (days): shorter spans fall below the day resolution of the segment arrays.
MIN_DAYS = 1e-3


def compile_protocol(
    protocol: Protocol,
    days: float | None = None,
    mn_hazard: float = 1.0,
    mn_deprivation: float | None = None,
) -> CompiledProtocol:
    """Compile a protocol into segment arrays.

    Args:
        protocol: The protocol.
        days: Days to simulate (default: the protocol's own duration).
        mn_hazard: The genotype's MN death hazard ratio with full trophic support.
        mn_deprivation: Its hazard ratio of death by trophic deprivation (default: ``mn_hazard``).
    """
    from ..protocols.protocol import MAX_DAYS

    if days is None:
        days = protocol.days
    if not is_real(days) or not MIN_DAYS <= float(days) <= MAX_DAYS:
        raise ProtocolError(
            f"days: {days!r} must be a number of days in [{MIN_DAYS:g}, {MAX_DAYS}] (the shortest "
            "run is about a minute and a half)"
        )
    days = snap_day(days)
    reg = registry()
    media = _media_days(protocol, days)
    ops = {snap_day(op.day): op for op in protocol.operations if snap_day(op.day) < days}
    bounds = sorted({0.0, days, *media, *ops})
    seeded = protocol.seeding_density * protocol.well_area
    u, op, op_count = _segments(
        protocol, bounds, set(media), ops, nominal_concentrations(protocol, reg), len(reg)
    )
    u[:, L.U_MN_HAZARD] = mn_hazard
    u[:, L.U_MN_DEPRIVATION] = mn_hazard if mn_deprivation is None else mn_deprivation
    u[:, L.U_AGG] = protocol.aggregate_size
    u[:, L.U_CASSETTE_NIL] = 1.0 if protocol.cassette == "NIL" else 0.0
    u[:, L.U_CASSETTE_NGN2] = 1.0 if protocol.cassette == "NGN2" else 0.0
    return CompiledProtocol(
        t=np.asarray(bounds, dtype=np.float64),
        u=u,
        op=op,
        op_count=op_count,
        seeded=seeded,
        suspension=protocol.format == "suspension",
        seeding_density=float(protocol.seeding_density),
        well_area=float(protocol.well_area),
    )


def nominal_concentrations(protocol: Protocol, reg: Any) -> list[tuple[int, float, float, float]]:
    """Each step, and each component of the basal media, as ``(compound, start, end, nM)``.

    The steps come first, in the protocol's order (entry ``i`` is ``protocol.steps[i]``), then the
    media's components; a segment's concentration is the sum of the entries on at its last media
    change (``start <= day < end``), added in this order.
    """
    out = [
        (
            reg.index(s.compound),
            snap_day(s.start),
            snap_day(s.end),
            to_nanomolar(s.concentration, s.unit, reg.get(s.compound).molar_mass),
        )
        for s in protocol.steps
    ]
    return out + _medium_components(protocol, reg)


def _medium_components(protocol: Protocol, reg: Any) -> list[tuple[int, float, float, float]]:
    """The basal media's components over their windows (the default medium where no phase is)."""
    from ..protocols.media import lookup_medium

    windows = []
    t = 0.0
    for ph in protocol.media:
        if ph.start > t:
            windows.append((protocol.medium, t, ph.start))
        windows.append((ph.name, ph.start, ph.end))
        t = ph.end
    windows.append((protocol.medium, t, MAX_DAYS_INPUTS))
    out = []
    for name, start, end in windows:
        for compound, value, unit in lookup_medium(name).components:
            c = reg.get(compound)
            out.append(
                (
                    reg.index(c.name),
                    snap_day(start),
                    snap_day(end),
                    to_nanomolar(value, unit, c.molar_mass),
                )
            )
    return out


def _segments(protocol, bounds, media_set, ops, nominal, n_comp):
    """Per segment: the inputs (medium since its last change, format, seeding) and its operation."""
    n_seg = len(bounds) - 1
    u = np.zeros((n_seg, L.U_CONC + n_comp))
    op = np.zeros(n_seg, dtype=np.int64)
    op_count = np.zeros(n_seg)
    seeded = protocol.seeding_density * protocol.well_area
    fmt = 1.0 if protocol.format == "suspension" else 0.0
    c0 = np.zeros(n_comp)
    t_change = 0.0
    for i, t0 in enumerate(bounds[:-1]):
        if t0 in ops:
            o = ops[t0]
            op[i] = _OPS[o.kind]
            if o.density is not None:
                op_count[i] = o.density * protocol.well_area / seeded
            fmt = 1.0 if o.kind == "aggregate" else 0.0
        if t0 in media_set or i == 0:
            c0 = np.zeros(n_comp)
            for j, start, end, conc in nominal:
                if start <= t0 < end:
                    c0[j] += conc
            t_change = t0
        u[i, L.U_T_CHANGE] = t_change
        u[i, L.U_FORMAT] = fmt
        u[i, L.U_N0] = seeded
        u[i, L.U_AREA] = protocol.well_area
        u[i, L.U_CONC :] = c0
    return u, op, op_count
