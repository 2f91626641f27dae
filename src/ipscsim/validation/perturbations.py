"""A small language for the perturbations a validation target applies to a protocol.

A perturbation is a ``;``-separated list of edits, applied in order:

* ``without RA``: remove every step of a compound;
* ``scale SAG 10``: multiply a compound's concentrations;
* ``shift DAPT -2``: move a compound's windows (days);
* ``add Y27632 10 uM 10 11``: add a step (compound, concentration, unit, start, end);
* ``days 42``: simulate this many days (past the protocol's end: basal medium);
* ``extend 28``: lengthen the protocol itself to this many days (steps and feeding keep their rhythm);
* ``media 2``: feed every N days;
* ``format suspension``: start as suspension aggregates (or ``adherent``);
* ``medium N2B27``: the basal medium throughout (replaces the protocol's medium and its phases);
* ``genotype SOD1_A4V``: the MN genotype;
* ``cassette NIL 0.9 separate``: the line's cassette, the share of cells each vector reaches
  (default 1) and the delivery (``single``, the default, or ``separate``);
* ``param k_neurogenesis=1.2``: a parameter override.

Example: ``"without RA; without CHIR99021"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ParameterError

__all__ = ["Perturbed", "apply_perturbation"]


@dataclass
class Perturbed:
    """A protocol after a perturbation, with the run settings the perturbation chose."""

    protocol: Any
    days: float | None = None
    genotype: str = "control"
    params: dict[str, float] = field(default_factory=dict)


def apply_perturbation(protocol: Any, text: str) -> Perturbed:
    """Apply a perturbation string (see the module docstring) to a protocol."""
    out = Perturbed(protocol)
    for raw in (text or "").split(";"):
        words = raw.split()
        if not words:
            continue
        verb, args = words[0].lower(), words[1:]
        try:
            if verb == "without" and len(args) == 1:
                out.protocol = out.protocol.without(args[0])
            elif verb == "scale" and len(args) == 2:
                out.protocol = out.protocol.scale(args[0], float(args[1]))
            elif verb == "shift" and len(args) == 2:
                out.protocol = out.protocol.shift(args[0], days=float(args[1]))
            elif verb == "add" and len(args) == 5:
                out.protocol = out.protocol.with_step(
                    args[0], float(args[1]), args[2], start=float(args[3]), end=float(args[4])
                )
            elif verb == "days" and len(args) == 1:
                out.days = float(args[0])
            elif verb == "extend" and len(args) == 1:
                out.protocol = out.protocol.with_days(float(args[0]))
            elif verb == "format" and len(args) == 1:
                out.protocol = replace(out.protocol, format=args[0])
            elif verb == "medium" and len(args) == 1:
                out.protocol = replace(out.protocol, medium=args[0], media=())
            elif verb == "media" and len(args) == 1:
                out.protocol = out.protocol.with_media_changes(every=float(args[0]))
            elif verb == "cassette" and 1 <= len(args) <= 3:
                out.protocol = replace(
                    out.protocol,
                    cassette=args[0],
                    cassette_efficiency=float(args[1]) if len(args) > 1 else 1.0,
                    cassette_vectors=args[2] if len(args) > 2 else "single",
                )
            elif verb == "genotype" and len(args) == 1:
                out.genotype = args[0]
            elif verb == "param" and len(args) == 1 and "=" in args[0]:
                name, _, value = args[0].partition("=")
                out.params[name] = float(value)
            else:
                raise ParameterError(f"perturbation {raw.strip()!r}: not understood")
        except ValueError as exc:
            raise ParameterError(f"perturbation {raw.strip()!r}: {exc}") from None
    return out
