"""The :class:`Protocol`: what a stem-cell biologist writes on the whiteboard, as a validated value.

A protocol is a list of compound steps (concentration over a day window), culture operations (replating,
aggregation, plating), a seeding density, a media-change schedule and a duration. It is immutable: every
edit returns a new protocol, so a sweep can derive thousands of variants from one preset safely.

Semantics the engines rely on:

* Day 0 is the first day of differentiation; a step acts over ``[start, end)``.
* The medium is replaced on every scheduled media-change day, on every step's start and end (the
  formulation changes) and after every operation. A change restores each compound of the steps active at
  that moment to its nominal concentration; in between, each compound decays at its own rate.
* Several steps of one compound may not overlap in time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..errors import ProtocolError, snap_day, suggest
from .compounds import registry
from .delivery import check_delivery
from .media import MediumPhase, lookup_medium, phase_from_dict, warn_missing_fields
from .steps import Operation, Step, number, operation_from_dict, step_from_dict

__all__ = ["CASSETTES", "FORMATS", "Protocol"]

#: The longest protocol (or simulation) accepted, in days (ten years).
MAX_DAYS = 3650
#: The most scheduled media changes a protocol may have (each is a segment of every run).
MAX_MEDIA_CHANGES = 20_000

#: Culture formats at day 0.
FORMATS: tuple[str, ...] = ("adherent", "suspension")
#: Inducible cassettes a line may carry (dox turns them on): none, NGN2-ISL1-LHX3, NGN2 alone.
CASSETTES: tuple[str, ...] = ("none", "NIL", "NGN2")

_TOP_KEYS = (
    "name",
    "description",
    "days",
    "seeding_density",
    "format",
    "well_area",
    "medium_volume",
    "media_change_every",
    "media_changes",
    "medium",
    "media",
    "aggregate_size",
    "cassette",
    "cassette_efficiency",
    "cassette_vectors",
    "steps",
    "operations",
    "reference",
)


@dataclass(frozen=True, eq=True)
class Protocol:
    """A differentiation protocol.

    Attributes:
        name: A short identifier.
        days: Duration in days.
        steps: Compound steps, in the order written.
        operations: Culture operations (replate, aggregate, plate).
        seeding_density: Cells per cm^2 of vessel at day 0.
        format: ``"adherent"`` (a monolayer plated before day 0) or ``"suspension"`` (aggregates formed
            from dissociated cells on day 0, which therefore start under dissociation stress).
        well_area: Culture surface per well, cm^2 (default 9.5: one well of a 6-well plate).
        medium_volume: Medium per well, ml.
        media_change_every: Days between media changes (default 1 when ``media_changes`` is not set).
        media_changes: Explicit media-change days, instead of ``media_change_every``.
        medium: The basal medium (``ipscsim.protocols.media()``; default ``"basal"``, which supplies
            nothing the model reads: no insulin either, so nothing opposes SMAD2/3-driven endoderm;
            name the medium a protocol uses).
        media: Phases with another basal medium (``[[media]]`` tables: name, start, end); a phase's
            edges are media changes.
        aggregate_size: Cells per aggregate in suspension (sets the share of cells at the surface).
        cassette: The inducible cassette the line carries: ``"none"``, ``"NIL"`` (NGN2-ISL1-LHX3) or
            ``"NGN2"``; dox turns it on.
        cassette_efficiency: Share of the cells that express each vector of the cassette (1 for an
            integrated line that every cell carries; below 1 for viral delivery, or silencing).
        cassette_vectors: ``"single"`` (one vector, or an integrated cassette: a cell expresses all of
            it or none) or ``"separate"`` (NGN2, ISL1 and LHX3 each on its own vector, each reaching
            a cell independently; cells with NGN2 alone make neurons that are not motor neurons).
        description: Free text.
        reference: Citation metadata (``citation``, ``doi``, ``notes``, ...), all text.

    Examples:
        >>> import ipscsim as ips
        >>> p = ips.protocols.get("maury2015")
        >>> q = p.without("SAG").scale("RA", 2.0)
        >>> "SAG" in q.compounds
        False
    """

    name: str = "protocol"
    days: float = 14.0
    steps: tuple[Step, ...] = ()
    operations: tuple[Operation, ...] = ()
    seeding_density: float = 60000.0
    format: str = "adherent"
    well_area: float = 9.5
    medium_volume: float = 2.0
    media_change_every: float | None = None
    media_changes: tuple[float, ...] | None = None
    medium: str = "basal"
    media: tuple[MediumPhase, ...] = ()
    aggregate_size: float = 2000.0
    cassette: str = "none"
    cassette_efficiency: float = 1.0
    cassette_vectors: str = "single"
    description: str = ""
    reference: Mapping[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name.strip():
            raise ProtocolError(
                f"name: {self.name!r} must be non-empty text, e.g. name = 'my_protocol'"
            )
        set_(self, "days", number(self.days, "days", positive=True))
        if self.days > MAX_DAYS:
            raise ProtocolError(
                f"days: {self.days:g} is more than {MAX_DAYS} days; shorten the protocol"
            )
        set_(
            self, "seeding_density", number(self.seeding_density, "seeding_density", positive=True)
        )
        set_(self, "well_area", number(self.well_area, "well_area (cm^2)", positive=True))
        set_(self, "medium_volume", number(self.medium_volume, "medium_volume (ml)", positive=True))
        if not isinstance(self.format, str) or self.format not in FORMATS:
            raise ProtocolError(
                f"format: {self.format!r} is not a culture format{suggest(str(self.format), FORMATS)}; "
                f"write one of {', '.join(FORMATS)}"
            )
        if not isinstance(self.description, str):
            raise ProtocolError(f"description: {self.description!r} must be text")
        ref = dict(self.reference or {})
        for k, v in ref.items():
            if not isinstance(v, str) or not isinstance(k, str):
                raise ProtocolError(f"reference.{k}: {k!r} = {v!r}: keys and values must be text")
        set_(self, "reference", _FrozenDict(ref))
        set_(self, "steps", tuple(self._check_step(s, i) for i, s in enumerate(self.steps)))
        set_(self, "operations", tuple(self._check_operations(self.operations)))
        self._check_media()
        self._check_culture()
        self._check_overlaps()

    def _check_culture(self) -> None:
        set_ = object.__setattr__
        set_(self, "medium", lookup_medium(self.medium, "medium").name)
        phases = []
        for i, ph in enumerate(self.media or ()):
            if not isinstance(ph, MediumPhase):
                ph = phase_from_dict(dict(ph) if isinstance(ph, Mapping) else ph, f"media {i + 1}")
            if ph.end > self.days + 1e-12:
                raise ProtocolError(
                    f"media {i + 1} ({ph.name}): window [{ph.start:g}, {ph.end:g}) ends after the "
                    f"protocol's last day {self.days:g}"
                )
            phases.append(ph)
        phases.sort(key=lambda ph: ph.start)
        for a, b in pairwise(phases):
            if b.start < a.end:
                raise ProtocolError(
                    f"media: phases {a.name} and {b.name} overlap on [{b.start:g}, {a.end:g})"
                )
        set_(self, "media", tuple(phases))
        size = number(self.aggregate_size, "aggregate_size (cells)", minimum=2.0)
        if size > 1e7:
            raise ProtocolError(f"aggregate_size: {size:g} cells is more than 10 million")
        set_(self, "aggregate_size", size)
        if self.cassette not in CASSETTES:
            raise ProtocolError(
                f"cassette: {self.cassette!r} is not a cassette{suggest(str(self.cassette), CASSETTES)}; "
                f"write one of {', '.join(CASSETTES)}"
            )
        object.__setattr__(self, "cassette_efficiency", check_delivery(self))

    def medium_at(self, day: float) -> str:
        """The basal medium on ``day``."""
        for ph in self.media:
            if ph.start <= day < ph.end:
                return ph.name
        return self.medium

    def _check_step(self, s: Any, i: int) -> Step:
        if isinstance(s, Mapping):
            s = step_from_dict(dict(s), f"step {i + 1}")
        if not isinstance(s, Step):
            raise ProtocolError(f"step {i + 1}: {s!r} is not a step table")
        if s.end > self.days + 1e-12:
            raise ProtocolError(
                f"step {i + 1} ({s.compound}): window [{s.start:g}, {s.end:g}) ends after the "
                f"protocol's last day {self.days:g}; shorten the step or set days >= {s.end:g}"
            )
        return s

    def _check_operations(self, ops: Iterable[Any]) -> list[Operation]:
        out = []
        for i, op in enumerate(ops):
            if isinstance(op, Mapping):
                op = operation_from_dict(dict(op), f"operation {i + 1}")
            if not isinstance(op, Operation):
                raise ProtocolError(f"operation {i + 1}: {op!r} is not an operation table")
            if op.day >= self.days:
                raise ProtocolError(
                    f"operation {i + 1} ({op.kind}): day {op.day:g} is not before the protocol's end "
                    f"(day {self.days:g}); move it earlier or lengthen the protocol"
                )
            out.append(op)
        days = [op.day for op in out]
        if len(set(days)) != len(days):
            raise ProtocolError(
                f"operations: two operations on the same day {sorted(days)}; one operation per day"
            )
        fmt = self.format
        for op in sorted(out, key=lambda o: o.day):
            if op.kind == "plate" and fmt != "suspension":
                raise ProtocolError(
                    f"operation 'plate' on day {op.day:g}: the cells are already adherent; 'plate' "
                    "attaches suspension aggregates (use 'replate' to dissociate and re-seed)"
                )
            fmt = "suspension" if op.kind == "aggregate" else "adherent"
        return out

    def _check_media(self) -> None:
        every, explicit = self.media_change_every, self.media_changes
        if every is not None and explicit is not None:
            raise ProtocolError(
                "media_change_every and media_changes are both set; keep one (every N days, or a "
                "list of days)"
            )
        if every is not None:
            object.__setattr__(
                self,
                "media_change_every",
                number(every, "media_change_every (days)", positive=True),
            )
            n = self.days / self.media_change_every
            if n > MAX_MEDIA_CHANGES:
                raise ProtocolError(
                    f"media_change_every: {every!r} days gives {n:.3g} media changes over "
                    f"{self.days:g} days (at most {MAX_MEDIA_CHANGES}); the smallest interval for "
                    f"this protocol is {self.days / MAX_MEDIA_CHANGES:.3g} days"
                )
        if explicit is not None:
            if isinstance(explicit, (str, bytes)) or not isinstance(explicit, Iterable):
                raise ProtocolError(
                    f"media_changes: {explicit!r} must be a list of days, e.g. [0, 2, 4]"
                )
            days = []
            for d in explicit:
                v = number(d, "media_changes", minimum=0.0)
                if v > self.days:
                    raise ProtocolError(
                        f"media_changes: day {d!r} is after the protocol's last day {self.days:g}"
                    )
                days.append(v)
            object.__setattr__(self, "media_changes", tuple(sorted(set(days))))

    def _check_overlaps(self) -> None:
        by_compound: dict[str, list[tuple[int, Step]]] = {}
        for i, s in enumerate(self.steps):
            by_compound.setdefault(s.compound, []).append((i, s))
        for name, items in by_compound.items():
            items.sort(key=lambda t: t[1].start)
            for (i, a), (j, b) in pairwise(items):
                if b.start < a.end:
                    raise ProtocolError(
                        f"steps {i + 1} and {j + 1} ({name}) overlap on days [{b.start:g}, "
                        f"{min(a.end, b.end):g}); to change a dose use p.scale({name!r}, factor); "
                        f"to replace windows p.without({name!r}) (it removes all {len(items)}) then "
                        ".with_step(...) for each one to keep; or make one step end before the next"
                    )

    # ------------------------------------------------------------------ views
    @property
    def compounds(self) -> tuple[str, ...]:
        """Canonical names of the compounds used, in order of first appearance."""
        return tuple(dict.fromkeys(s.compound for s in self.steps))

    def steps_of(self, compound: str) -> tuple[Step, ...]:
        """The steps of one compound (any alias)."""
        name = registry().get(compound).name
        return tuple(s for s in self.steps if s.compound == name)

    def media_change_days(self) -> tuple[float, ...]:
        """Every day the medium is replaced: scheduled, at step edges and after operations.

        Days are snapped to :data:`~ipscsim.errors.DAY_RESOLUTION`, so ``3 * 0.1`` and ``0.3`` are one day.
        """
        days: set[float] = {0.0}
        if self.media_changes is not None:
            days.update(self.media_changes)
        else:
            every = self.media_change_every or 1.0
            n = math.floor(self.days / every + 1e-9)
            days.update(k * every for k in range(n + 1))
        for s in self.steps:
            days.update((s.start, s.end))
        for ph in self.media:
            days.update((ph.start, ph.end))
        days.update(op.day for op in self.operations)
        end = snap_day(self.days)
        return tuple(sorted({snap_day(d) for d in days if snap_day(d) < end}))

    # ------------------------------------------------------------------ edits
    def _need(self, compound: str) -> str:
        name = registry().get(compound).name
        if name not in self.compounds:
            raise ProtocolError(
                f"protocol {self.name!r} has no step with {name!r}; its compounds are "
                f"{', '.join(self.compounds) or 'none'} (use with_step to add one)"
            )
        return name

    def without(self, compound: str) -> Protocol:
        """Return the protocol with every step of ``compound`` removed."""
        name = self._need(compound)
        return replace(self, steps=tuple(s for s in self.steps if s.compound != name))

    def scale(self, compound: str, factor: float) -> Protocol:
        """Return the protocol with the concentration of every step of ``compound`` times ``factor``."""
        name = self._need(compound)
        f = number(factor, f"scale({name!r}): factor", minimum=0.0)
        return replace(
            self, steps=tuple(s.scaled(f) if s.compound == name else s for s in self.steps)
        )

    def shift(self, compound: str, days: float) -> Protocol:
        """Return the protocol with every window of ``compound`` moved by ``days`` (may be negative)."""
        name = self._need(compound)
        d = number(days, f"shift({name!r}): days")
        steps = []
        for i, s in enumerate(self.steps):
            if s.compound == name:
                if s.start + d < 0 or s.end + d > self.days:
                    raise ProtocolError(
                        f"shift({name!r}, days={d:g}): step {i + 1} would cover "
                        f"[{s.start + d:g}, {s.end + d:g}), outside days [0, {self.days:g}]; shift "
                        "less, or lengthen the protocol with with_days()"
                    )
                s = s.replace(start=s.start + d, end=s.end + d)
            steps.append(s)
        return replace(self, steps=tuple(steps))

    def with_step(
        self,
        compound: str,
        concentration: float,
        unit: str | None = None,
        *,
        start: float,
        end: float,
        note: str = "",
    ) -> Protocol:
        """Return the protocol with one more step."""
        step = Step(
            compound, concentration, unit, start, end, note, where=f"step {len(self.steps) + 1}"
        )
        return replace(self, steps=(*self.steps, step))

    def with_media_changes(
        self, every: float | None = None, days: Iterable[float] | None = None
    ) -> Protocol:
        """Return the protocol with a new media-change schedule (every N days, or explicit days)."""
        if (every is None) == (days is None):
            raise ProtocolError("with_media_changes: give exactly one of every= or days=")
        listed = days is None or isinstance(days, (str, bytes)) or not hasattr(days, "__iter__")
        return replace(  # a number or text goes on as it is: the constructor names it
            self, media_change_every=every, media_changes=days if listed else tuple(days)
        )

    def feeding_rhythm(self) -> float:
        """Days between media changes: ``media_change_every``, or the median gap of an explicit list."""
        if self.media_changes is None:
            return float(self.media_change_every or 1.0)
        gaps = [b - a for a, b in pairwise(sorted({0.0, *self.media_changes}))]
        return float(sorted(gaps)[len(gaps) // 2]) if gaps else 1.0

    def feeding_after_end(self, days: float) -> tuple[float, ...]:
        """Media changes from the protocol's last day up to ``days``, at its feeding rhythm."""
        every, out, k = self.feeding_rhythm(), [], 0
        while self.days + k * every < days - 1e-9:
            out.append(snap_day(self.days + k * every))
            k += 1
        return tuple(out)

    def with_days(self, days: float) -> Protocol:
        """Return the protocol with a new duration (steps must still fit).

        Lengthening a protocol whose media changes are an explicit list extends the list at the
        protocol's feeding rhythm (:meth:`feeding_rhythm`), so that the added days are fed as a lab
        would feed them; a ``media_change_every`` rhythm continues by itself.
        """
        days = number(days, "days", positive=True)
        if self.media_changes is not None and days > self.days:
            extra = self.feeding_after_end(days)
            return replace(
                self, days=days, media_changes=tuple(sorted({*self.media_changes, *extra}))
            )
        return replace(self, days=days)

    def with_operation(self, kind: str, day: float, density: float | None = None) -> Protocol:
        """Return the protocol with one more culture operation."""
        return replace(self, operations=(*self.operations, Operation(kind, day, density)))

    def renamed(self, name: str) -> Protocol:
        """Return the protocol under another name."""
        return replace(self, name=name)

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain data (the shape of a protocol TOML file)."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["days"] = self.days
        out["seeding_density"] = self.seeding_density
        out["format"] = self.format
        out["well_area"] = self.well_area
        out["medium_volume"] = self.medium_volume
        if self.media_change_every is not None:
            out["media_change_every"] = self.media_change_every
        if self.media_changes is not None:
            out["media_changes"] = list(self.media_changes)
        out["medium"] = self.medium
        if self.media:
            out["media"] = [ph.to_dict() for ph in self.media]
        if self.aggregate_size != 2000.0:
            out["aggregate_size"] = self.aggregate_size
        if self.cassette != "none":
            out["cassette"] = self.cassette
        if self.cassette_efficiency != 1.0:
            out["cassette_efficiency"] = self.cassette_efficiency
        if self.cassette_vectors != "single":
            out["cassette_vectors"] = self.cassette_vectors
        if self.reference:
            out["reference"] = dict(self.reference)
        out["steps"] = [s.to_dict() for s in self.steps]
        if self.operations:
            out["operations"] = [op.to_dict() for op in self.operations]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Protocol:
        """Build a protocol from plain data, rejecting unknown keys.

        Raises:
            ProtocolError: naming the first invalid key or value and how to fix it.
        """
        if not isinstance(data, Mapping):
            raise ProtocolError(f"a protocol must be a table of keys, not {type(data).__name__}")
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            k = unknown[0]
            raise ProtocolError(
                f"unknown key {k!r}{suggest(str(k), _TOP_KEYS)}; a protocol has keys "
                f"{', '.join(_TOP_KEYS)}"
            )
        kwargs = dict(data)
        steps = kwargs.pop("steps", [])
        ops = kwargs.pop("operations", [])
        if not isinstance(steps, (list, tuple)):
            raise ProtocolError("steps: must be a list of [[steps]] tables")
        if not isinstance(ops, (list, tuple)):
            raise ProtocolError("operations: must be a list of [[operations]] tables")
        if "reference" in kwargs and not isinstance(kwargs["reference"], Mapping):
            raise ProtocolError("reference: must be a table, e.g. [reference] doi = '10.1038/...'")
        if "media" in kwargs:
            if not isinstance(kwargs["media"], (list, tuple)):
                raise ProtocolError("media: must be a list of [[media]] tables (name, start, end)")
            kwargs["media"] = tuple(
                phase_from_dict(m, f"media {i + 1}") for i, m in enumerate(kwargs["media"])
            )
        out = cls(
            steps=tuple(step_from_dict(s, f"step {i + 1}") for i, s in enumerate(steps)),
            operations=tuple(
                operation_from_dict(o, f"operation {i + 1}") for i, o in enumerate(ops)
            ),
            **kwargs,
        )
        warn_missing_fields(data, out.days, out.media)
        return out

    def to_toml(self, path: str | Path | None = None) -> str:
        """Serialise to TOML; also write it to ``path`` when given. Returns the text."""
        import tomli_w

        text = tomli_w.dumps(self.to_dict())
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_toml(cls, source: str | Path) -> Protocol:
        """Read a protocol from a TOML file path (or from TOML text containing a newline)."""
        from .._toml import loads_toml, read_toml_file

        if isinstance(source, Path) or "\n" not in str(source):
            return cls.from_dict(read_toml_file(Path(source), "protocol file"))
        return cls.from_dict(loads_toml(str(source)))

    def to_json(self) -> str:
        """Serialise to JSON text."""
        import json

        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Protocol:
        """Build a protocol from JSON text."""
        import json

        if not isinstance(text, (str, bytes)):
            raise ProtocolError(
                f"from_json: {type(text).__name__} is not JSON text; for a dict use "
                "Protocol.from_dict, for a file Protocol.from_json(Path(f).read_text())"
            )
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtocolError(f"malformed JSON: {exc}") from None
        return cls.from_dict(data)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        lines = [
            f"Protocol {self.name!r}: {self.days:g} days, {self.format}, "
            f"{self.seeding_density:g} cells/cm^2"
        ]
        for s in sorted(self.steps, key=lambda s: (s.start, s.compound)):
            lines.append(
                f"  day {s.start:>4g}-{s.end:<4g} {s.compound:<14} {s.concentration:g} {s.unit}"
            )
        for op in sorted(self.operations, key=lambda o: o.day):
            extra = "" if op.density is None else f" at {op.density:g}"
            lines.append(f"  day {op.day:>4g}      {op.kind}{extra}")
        every = self.media_change_every
        media = (
            f"media changes on days {list(self.media_changes)}"
            if self.media_changes is not None
            else f"media change every {every or 1:g} day(s)"
        )
        lines.append(f"  {media}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .display import protocol_html

        return protocol_html(self)

    def diff(self, other: Protocol) -> Any:
        """What differs from ``other``: a DataFrame (``what``, ``item``, ``a``: this one, ``b``: other).

        See :func:`ipscsim.protocols.display.diff`; empty when the schedules are the same.
        """
        from .display import diff

        return diff(self, other)

    def plot(self, ax: Any = None, *, days: float | None = None):
        """Draw the protocol timeline (compounds as bars over days); returns the Figure.

        See :func:`ipscsim.plot.timeline.plot_protocol`.
        """
        from ..plot.timeline import plot_protocol

        return plot_protocol(self, ax=ax, days=days)


class _FrozenDict(dict):
    """A read-only dict (hashable) for reference metadata."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("protocol reference metadata is read-only")

    def __reduce__(self):
        return (_FrozenDict, (dict(self),))

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _readonly  # type: ignore
