"""Protocol building blocks: a compound step and a culture operation.

Both are immutable values. A :class:`Step` keeps the concentration a user wrote and the product of the
scale factors applied to it since, so that ``p.scale(c, a).scale(c, b) == p.scale(c, a * b)`` holds
exactly in floating point; equality and serialisation use the effective concentration.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import ProtocolError, is_real, warn
from ..units import canonical_unit, from_nanomolar, is_mass_unit, to_nanomolar
from .compounds import registry

__all__ = ["OPERATION_KINDS", "Operation", "Step", "number"]

#: Culture operations a protocol can contain, and what each means.
OPERATION_KINDS: dict[str, str] = {
    "replate": "dissociate to single cells and plate as a monolayer at `density` cells/cm^2",
    "aggregate": "dissociate to single cells and aggregate in suspension at `density` cells/cm^2 of vessel",
    "plate": "attach aggregates to a coated surface without dissociating them (becomes adherent)",
}


def number(
    value: Any, where: str, *, minimum: float | None = None, positive: bool = False
) -> float:
    """Return ``value`` as a finite float, or raise a :class:`ProtocolError` naming ``where``.

    Args:
        value: The value to check.
        where: The field, for the message (e.g. ``"step 2 (RA): concentration"``).
        minimum: The smallest allowed value, inclusive.
        positive: Require a value strictly above zero.
    """
    if not is_real(value):
        hint = "write a number such as 10 or 0.5"
        if isinstance(value, str):
            hint = _number_hint(value.strip(), where.endswith("concentration")) or hint
        raise ProtocolError(f"{where}: {value!r} is not a number; {hint}")
    v = float(value)
    if not math.isfinite(v):
        raise ProtocolError(f"{where}: {value!r} is not finite; write a finite number")
    if positive and v <= 0:
        raise ProtocolError(f"{where}: {value!r} must be greater than 0")
    if minimum is not None and v < minimum:
        raise ProtocolError(
            f"{where}: {value!r} is below {minimum:g}; write a value >= {minimum:g}"
        )
    return v


#: A dose this many times the highest dose of the compound in any preset or validation experiment
#: (protocols/data/validated_doses.csv) is outside what the model was tested on and most often a
#: unit slip (mM for uM is 1,000 times); for a compound no experiment uses, this many times the
#: half-saturating dose of its weakest target.
VALIDATED_MULTIPLE = 100.0
SATURATING_MULTIPLE = 1000.0


@lru_cache(maxsize=1)
def _validated_doses() -> dict[str, tuple[float, str]]:
    """Compound -> (highest validated dose in nM, where); empty while the table is being built."""
    from importlib import resources

    path = resources.files("ipscsim.protocols").joinpath("data", "validated_doses.csv")
    if not path.is_file():
        return {}
    rows = csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    return {r["compound"]: (float(r["highest_nm"]), r["where"]) for r in rows}


def _check_dose(entry: Any, nm: float, conc: float, unit: str, label: str, salt: bool) -> None:
    """Warn at a dose (``nm``, the effective dose in nM) that is most often a unit slip.

    Far above the highest dose any preset or validation experiment uses (or, for a compound none
    uses, far above saturation of every target), or in a unit of the other dimension (mass against
    molar) than the compound is dosed in, unless the dose was written for a salt form by mass.
    """
    if nm <= 0:
        return
    top = _validated_doses().get(entry.name)
    weakest = max([entry.potency_nm, *(t.potency_nm for t in entry.targets)])
    if top is not None and nm >= VALIDATED_MULTIPLE * top[0]:
        shown = from_nanomolar(top[0], unit, entry.molar_mass)
        text = (
            f"{nm / top[0]:.0f} times the highest dose of {entry.name} in any preset or validation "
            f"experiment ({shown:.3g} {unit}, {top[1]}); the model was not tested there"
        )
    elif top is None and nm > SATURATING_MULTIPLE * weakest:
        shown = from_nanomolar(weakest, unit, entry.molar_mass)
        text = (
            f"{nm / weakest:.0f} times the dose that half-saturates its weakest target "
            f"({shown:.3g} {unit}); the response saturated long before"
        )
    elif not salt and is_mass_unit(unit) != is_mass_unit(entry.unit):
        usual = from_nanomolar(nm, entry.unit, entry.molar_mass)
        warn(
            f"{label}: {conc:g} {unit} is {usual:.3g} {entry.unit}; {entry.name} is dosed in "
            f"{entry.unit}, so check the unit",
            UserWarning,
        )
        return
    else:
        return
    warn(
        f"{label}: {conc:g} {unit} is {text}, and a dose this far up is most often a unit slip "
        "(mM for uM, ug/ml for ng/ml)",
        UserWarning,
    )


def _number_hint(text: str, has_unit: bool) -> str | None:
    """How to write a number that came as text ('0.5 uM', '0,5', '60,000'), or None."""
    plain = text.replace(" ", "")
    if re.fullmatch(r"[1-9]\d{0,2}([, ]\d{3})+", text):  # thousands separators: 60,000, 10 000
        hint = f"write it without separators: {plain.replace(',', '')}"
        if text.count(",") == 1 and " " not in text:  # 1,500 may be a decimal comma
            hint += f" (or {text.replace(',', '.')} if the comma is a decimal point)"
        return hint
    decimal = text.replace(",", ".")
    head, _, rest = decimal.partition(" ")
    if has_unit and rest and _float_or_none(head) is not None:
        return f"write the number and its unit apart: {head} and unit {rest.strip()!r}"
    if _float_or_none(decimal) is not None:
        return f"write it as a number, without quotes: {decimal}"
    return None


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _as_compound(name: str, entry: Any, conc: float, unit: str, label: str) -> float:
    """A dose by mass of a salt form, as the same dose of the registry compound (with a warning)."""
    salt = entry.salt_mass(name)
    if salt is None or not is_mass_unit(unit):
        return conc
    equivalent = conc * entry.molar_mass / salt
    warn(
        f"{label}: {name!r} is a salt form ({salt:g} g/mol per {entry.name}, {entry.molar_mass:g} "
        f"without the counter-ion), so {conc:g} {unit} of it holds {equivalent:.4g} {unit} of "
        f"{entry.name}; the step records that. Give the dose in a molar unit to skip the conversion",
        UserWarning,
    )
    return equivalent


class Step:
    """A compound at a concentration over the day window ``[start, end)``.

    Args:
        compound: Compound name or alias (stored under its canonical name).
        concentration: Concentration in ``unit``; must be >= 0.
        unit: Concentration unit; defaults to the compound's usual unit.
        start: First day (inclusive) the compound is in the medium.
        end: Day (exclusive) the compound is withdrawn; must be > ``start``.
        note: Free text (for example the paper's wording).
        where: Context for error messages (e.g. ``"step 3"``).
    """

    __slots__ = ("_base", "_factor", "compound", "end", "note", "start", "unit")

    compound: str
    unit: str
    start: float
    end: float
    note: str

    def __init__(
        self,
        compound: str,
        concentration: float,
        unit: str | None = None,
        start: float = 0.0,
        end: float = 1.0,
        note: str = "",
        *,
        where: str = "step",
        _factor: float = 1.0,
        _check: bool = True,
    ) -> None:
        entry = registry().get(compound, where=f"{where}: compound")
        label = f"{where} ({entry.name})"
        conc = number(concentration, f"{label}: concentration", minimum=0.0)
        if unit is None:
            warn(
                f"{label}: no unit given; taking {entry.name}'s usual unit, {entry.unit}. Write the "
                "unit (unit = ...) to say what you mean",
                UserWarning,
            )
            unit = entry.unit
        else:
            unit = canonical_unit(unit, f"{label}: unit")
        conc = _as_compound(compound, entry, conc, unit, label)
        if _check:
            nm = to_nanomolar(conc * float(_factor), unit, entry.molar_mass)
            salt = entry.salt_mass(compound) is not None
            _check_dose(entry, nm, conc * float(_factor), unit, label, salt)
        s = number(start, f"{label}: start", minimum=0.0)
        e = number(end, f"{label}: end")
        if e <= s:
            raise ProtocolError(
                f"{label}: end {end!r} is not after start {start!r}; a step lasts [start, end) days, "
                "so write an end greater than the start"
            )
        if not isinstance(note, str):
            raise ProtocolError(f"{label}: note {note!r} must be text")
        for name, val in (
            ("compound", entry.name),
            ("unit", unit),
            ("start", s),
            ("end", e),
            ("note", note),
            ("_base", conc),
            ("_factor", float(_factor)),
        ):
            object.__setattr__(self, name, val)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Step is immutable; use Protocol.scale/shift/with_step to edit")

    def __reduce__(self):
        return (
            _restore_step,
            (self.compound, self._base, self.unit, self.start, self.end, self.note, self._factor),
        )

    @property
    def concentration(self) -> float:
        """Effective concentration in :attr:`unit` (the written value times any scale applied)."""
        return self._base * self._factor

    @property
    def duration(self) -> float:
        """Length of the window in days."""
        return self.end - self.start

    def _key(self) -> tuple:
        return (self.compound, self.concentration, self.unit, self.start, self.end, self.note)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Step({self.compound!r}, {self.concentration:g} {self.unit}, "
            f"days [{self.start:g}, {self.end:g}))"
        )

    def replace(self, **changes: Any) -> Step:
        """Return a copy with some fields changed (``concentration``, ``start``, ``end``, ...)."""
        fields = {
            "compound": self.compound,
            "concentration": self._base,
            "unit": self.unit,
            "start": self.start,
            "end": self.end,
            "note": self.note,
            "_factor": self._factor,
        }
        if "concentration" in changes:
            fields["_factor"] = 1.0
        fields.update(changes)
        # a dose that did not change is not checked again (shifts, renames, round trips)
        dose_changed = "concentration" in changes or fields["_factor"] != self._factor
        return Step(**fields, _check=dose_changed)

    def scaled(self, factor: float) -> Step:
        """Return the step with its concentration multiplied by ``factor``."""
        return self.replace(_factor=self._factor * factor)

    def scaled_concentration(self, factors: Iterable[float]) -> float:
        """The concentration of ``self.scaled(f1).scaled(f2)...``, without building those steps.

        The same arithmetic in the same order, so the value is bit for bit the one the scaled steps
        hold (a sweep's fast path relies on it).
        """
        factor = self._factor
        for f in factors:
            factor = float(factor * f)
        return self._base * factor

    def to_dict(self) -> dict[str, Any]:
        """Serialise to the shape of a ``[[steps]]`` table."""
        out: dict[str, Any] = {
            "compound": self.compound,
            "concentration": self.concentration,
            "unit": self.unit,
            "start": self.start,
            "end": self.end,
        }
        if self.note:
            out["note"] = self.note
        return out


def _restore_step(compound, base, unit, start, end, note, factor) -> Step:
    """Rebuild a pickled :class:`Step` (validated again; its dose was checked when it was made)."""
    return Step(compound, base, unit, start, end, note, _factor=factor, _check=False)


_STEP_KEYS = ("compound", "concentration", "unit", "start", "end", "note")


def step_from_dict(data: Any, where: str) -> Step:
    """Build a :class:`Step` from a ``[[steps]]`` table, rejecting unknown keys."""
    if not isinstance(data, dict):
        raise ProtocolError(f"{where}: expected a table with keys {', '.join(_STEP_KEYS)}")
    unknown = sorted(set(data) - set(_STEP_KEYS))
    if unknown:
        raise ProtocolError(
            f"{where}: unknown key {unknown[0]!r}; a step has keys {', '.join(_STEP_KEYS)}"
        )
    for key in ("compound", "concentration", "start", "end"):
        if key not in data:
            raise ProtocolError(
                f"{where}: missing key {key!r}; a step needs compound, "
                "concentration, unit, start and end"
            )
    return Step(**data, where=where)


@dataclass(frozen=True)
class Operation:
    """A culture operation on a given day.

    Attributes:
        kind: One of :data:`OPERATION_KINDS` (``"replate"``, ``"aggregate"``, ``"plate"``).
        day: The day it happens.
        density: Cells per cm^2 of vessel after ``replate`` or ``aggregate``; ``None`` for ``plate``.
        note: Free text.
    """

    kind: str
    day: float
    density: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        where = f"operation {self.kind!r} on day {self.day!r}"
        if not isinstance(self.kind, str) or self.kind not in OPERATION_KINDS:
            from ..errors import suggest

            raise ProtocolError(
                f"operation: unknown kind {self.kind!r}{suggest(str(self.kind), OPERATION_KINDS)}; "
                f"write one of {', '.join(OPERATION_KINDS)}"
            )
        object.__setattr__(self, "day", number(self.day, f"{where}: day", minimum=0.0))
        if self.kind == "plate":
            if self.density is not None:
                raise ProtocolError(
                    f"{where}: 'plate' attaches whole aggregates and takes no density; "
                    "remove 'density', or use kind = 'replate' to dissociate and re-seed"
                )
        else:
            if self.density is None:
                raise ProtocolError(
                    f"{where}: missing 'density' (cells/cm^2); add e.g. density = 60000"
                )
            object.__setattr__(
                self, "density", number(self.density, f"{where}: density", positive=True)
            )
        if not isinstance(self.note, str):
            raise ProtocolError(f"{where}: note {self.note!r} must be text")

    def to_dict(self) -> dict[str, Any]:
        """Serialise to the shape of an ``[[operations]]`` table."""
        out: dict[str, Any] = {"kind": self.kind, "day": self.day}
        if self.density is not None:
            out["density"] = self.density
        if self.note:
            out["note"] = self.note
        return out


_OP_KEYS = ("kind", "day", "density", "note")


def operation_from_dict(data: Any, where: str) -> Operation:
    """Build an :class:`Operation` from an ``[[operations]]`` table, rejecting unknown keys."""
    if not isinstance(data, dict):
        raise ProtocolError(f"{where}: expected a table with keys {', '.join(_OP_KEYS)}")
    unknown = sorted(set(data) - set(_OP_KEYS))
    if unknown:
        raise ProtocolError(
            f"{where}: unknown key {unknown[0]!r}; an operation has keys {', '.join(_OP_KEYS)}"
        )
    for key in ("kind", "day"):
        if key not in data:
            raise ProtocolError(f"{where}: missing key {key!r}; an operation needs kind and day")
    return Operation(**data)
