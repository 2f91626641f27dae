"""Exceptions raised by ipscsim.

Every error names the field, the offending value and the fix, so that a bench scientist can correct a
protocol file without reading a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "DAY_RESOLUTION",
    "ExtrapolationWarning",
    "IpscsimError",
    "ParameterError",
    "ProtocolError",
    "SimulationError",
    "StoreError",
    "suggest",
]


class IpscsimError(Exception):
    """Base class of every error raised by ipscsim."""


class ProtocolError(IpscsimError, ValueError):
    """A protocol (or protocol file) is invalid: an unknown compound, a bad unit, a bad window."""


class ParameterError(IpscsimError, ValueError):
    """A model parameter name or value is invalid."""


class SimulationError(IpscsimError, RuntimeError):
    """A simulation could not be completed (for example the integrator failed)."""


class StoreError(IpscsimError, ValueError):
    """A sweep store cannot be used as it is: it holds another sweep, or lacks its specification."""


class ExtrapolationWarning(UserWarning):
    """A run goes where the model was not validated (for example past its protocol's last day)."""


#: Days closer than this are the same day (breakpoints are snapped to it, so rounding errors such as
#: ``3 * 0.1 != 0.3`` never create a segment shorter than the integrator can step).
DAY_RESOLUTION = 1e-9


def is_real(value: object) -> bool:
    """True for a real number (Python or numpy), False for bools and everything else."""
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def snap_day(day: float) -> float:
    """A day rounded to :data:`DAY_RESOLUTION`."""
    return round(float(day), 9) + 0.0


def suggest(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return a "did you mean ...?" phrase for ``name`` among ``choices``.

    Args:
        name: The unknown name a user wrote.
        choices: The valid names.
        n: How many suggestions at most.

    Returns:
        A phrase such as ``" (did you mean 'SAG'?)"``, or an empty string when nothing is close.
    """
    choices = [str(c) for c in choices]
    hits = difflib.get_close_matches(name, choices, n=n, cutoff=0.6)
    if not hits:  # fall back to a case-insensitive comparison
        lower: dict[str, str] = {}
        for c in choices:
            lower.setdefault(c.lower(), c)
        hits = [
            lower[h] for h in difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.5)
        ]
    if not hits:
        return ""
    quoted = " or ".join(f"'{h}'" for h in hits)
    return f" (did you mean {quoted}?)"
