"""Preparing a chunk's runs fast: one compiled protocol per protocol shape, scale knobs on its arrays.

Building each run of a sweep the plain way (apply the knobs to a :class:`~ipscsim.protocols.Protocol`,
validate it, compile it: :func:`~ipscsim.sweep.runner.build_run`, :func:`~ipscsim.model.prepare_run`)
costs about 0.8 ms of Python a run, as much as integrating it in the ensemble engine. Most of that is
repeated: runs that differ only in ``<compound>.scale`` knobs and in parameters share every breakpoint,
operation and medium; only the concentration columns of the scaled compounds differ.

So a chunk's runs are grouped by their *shape*, the values of their window knobs (``shift``,
``start``, ``end``). Each shape is prepared once the plain way, with every scale at 1, and records,
for each scaled compound, which nominal concentrations (its steps, and basal-medium components of the
same compound) are on in each segment. A run's concentration column is then the sum of its scaled
steps' concentrations over the segments where each is on, added in the order
:func:`~ipscsim.model.inputs.compile_protocol` adds them, with each step scaled as
:meth:`~ipscsim.protocols.Protocol.scale` scales it; so its inputs are bit-identical to the plain
build (``tests/test_sweep_prepare.py``), and so are its results.

A run whose values the fast path cannot vouch for (a scale that is not a number >= 0, a shape that
does not build, a parameter the model refuses) is built the plain way, which raises the message a
user should see. The prepared runs of a shape carry the shape's protocol (scales at 1): the sweep
reads only their compiled arrays, parameters and cassette.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import IpscsimError, is_real
from ..model import layout as L
from ..model.inputs import nominal_concentrations
from ..model.lines import apply_line
from ..model.parameters import resolve_params
from ..model.prepare import PreparedRun, prepare_run
from ..protocols import Protocol
from ..protocols.compounds import registry
from ..units import to_nanomolar
from .knobs import CULTURE, apply_knobs

__all__ = ["ChunkPreparer", "Shape", "prepare_shape", "scaled_run"]


@dataclass(frozen=True)
class _Entry:
    """A nominal concentration of one compound: a step (scalable) or a medium component."""

    on: np.ndarray  # float 0/1 per segment: on at the segment's last media change
    step: Any  # the Step, or None for a medium component
    nanomolar: float  # its concentration at scale 1 (nM)


@dataclass(frozen=True)
class Shape:
    """A prepared run at scale 1 and, per scaled compound, its nominal concentrations."""

    run: PreparedRun
    columns: dict[str, tuple[int, tuple[_Entry, ...]]]  # compound -> (u column, entries in order)


def _entries(protocol: Protocol, compound: str, changes: np.ndarray) -> tuple[_Entry, ...]:
    """The nominal concentrations of ``compound``, in :func:`compile_protocol`'s order.

    ``changes`` is each segment's last media change day (``U_T_CHANGE``); an entry is on in a
    segment when that day lies in its window, the rule :func:`compile_protocol` applies.
    """
    j = registry().index(compound)
    n_steps = len(protocol.steps)
    return tuple(
        _Entry(
            ((changes >= start) & (changes < end)).astype(np.float64),
            protocol.steps[i] if i < n_steps else None,
            nm,
        )
        for i, (k, start, end, nm) in enumerate(nominal_concentrations(protocol, registry()))
        if k == j
    )


def prepare_shape(
    protocol: Protocol, knobs: dict[str, float], scaled: list[str], prepare: dict[str, Any]
) -> Shape:
    """Prepare a shape: ``protocol`` with its window ``knobs`` applied, every scale at 1.

    Args:
        protocol: The sweep's base protocol.
        knobs: The shape's window knobs (name to value), in the space's order.
        scaled: Compounds of the sweep's scale knobs (registry names).
        prepare: Keyword arguments of :func:`~ipscsim.model.prepare_run` (params, days, genotype,
            cohorts, record_every, extra_days, snapshots), and ``record`` (extra record days).

    Raises:
        IpscsimError: if the shape does not build (the caller builds its runs the plain way).
    """
    kwargs = dict(prepare)
    extra = kwargs.pop("record")
    run = prepare_run(apply_knobs(protocol, knobs), **kwargs).recording(extra)
    changes = run.compiled.u[:, L.U_T_CHANGE]
    reg = registry()
    columns = {
        c: (L.U_CONC + reg.index(c), _entries(run.protocol, c, changes))
        for c in dict.fromkeys(scaled)
    }
    return Shape(run, columns)


def scaled_run(
    shape: Shape, scales: list[tuple[str, float]], params: dict[str, float] | None
) -> PreparedRun | None:
    """The shape's run with ``scales`` (compound, factor; in knob order) and ``params`` applied.

    ``params`` are the run's parameter overrides (``None``: the shape's). Returns ``None`` when a
    value is one the fast path does not vouch for; the caller then builds the run the plain way.
    """
    if not all(is_real(f) and math.isfinite(f) and f >= 0 for _, f in scales):
        return None
    base = shape.run
    u = base.compiled.u.copy()
    for compound, (col, entries) in shape.columns.items():
        factors = [f for c, f in scales if c == compound]
        mm = registry().get(compound).molar_mass
        acc = np.zeros(u.shape[0])
        for e in entries:
            nm = e.nanomolar
            if e.step is not None and factors:
                nm = to_nanomolar(e.step.scaled_concentration(factors), e.step.unit, mm)
            acc += e.on * nm
        u[:, col] = acc
    p = base.params
    if params is not None:
        try:
            p = apply_line(resolve_params(params), None)
        except (IpscsimError, ValueError, TypeError):
            return None
    return replace(base, params=p, compiled=replace(base.compiled, u=u))


class ChunkPreparer:
    """Prepared runs of a chunk's rows, one shape prepared per distinct set of window knobs.

    Args:
        protocol: The sweep's base protocol.
        names: Dimension names; kinds: ``"knob"`` or ``"param"`` per dimension.
        fixed_params: Parameter overrides of every run.
        prepare: Keyword arguments of :func:`prepare_shape`.
    """

    def __init__(
        self,
        protocol: Protocol,
        names: list[str],
        kinds: list[str],
        fixed_params: dict[str, float],
        prepare: dict[str, Any],
    ) -> None:
        self.protocol = protocol
        self.dims = []
        reg = registry()
        for n, k in zip(names, kinds, strict=True):
            compound, _, kind = n.rpartition(".") if k == "knob" else ("", "", "param")
            named = compound and compound != CULTURE  # a compound's knob, not the culture's
            self.dims.append((n, kind, reg.get(compound).name if named else ""))
        self.scaled = [c for _, kind, c in self.dims if kind == "scale"]
        self.fixed = dict(fixed_params)
        self.prepare = {**prepare, "params": self.fixed}
        self.base_key = repr((protocol.to_dict(), self.dims, sorted(self.fixed.items()), prepare))

    def run(self, values: np.ndarray) -> PreparedRun | None:
        """The prepared run of one row's values, or ``None`` to build it the plain way."""
        window, scales, params = {}, [], dict(self.fixed)
        for (name, kind, compound), v in zip(self.dims, values, strict=True):
            if kind == "scale":
                scales.append((compound, float(v)))
            elif kind == "param":
                params[name] = float(v)
            else:
                window[name] = float(v)
        shape = self._shape(window)
        if shape is None:
            return None
        has_params = any(kind == "param" for _, kind, _ in self.dims)
        return scaled_run(shape, scales, params if has_params else None)

    def _shape(self, window: dict[str, float]) -> Shape | None:
        """The shape of these window knobs (``None`` if it does not build), kept across chunks."""
        key = (self.base_key, tuple(window.values()))
        with _LOCK:  # chunks may run in threads of one process
            if key in _SHAPES:
                _SHAPES.move_to_end(key)
                return _SHAPES[key]
        try:
            shape = prepare_shape(self.protocol, window, self.scaled, self.prepare)
        except (IpscsimError, ValueError):
            shape = None
        if shape is not None and not set(self.scaled) <= set(shape.run.protocol.compounds):
            shape = None
        with _LOCK:
            _SHAPES[key] = shape
            if len(_SHAPES) > MAX_SHAPES:
                _SHAPES.popitem(last=False)
        return shape


#: Shapes kept between chunks of a process (least recently used dropped first).
MAX_SHAPES = 512
_SHAPES: OrderedDict[tuple, Shape | None] = OrderedDict()
_LOCK = threading.Lock()
