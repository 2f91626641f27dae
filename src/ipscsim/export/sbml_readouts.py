"""The readouts of :class:`~ipscsim.results.Result` as SBML assignment rules (``sbml(readouts=True)``).

The model's readout equations (:mod:`ipscsim.model.network`: the cytometer's gating of progenitors into
cell types and marker positivity, READOUT; and each neuron class's markers, NEURON) are written for
every cohort, and the fractions of live cells that :attr:`Result.fractions` and :attr:`Result.markers`
give become the rules ``frac_<cell type>`` and ``frac_<marker>`` (``.`` in a marker's name written
``_``), plus ``frac_neurons`` (MNs, interneurons, rostral and glutamatergic neurons, as the
validation's ``neurons`` readout). A neuron class's markers read its mean birth level,
``nlv_<class>_<i> = c<i>_LV_<class> / c<i>_<class>``, as the engine's readouts do. An SBML tool,
or a PEtab observable (:mod:`ipscsim.export.petab`), reads them directly. Only the equations the
chosen readouts need are written (every readout of 12 cohorts is about 4,000 rules, which
libRoadRunner takes minutes to compile; an MN fraction needs none).
"""

from __future__ import annotations

from typing import Any

from ..model import layout as L
from ..model.expr import free_names
from ..model.network import network
from ..model.readouts import CELL_TYPES, GROUPS, MARKERS
from .sbml_equations import formula, sid_of

__all__ = ["NEURON_GROUP", "READOUTS", "emit_readouts", "observable_id"]

#: The cell types the ``neurons`` readout adds up (:data:`ipscsim.model.readouts.GROUPS`).
NEURON_GROUP = GROUPS["neurons"]

#: Readouts that can be written as rules: every cell type, every marker, and ``neurons``.
READOUTS = (*CELL_TYPES, *MARKERS, "neurons")


def _needed(eqs: list, wanted: set[str]) -> list:
    """The equations (in order) that the outputs ``wanted`` depend on."""
    need = set(wanted)
    keep = []
    for e in reversed(eqs):
        if e.target in need:
            keep.append(e)
            need |= free_names(e.expr)
    return keep[::-1]


def observable_id(readout: str) -> str:
    """The rule holding a readout's fraction of live cells (``"NKX2.2"`` -> ``"frac_NKX2_2"``)."""
    return f"frac_{sid_of(readout)}"


def _renamer(base: Any, defined: set[str], prefix: str, i: int, flags: dict[str, str]) -> Any:
    """Names a readout section defines get ``prefix`` and the cohort; ``flags`` are replaced.

    A class's flags become constants, a neuron's level its class's mean birth level.
    """

    def rename(name: str) -> str:
        if name in flags:
            return flags[name]
        if name in defined:
            return f"{prefix}{sid_of(name)}_{i}"
        return base(name)

    return rename


def emit_readouts(w: Any, rename_for: Any, k: int, readouts: Any = None) -> None:
    """Write the rules of ``readouts`` (fractions of live cells) for ``k`` cohorts.

    Args:
        w: The document writer.
        rename_for: ``rename_for(i)`` gives the document's renaming of cohort ``i`` (its genes,
            parameters and derived values).
        k: Cohorts.
        readouts: Names from :data:`READOUTS` (default: all of them).
    """
    chosen = list(READOUTS if readouts is None else readouts)
    types = {t for t in chosen if t in CELL_TYPES} | (
        set(NEURON_GROUP) if "neurons" in chosen else set()
    )
    markers = [m for m in MARKERS if m in chosen]
    net = network()
    ro = _needed(
        list(net.readout),
        {f"type.{t}" for t in types if t in L.PROGENITOR_TYPES}
        | {f"marker.{sid_of(m)}" for m in markers},
    )
    neuron = _needed(list(net.neuron), {f"marker.{sid_of(m)}" for m in markers})
    _emit_cohorts(w, rename_for, k, ro, neuron)
    for t in CELL_TYPES:
        if t in types:
            w.rule(observable_id(t), f"({_type_count(t, k)}) / (total + 1e-300)", f"{t} fraction")
    for m in markers:
        key = f"marker_{sid_of(m)}"
        terms = [f"c{i}_PROG * ro_{key}_{i}" for i in range(k)]
        terms += [f"c{i}_{c} * nr_{c}_{key}_{i}" for i in range(k) for c in L.NEURON_CLASSES]
        w.rule(observable_id(m), f"({' + '.join(terms)}) / (total + 1e-300)", f"{m}+ fraction")
    if "neurons" in chosen:
        w.rule(
            "frac_neurons",
            " + ".join(observable_id(t) for t in NEURON_GROUP),
            "neuron fraction (MNs, interneurons, rostral and glutamatergic neurons)",
        )


def _emit_cohorts(w: Any, rename_for: Any, k: int, ro: list, neuron: list) -> None:
    """Each cohort's progenitor readout rules and each neuron class's marker rules."""
    ro_defined = {e.target for e in network().readout}
    nr_defined = {e.target for e in network().neuron}
    flag_names = {f"is_{c}" for c in L.NEURON_CLASSES}
    reads_level = any("LEVEL" in free_names(e.expr) for e in neuron)
    for i in range(k):
        rename = _renamer(rename_for(i), ro_defined, "ro_", i, {})
        for e in ro:
            w.rule(rename(e.target), formula(e.expr, rename))
        for cls in L.NEURON_CLASSES if neuron else ():
            level = f"nlv_{cls}_{i}"  # the class's mean birth level (a class without cells: 0)
            if reads_level:
                w.rule(level, f"c{i}_LV_{cls} / (c{i}_{cls} + 1e-300)")
            flags = {f: "1" if f == f"is_{cls}" else "0" for f in flag_names} | {"LEVEL": level}
            rn = _renamer(rename_for(i), nr_defined, f"nr_{cls}_", i, flags)
            for e in neuron:
                w.rule(rn(e.target), formula(e.expr, rn))


def _type_count(t: str, k: int) -> str:
    """Cells of type ``t`` over the cohorts: gated progenitors or the neuron classes of that type."""
    if t in L.PROGENITOR_TYPES:
        return " + ".join(f"c{i}_PROG * ro_type_{sid_of(t)}_{i}" for i in range(k))
    classes = [c for c in L.NEURON_CLASSES if L.NEURON_TYPE[c] == t]
    return " + ".join(f"c{i}_{c}" for i in range(k) for c in classes) or "0"
