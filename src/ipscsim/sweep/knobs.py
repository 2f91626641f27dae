"""Protocol knobs: the edits a sweep applies to a protocol, by name.

* ``"<compound>.scale"``: multiply every step of the compound by the value;
* ``"<compound>.shift"``: move every window of the compound by the value (days, may be negative);
* ``"<compound>.start"``: set the start day of the compound's first step (its end stays);
* ``"<compound>.end"``: set the end day of the compound's last step (its start stays);
* ``"culture.<field>"``: set a culture setting of the protocol (:data:`CULTURE_KNOBS`: the seeding
  density, the aggregate size, the share of cells the cassette's vectors reach).

Knobs apply in the order they appear in the space; an edit that makes the protocol invalid raises a
:class:`~ipscsim.errors.ProtocolError` saying which value did it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..errors import ProtocolError
from ..protocols import Protocol
from ..protocols.compounds import registry

__all__ = ["CULTURE", "CULTURE_KNOBS", "KNOB_KINDS", "apply_knobs"]

KNOB_KINDS = ("scale", "shift", "start", "end")
#: The prefix of a culture knob, and the protocol fields it may set, with their units.
CULTURE = "culture"
CULTURE_KNOBS: dict[str, str] = {
    "seeding_density": "cells/cm^2",
    "aggregate_size": "cells",
    "cassette_efficiency": "share of cells",
}


def _set_window(
    protocol: Protocol, compound: str, start: float | None, end: float | None
) -> Protocol:
    steps = list(protocol.steps)
    idx = [i for i, s in enumerate(steps) if s.compound == compound]
    i = (
        min(idx, key=lambda j: steps[j].start)
        if start is not None
        else max(idx, key=lambda j: steps[j].end)
    )
    s = steps[i]
    steps[i] = s.replace(
        start=s.start if start is None else start, end=s.end if end is None else end
    )
    return replace(protocol, steps=tuple(steps))


def apply_knobs(protocol: Protocol, knobs: Mapping[str, float]) -> Protocol:
    """Return the protocol with every knob applied.

    Raises:
        ProtocolError: naming the knob and the value that make the protocol invalid.
    """
    for name, value in knobs.items():
        compound, kind = name.rsplit(".", 1)
        canonical = "" if compound == CULTURE else registry().get(compound).name
        try:
            if compound == CULTURE:
                protocol = replace(protocol, **{kind: float(value)})
            elif kind == "scale":
                protocol = protocol.scale(canonical, value)
            elif kind == "shift":
                protocol = protocol.shift(canonical, days=value)
            elif kind == "start":
                protocol = _set_window(protocol, canonical, float(value), None)
            elif kind == "end":
                protocol = _set_window(protocol, canonical, None, float(value))
            else:  # pragma: no cover - the space validates kinds
                raise ProtocolError(f"unknown knob {name!r}")
        except ProtocolError as exc:
            raise ProtocolError(
                f"knob {name} = {value:g} makes an invalid protocol: {exc}"
            ) from None
    return protocol
