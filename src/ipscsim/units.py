r"""Concentration units and their conversion to the model's internal unit, nanomolar.

Molar units convert by powers of ten; mass concentrations (``ng/ml`` and friends) need the compound's
molar mass:

.. math::

    c\,[\mathrm{nM}] = \frac{c\,[\mathrm{g/l}]}{M\,[\mathrm{g/mol}]} \times 10^{9}

Unit spellings are forgiving (``uM``, ``µM``, ``μM``, ``micromolar``; ``ng/ml``, ``ng/mL``,
``ng ml-1``), but a unit of the wrong dimension (a mass, a time, a percentage) is an error that says so.
"""

from __future__ import annotations

import math

from .errors import ProtocolError, is_real, suggest

__all__ = ["CANONICAL_UNITS", "canonical_unit", "from_nanomolar", "is_mass_unit", "to_nanomolar"]

#: Molar units: factor to nM.
_MOLAR = {"pM": 1e-3, "nM": 1.0, "uM": 1e3, "mM": 1e6, "M": 1e9}
#: Mass-per-volume units: factor to g/l.
_MASS = {"pg/ml": 1e-9, "ng/ml": 1e-6, "ug/ml": 1e-3, "mg/ml": 1.0}

#: The units a protocol step may use, in their canonical spelling.
CANONICAL_UNITS: tuple[str, ...] = (*_MOLAR, *_MASS)

_ALIASES = {
    "picomolar": "pM",
    "nanomolar": "nM",
    "micromolar": "uM",
    "millimolar": "mM",
    "molar": "M",
    "mol/l": "M",
    "mmol/l": "mM",
    "umol/l": "uM",
    "nmol/l": "nM",
    "pmol/l": "pM",
    "g/l": "mg/ml",
    "mg/l": "ug/ml",
    "ug/l": "ng/ml",
    "ng/l": "pg/ml",
}

# Spellings that are units, but not of a concentration: named so the error can say what they are.
_WRONG_DIMENSION = {
    "pg": "a mass",
    "ng": "a mass",
    "ug": "a mass",
    "mg": "a mass",
    "g": "a mass",
    "mol": "an amount",
    "mmol": "an amount",
    "umol": "an amount",
    "nmol": "an amount",
    "ml": "a volume",
    "l": "a volume",
    "ul": "a volume",
    "%": "a percentage",
    "x": "a dilution factor",
    "u/ml": "an activity (units per ml)",
    "iu/ml": "an activity (units per ml)",
    "h": "a time",
    "d": "a time",
    "day": "a time",
    "days": "a time",
    "cells/cm2": "a cell density",
    "cells/ml": "a cell density",
}


def _normalise(unit: str) -> str:
    u = unit.strip().replace("µ", "u").replace("μ", "u").replace(" ", "")
    u = u.replace("ml-1", "/ml").replace("mL", "ml").replace("L", "l")
    return u


def canonical_unit(unit: object, where: str = "unit") -> str:
    """Return the canonical spelling of a concentration unit.

    Args:
        unit: The unit as a user wrote it.
        where: A description of the field, used in the error message (e.g. ``"step 2 (RA): unit"``).

    Returns:
        One of :data:`CANONICAL_UNITS`.

    Raises:
        ProtocolError: if the unit is unknown or not a concentration.
    """
    if not isinstance(unit, str) or not unit.strip():
        raise ProtocolError(
            f"{where}: {unit!r} is not a unit; write one of {', '.join(CANONICAL_UNITS)}"
        )
    u = _normalise(unit)
    for table in (_MOLAR, _MASS):
        for canon in table:
            if u == canon or (u.lower() == canon.lower() and canon not in ("M", "mM")):
                return canon
    if u in ("M", "mM"):
        return u
    low = u.lower()
    if low in _ALIASES:
        return _ALIASES[low]
    if low in _WRONG_DIMENSION:
        raise ProtocolError(
            f"{where}: {unit!r} is {_WRONG_DIMENSION[low]}, not a concentration; "
            f"write a concentration such as 'uM' or 'ng/ml' (one of {', '.join(CANONICAL_UNITS)})"
        )
    raise ProtocolError(
        f"{where}: unknown unit {unit!r}{suggest(u, CANONICAL_UNITS)}; "
        f"write one of {', '.join(CANONICAL_UNITS)}"
    )


def is_mass_unit(unit: str) -> bool:
    """Return True for a mass-per-volume unit such as ``ng/ml``."""
    return canonical_unit(unit) in _MASS


def to_nanomolar(value: float, unit: str, molar_mass: float) -> float:
    """Convert a concentration to nanomolar.

    Args:
        value: The concentration.
        unit: Its unit (any spelling :func:`canonical_unit` accepts).
        molar_mass: Molar mass of the compound in g/mol (used for mass units only).

    Returns:
        The concentration in nM.

    Examples:
        >>> round(to_nanomolar(500, "ng/ml", 46000.0), 3)   # Noggin dimer
        10.87
        >>> to_nanomolar(10, "uM", 384.4)
        10000.0
    """
    if not is_real(value) or not 0 <= float(value) < math.inf:
        raise ProtocolError(f"concentration: {value!r} must be a finite number >= 0, e.g. 10")
    u = canonical_unit(unit)
    if u in _MOLAR:
        return float(value) * _MOLAR[u]
    if not (is_real(molar_mass) and 0 < float(molar_mass) < math.inf):
        raise ProtocolError(
            f"molar mass {molar_mass!r} g/mol cannot convert {unit!r}; give the compound's molar "
            "mass in g/mol, a number > 0 (e.g. 46000.0 for a 46 kDa protein)"
        )
    return float(value) * _MASS[u] / float(molar_mass) * 1e9


def from_nanomolar(value_nm: float, unit: str, molar_mass: float) -> float:
    """Convert a concentration from nanomolar to ``unit`` (inverse of :func:`to_nanomolar`)."""
    if not is_real(value_nm) or not 0 <= float(value_nm) < math.inf:
        raise ProtocolError(f"concentration: {value_nm!r} nM must be a finite number >= 0")
    return float(value_nm) / to_nanomolar(1.0, unit, molar_mass)
