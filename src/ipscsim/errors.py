"""Exceptions raised by ipscsim.

Every error names the field, the offending value and the fix, so that a bench scientist can correct a
protocol file without reading a traceback.
"""

from __future__ import annotations

import difflib
import os
import sys
import warnings
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
    "warn",
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


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue a warning attributed to the user's line: the caller of the outermost ipscsim frame.

    A fixed ``stacklevel`` names the right line from one entry point only (a dose slip reached by
    ``p.scale`` or a bare protocol file given to ``simulate`` was shown at a line inside ipscsim),
    and the first frame outside the package can be a library that calls back into it (scipy's
    optimisers in ``optimize`` and ``calibrate``).
    """
    frame, level, outermost = sys._getframe(1), 2, 1
    while frame is not None:
        if frame.f_code.co_filename.startswith(_PACKAGE):
            outermost = level
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=outermost + 1)


class ExtrapolationWarning(UserWarning):
    """A run goes where the model was not validated (for example past its protocol's last day)."""


#: Days closer than this are the same day (breakpoints are snapped to it, so rounding errors such as
#: ``3 * 0.1 != 0.3`` never create a segment shorter than the integrator can step).
DAY_RESOLUTION = 1e-9


def is_real(value: object) -> bool:
    """True for a real number (Python or numpy), False for bools and everything else."""
    kind = type(value)
    if kind is float or kind is int:  # the common case, without the slower abstract-class check
        return True
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(field: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int if it is a whole number in ``[low, high]``, else a ParameterError.

    Args:
        field: The argument's name, for the message.
        value: What the user gave (an int, or a float with no fractional part).
        low: Smallest allowed value (``None``: no bound).
        high: Largest allowed value (``None``: no bound).
    """
    import math
    import numbers

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number: int | None = int(value)
    elif is_real(value) and math.isfinite(float(value)) and float(value).is_integer():  # type: ignore[arg-type]
        number = int(float(value))  # type: ignore[arg-type]
    else:
        number = None
    if number is not None and (low is None or number >= low) and (high is None or number <= high):
        return number
    limits = [
        f"at least {low}" if low is not None else "",
        f"at most {high}" if high is not None else "",
    ]
    where = " and ".join(x for x in limits if x)
    raise ParameterError(f"{field}: {value!r} must be a whole number{' ' + where if where else ''}")


def check_real(field: str, value: object, low: float, high: float, unit: str = "") -> float:
    """``value`` as a float if it is a finite number in ``[low, high]``, else a ParameterError."""
    import math

    if is_real(value) and math.isfinite(float(value)) and low <= float(value) <= high:  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]
    unit = f" {unit}" if unit else ""
    raise ParameterError(f"{field}: {value!r} must be a number in [{low:g}, {high:g}]{unit}")


def check_names(field: str, value: object, what: str) -> list[str]:
    """``value`` as a list of names (a sequence of strings, or one string), else a ParameterError."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ParameterError(f"{field}: {value!r} must be a list of {what} (strings)")


def check_finite_result(context: str, **arrays: object) -> None:
    """Raise a SimulationError if any of ``arrays`` (arrays or DataFrames) holds NaN or inf.

    Args:
        context: What produced them (for the message), e.g. ``"transplant"``.
        **arrays: The outputs by name.
    """
    import numpy as np

    for name, value in arrays.items():
        a = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float64)
        if not np.isfinite(a).all():
            raise SimulationError(
                f"{context}: the result {name!r} holds NaN or infinite values (first at index "
                f"{int(np.flatnonzero(~np.isfinite(a.ravel()))[0])}); a parameter or input is likely "
                "out of range: please report it with the call that produced it"
            )


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
    name = str(name)
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
    # a name with the same letters (a transposition, the commonest typo) comes first
    hits.sort(key=lambda h: sorted(h.lower()) != sorted(name.lower()))
    quoted = " or ".join(f"'{h}'" for h in hits)
    return f" (did you mean {quoted}?)"
