"""Checks of the model's equations (:mod:`ipscsim.model.network`).

Every name an equation reads is defined before it in its scope, every state has exactly one rate,
and every fate, cell type and marker is given in order. :mod:`ipscsim.model.codegen` runs them
before it writes the kernels, so equations that do not check never reach an engine.

A neuron's markers (``NEURON``) may read no gene but ``LEVEL``, the one a neuron keeps from its
birth: the ODE engine holds each neuron class's mean birth level (``COHORT`` records it, and reads
no other gene), not the neurons' other genes.
"""

from __future__ import annotations

from ..protocols.compounds import PATHWAYS
from .expr import free_names
from .layout import PARAM_NAMES
from .network import (
    COHORT_STATES,
    COUNTS,
    ENV,
    FATES,
    GENES,
    GLOBALS,
    LEVEL_MASSES,
    MARKERS,
    NEURON_CLASSES,
    PROGENITOR_TYPES,
    Network,
    network,
)

__all__ = ["check_network"]


def check_network(net: Network | None = None) -> Network:
    """Check the equations (by default the model's own) and return them.

    Raises:
        ValueError: naming the section, the line and the unknown name or missing rate.
    """
    net = network() if net is None else net
    _check(net)
    return net


def _check(net: Network) -> None:
    params = set(PARAM_NAMES)
    pathway = {f"{x}_{q}" for x in "AFZ" for q in PATHWAYS}
    derived = set(net.locals_(net.derived))
    shared = set(net.locals_(net.shared))
    medium = set(net.locals_(net.medium))
    cell_out = {f"{k}.{n}" for k in ("rate", "fate", "prog") for n in _outs(net.cell)}
    scopes = {
        "DERIVED": (net.derived, params),
        "MEDIUM": (net.medium, params | derived | pathway),
        "EMIT": (net.emit, params | derived | pathway | medium | set(GENES)),
        "SHARED": (net.shared, params | derived | pathway | medium | set(ENV)),
        "CELL": (
            net.cell,
            params | derived | pathway | shared | set(ENV) | set(GENES) | {"phi", "theta"},
        ),
        "COHORT": (
            net.cohort,
            params | derived | shared | set(COUNTS) | set(LEVEL_MASSES) | {"LEVEL"} | cell_out,
        ),
        "GLOBAL": (
            net.global_,
            params | derived | shared | set(GLOBALS) | {"sum.div", "sum.death"},
        ),
        "READOUT": (net.readout, params | derived | set(GENES) | {"cassette_nil"}),
        "NEURON": (net.neuron, params | derived | {"LEVEL"} | {f"is_{c}" for c in NEURON_CLASSES}),
    }
    for name, (eqs, known) in scopes.items():
        seen = set(known)
        for e in eqs:
            missing = free_names(e.expr) - seen
            if missing:
                raise ValueError(f"{name} line {e.line}: unknown name {sorted(missing)[0]!r}")
            seen.add(e.target)
    _check_rates(net)


def _outs(eqs) -> set[str]:
    return {e.target.split(".", 1)[1] for e in eqs if "." in e.target}


def _check_rates(net: Network) -> None:
    """Every state has exactly one rate; every fate has its patterned and programmed share."""
    for states, eqs, name in (
        (GENES, net.cell, "CELL"),
        (COHORT_STATES, net.cohort, "COHORT"),
        (GLOBALS, net.global_, "GLOBAL"),
    ):
        have = [e.target[2:] for e in eqs if e.target.startswith("d.")]
        if sorted(have) != sorted(states):
            raise ValueError(
                f"{name}: rates d.X must be given once for each of {states}, got {have}"
            )
    for kind in ("fate", "prog"):
        if Network.outputs(net.cell, kind) != FATES:
            raise ValueError(f"CELL: {kind}.X must be given for {FATES} in that order")
    keys = tuple(m.replace(".", "_") for m in MARKERS)
    if (
        Network.outputs(net.readout, "marker") != keys
        or Network.outputs(net.neuron, "marker") != keys
    ):
        raise ValueError(f"READOUT and NEURON: marker.X must be given for {keys} in that order")
    if sorted(Network.outputs(net.readout, "type")) != sorted(PROGENITOR_TYPES):
        raise ValueError(f"READOUT: type.X must be given for {PROGENITOR_TYPES}")
