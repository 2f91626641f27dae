"""Basal media: what each supplies of the signals the model reads, as data (``data/media.csv``).

A protocol names its basal medium (``medium = "E6"``) and, where it changes, the medium of each phase
(``[[media]]`` tables with ``name``, ``start``, ``end``). A medium's components are registry compounds
at concentrations (E8: TGF-beta1 2 ng/ml, FGF2 100 ng/ml, insulin 19.4 ug/ml; KSR: BMP-like activity as
BMP4-equivalent; MEF-conditioned medium: Activin A; B27: a retinoid as RA-equivalent), each with its
source or the reason for its assumption. The engines add them to the protocol's steps: a medium's
components are replaced at every media change and decay in between, like any compound, so the medium,
the cells' density and the format together set the endogenous signals, not a constant of the cells.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import ProtocolError, suggest, warn
from .steps import number

__all__ = ["Medium", "MediumPhase", "lookup_medium", "media"]


@dataclass(frozen=True)
class Medium:
    """One basal medium.

    Attributes:
        name: Canonical name (e.g. ``"E6"``).
        aliases: Other names accepted case-insensitively.
        components: ``(compound, concentration, unit)`` of what the model reads.
        composition: What the medium is made of, in words.
        source: Where the components' amounts come from (and which are assumptions).
        confidence: ``verified``, ``secondary``, ``assumption`` or ``definition``.
    """

    name: str
    aliases: tuple[str, ...]
    components: tuple[tuple[str, float, str], ...]
    composition: str
    source: str
    confidence: str


@dataclass(frozen=True)
class MediumPhase:
    """A window ``[start, end)`` of the protocol in which the basal medium is ``name``."""

    name: str
    start: float
    end: float

    def to_dict(self) -> dict[str, object]:
        """The phase as a ``[[media]]`` table."""
        return {"name": self.name, "start": self.start, "end": self.end}


def _parse_components(text: str, name: str) -> tuple[tuple[str, float, str], ...]:
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        compound, _, dose = part.partition(":")
        value, _, unit = dose.strip().partition(" ")
        out.append((compound.strip(), float(value), unit.strip()))
    if any(not c or not u for c, _, u in out):  # pragma: no cover - guards the shipped table
        raise ProtocolError(f"media.csv: medium {name!r} has a malformed component")
    return tuple(out)


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "").replace(" ", "").replace("/", "")


@lru_cache(maxsize=1)
def media() -> dict[str, Medium]:
    """The shipped media registry, by canonical name."""
    text = resources.files("ipscsim.protocols").joinpath("data/media.csv").read_text("utf-8")
    out = {}
    for row in csv.DictReader(text.splitlines()):
        out[row["name"]] = Medium(
            row["name"],
            tuple(a.strip() for a in row["aliases"].split(";") if a.strip()),
            _parse_components(row["components"], row["name"]),
            row["composition"],
            row["source"],
            row["confidence"],
        )
    return out


def lookup_medium(name: object, where: str = "medium") -> Medium:
    """The medium called ``name`` (canonical name or alias, any case).

    Raises:
        ProtocolError: for an unknown medium, suggesting the nearest names.
    """
    table = media()
    if isinstance(name, str):
        for m in table.values():
            if _key(name) in {_key(m.name), *map(_key, m.aliases)}:
                return m
    raise ProtocolError(
        f"{where}: unknown medium {name!r}{suggest(str(name), table)} (known: {', '.join(table)}; "
        "see ipscsim.protocols.media())"
    )


def phase_from_dict(data: object, where: str) -> MediumPhase:
    """A ``[[media]]`` table as a :class:`MediumPhase` (the medium checked, the window validated)."""
    if not isinstance(data, dict):
        raise ProtocolError(f"{where}: must be a table with name, start and end")
    unknown = set(data) - {"name", "start", "end", "note"}
    if unknown:
        raise ProtocolError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; a phase has name, start, end"
        )
    for key in ("name", "start", "end"):
        if key not in data:
            raise ProtocolError(
                f"{where}: missing {key!r}, e.g. {{name = 'E6', start = 0, end = 6}}"
            )
    medium = lookup_medium(data["name"], f"{where}.name").name
    start = number(data["start"], f"{where}.start")
    end = number(data["end"], f"{where}.end")
    if start < 0 or end <= start:
        raise ProtocolError(f"{where}: window [{start:g}, {end:g}) must have 0 <= start < end")
    return MediumPhase(medium, start, end)


def warn_missing_fields(data: Mapping[str, object], days: float, phases: tuple) -> None:
    """Warn when protocol data leaves out the fields that change every outcome (days, medium).

    Args:
        data: The protocol's data as written.
        days: The protocol's length (the default when ``data`` gives none).
        phases: Its ``[[media]]`` phases, checked and sorted: without a ``medium``, the days they
            leave uncovered run in 'basal'.
    """
    name = data.get("name", "protocol")
    if "days" not in data:
        warn(
            f"{name}: no days given; it runs {days:g} days. Write days = ... to say how "
            "long the protocol is",
            UserWarning,
        )
    if "medium" in data:
        return
    gaps = _uncovered(phases, days)
    if gaps:
        where = (
            "every day" if not phases else "days " + ", ".join(f"[{a:g}, {b:g})" for a, b in gaps)
        )
        warn(
            f"{name}: no medium given, so it runs in 'basal' (no supplements or growth factors) on "
            f"{where}, which changes every outcome. Write medium = ... (one of {', '.join(media())}) or "
            "[[media]] phases that cover the protocol",
            UserWarning,
        )


def _uncovered(phases: tuple, days: float) -> list[tuple[float, float]]:
    """The windows of ``[0, days)`` that no phase covers (phases sorted by start)."""
    gaps, at = [], 0.0
    for ph in phases:
        if ph.start > at + 1e-12:
            gaps.append((at, ph.start))
        at = max(at, ph.end)
    if days > at + 1e-12:
        gaps.append((at, days))
    return gaps
