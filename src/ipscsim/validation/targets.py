"""Validation targets: published readouts and perturbation facts, as checkable rows.

A target is one of:

* an **outcome**: a readout of a (possibly perturbed) protocol at a day, against a published value with a
  relation: ``in`` (between ``low`` and ``high``: the published value with its reported or stated
  spread, two-sided), ``>=``, ``<=`` or ``~`` (within the tolerance: 0.10 for fractions, 10% of the
  value for other readouts);
* a **direction**: a readout of a perturbed protocol compared with a reference (the protocol as published,
  or another protocol): ``<`` or ``>``, optionally by a margin.

Readouts: a summary field (``mn_fraction``, ``mn_yield``, ``day_mn_half``, ...), a cell type (fraction of
live cells), a marker (fraction positive), ``count:<cell type>`` or ``count:total`` (cells per well), or
the day a cell type, group or marker appears or peaks over the run (``onset:OLIG2``, ``peak:SOX1``;
:data:`~ipscsim.model.readouts.TIMING_READOUTS`; these take no day).

Three tables hold targets: ``data/published_outcomes.csv`` (the project's calibration targets),
``data/phenotypes.csv`` (T1-T8, in words) with their machine-readable form in
``validation/data/phenotype_checks.csv``, and ``validation/data/validation_facts.csv`` (further published
facts, each with its source).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import ParameterError, is_real, suggest
from ..model.readouts import (
    CELL_TYPES,
    GROUPS,
    MARKERS,
    SUMMARY_FIELDS,
    TIMING_READOUTS,
    timing_kind,
)

__all__ = [
    "Target",
    "fact_targets",
    "load_targets",
    "outcome_targets",
    "phenotype_targets",
    "resolve_targets",
]


@dataclass(frozen=True)
class Target:
    """One checkable fact."""

    id: str
    kind: str  # "outcome" or "direction"
    protocol: str
    perturbation: str
    readout: str
    day: float
    relation: str
    value: float
    reference_protocol: str = ""
    reference_perturbation: str = ""
    margin: float = 0.0
    source: str = ""
    note: str = ""
    low: float = math.nan
    high: float = math.nan

    def __post_init__(self) -> None:
        for col in ("day", "value", "low", "high"):  # None: not given (a timing readout's day)
            if getattr(self, col) is None:
                object.__setattr__(self, col, math.nan)
        _check_target(self, f"target {self.id!r}")

    @property
    def is_fraction(self) -> bool:
        """Whether the readout is a fraction of cells (tolerance 0.10 absolute)."""
        r = self.readout
        if timing_kind(r):
            return False  # a day
        return (
            r in CELL_TYPES
            or r in MARKERS
            or r in GROUPS
            or "/" in r
            or r.endswith("_fraction")
            or r == "residual_pluripotent"
        )

    @property
    def tolerance(self) -> float:
        """Half-width of ``~`` (and of an ``in`` interval), the scale of residuals in calibration."""
        if self.relation == "in":
            return max((self.high - self.low) / 2.0, 1e-9)
        return 0.10 if self.is_fraction else 0.10 * max(abs(self.value), 1e-9)

    def met(self, model: float, reference: float = math.nan) -> bool:
        """Whether a model value (and, for a direction, the reference value) meets the target."""
        if self.kind == "direction":
            if self.readout.startswith("day_") or timing_kind(self.readout):
                # a day that never comes (NaN) is later than any day
                model = math.inf if math.isnan(model) else model
                reference = math.inf if math.isnan(reference) else reference
                if model == reference:
                    return self.relation == "="
            elif not (math.isfinite(model) and math.isfinite(reference)):
                return False
            if self.relation == "=":
                return abs(model - reference) <= self.margin
            if self.relation == "<":
                return model < reference - self.margin
            return model > reference + self.margin
        if not math.isfinite(model):
            return False
        if self.relation == ">=":
            return model >= self.value
        if self.relation == "<=":
            return model <= self.value
        if self.relation == "in":
            return self.low <= model <= self.high
        return abs(model - self.value) <= self.tolerance

    def residual(self, model: float) -> float:
        """Signed shortfall in tolerance units (0 when an inequality holds); outcomes only."""
        if not math.isfinite(model):
            return 10.0
        if self.relation == ">=":
            return max(0.0, self.value - model) / self.tolerance
        if self.relation == "<=":
            return max(0.0, model - self.value) / self.tolerance
        if self.relation == "in":
            return (max(0.0, self.low - model) - max(0.0, model - self.high)) / self.tolerance
        return (model - self.value) / self.tolerance


def _check_readout(readout: str, where: str) -> None:
    name = readout.split(":", 1)[1] if readout.startswith("count:") else readout
    if readout.startswith("count:") and (name in CELL_TYPES or name == "total"):
        return
    if name in SUMMARY_FIELDS:
        return
    known = (*CELL_TYPES, *MARKERS, *GROUPS)
    if timing_kind(readout):
        share = readout.split(":", 1)[1]
        if share in known:
            return
        raise ParameterError(
            f"{where}: readout {readout!r} times an unknown share {share!r}"
            f"{suggest(share, known)}; after {readout.split(':', 1)[0] + ':'!r} give a cell type, "
            "a marker or a group, as in 'onset:OLIG2'"
        )
    parts = name.split("/", 1)  # a share, or a ratio of two shares (e.g. MN/neurons)
    bad = [x for x in parts if x not in known]
    if not bad:
        return
    raise ParameterError(
        f"{where}: unknown readout {readout!r}{suggest(bad[0], (*known, *SUMMARY_FIELDS))} (a cell "
        "type, a marker, a group such as 'neurons', a ratio of two of them such as 'MN/neurons', a "
        "summary field such as mn_yield, 'count:' and a cell type or 'total', or "
        f"{' or '.join(repr(k + ':') for k in TIMING_READOUTS)} and a cell type or marker)"
    )


def _number(r: dict, col: str, where: str, required: bool, default: float = math.nan) -> float:
    """A numeric cell, or an error naming the line and the column (blank cells: ``default``)."""
    text = (r.get(col) or "").strip()
    if not text:
        if required:
            raise ParameterError(f"{where}, column {col!r}: blank; give a number (e.g. 0.5 or 14)")
        return default
    try:
        return float(text)
    except ValueError:
        raise ParameterError(
            f"{where}, column {col!r}: {text!r} is not a number; give a plain number such as 0.5 "
            "(no units, percent signs or ranges: an interval goes in the columns low and high)"
        ) from None


def _check_row_shape(r: dict, where: str) -> None:
    if None in r:  # more fields than the header names
        raise ParameterError(
            f"{where}: {len(r[None])} more field(s) than the header names; quote text that holds "
            'a comma ("like, this")'
        )
    missing = [k for k, v in r.items() if v is None]
    if missing:
        raise ParameterError(
            f"{where}: the row stops before column {missing[0]!r} (fewer fields than the header); "
            "give every column, empty ones as nothing between commas"
        )


def load_targets(path: str | Path) -> list[Target]:
    """Targets from a CSV in the ``published_outcomes.csv`` format or the validation-table format.

    The outcome format has columns ``protocol, readout, day, relation, value`` (and optionally
    ``source``, ``perturbation``, ``id``); a protocol may be a preset name or a file path relative to the
    CSV. The validation-table format adds ``kind``, ``reference_protocol``, ``reference_perturbation``
    and ``margin``.
    """
    from .._toml import read_text_file

    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ParameterError(f"path: {path!r} must be the path of a targets CSV, e.g. 'lab.csv'")
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"path: {str(path)!r} is a folder; give the targets CSV inside it")
    text = read_text_file(
        path, "targets file", ParameterError, save_as="'CSV UTF-8' (comma delimited)"
    )
    return _parse(text, str(path), path.parent)


def _parse(text: str, origin: str, folder: Path | None) -> list[Target]:
    rows = list(csv.DictReader(text.splitlines()))
    required = {"protocol", "readout", "relation"}
    if rows and not required <= set(rows[0]):
        raise ParameterError(f"{origin}: needs columns {', '.join(sorted(required))}")
    out = []
    for i, r in enumerate(rows):
        where = f"{origin} line {i + 2}"
        _check_row_shape(r, where)
        protocol = r["protocol"].strip()
        if folder is not None and (folder / protocol).is_file():
            protocol = str(folder / protocol)
        kind = (r.get("kind") or "outcome").strip()
        readout = r["readout"].strip()
        needs_day = readout not in SUMMARY_FIELDS and not timing_kind(readout)
        fields = dict(
            id=(r.get("id") or f"{protocol}-{readout}-{r.get('day', '')}").strip(),
            kind=kind,
            protocol=protocol,
            perturbation=(r.get("perturbation") or "").strip(),
            readout=readout,
            relation=r["relation"].strip(),
            reference_protocol=(r.get("reference_protocol") or "").strip(),
            reference_perturbation=(r.get("reference_perturbation") or "").strip(),
            source=(r.get("source") or "").strip(),
            note=(r.get("evidence") or r.get("note") or r.get("expected") or "").strip(),
        )
        numbers = {
            "day": _number(r, "day", where, needs_day),
            "value": _number(r, "value", where, kind == "outcome"),
            "margin": _number(r, "margin", where, False, 0.0),
            "low": _number(r, "low", where, False),
            "high": _number(r, "high", where, False),
        }
        try:
            out.append(Target(**fields, **numbers))
        except ParameterError as err:  # Target's checks, said of the line instead of the target
            raise ParameterError(str(err).replace(f"target {fields['id']!r}", where, 1)) from None
    return out


def _check_kind_relation_readout(kind: object, relation: object, readout: object, where: str):
    """A target's kind, its relation (one of the kind's) and its readout (known)."""
    if kind not in ("outcome", "direction"):
        raise ParameterError(f"{where}: kind {kind!r} must be 'outcome' or 'direction'")
    ok = ("<", ">", "=") if kind == "direction" else (">=", "<=", "~", "in")
    if relation not in ok:
        raise ParameterError(f"{where}: relation {relation!r} must be one of {', '.join(ok)}")
    if not isinstance(readout, str):
        raise ParameterError(f"{where}: readout {readout!r} must be text, e.g. 'MN' or 'mn_yield'")
    _check_readout(readout, where)


def _check_target(t: Target, where: str) -> None:
    """Every field of a target as the evaluation reads it (rows of a CSV and targets built in code)."""
    _check_kind_relation_readout(t.kind, t.relation, t.readout, where)
    for col in ("day", "value", "margin", "low", "high"):
        if not is_real(getattr(t, col)):
            raise ParameterError(
                f"{where}, column {col!r}: {getattr(t, col)!r} must be a number (e.g. 14 or 0.5)"
            )
    if t.readout not in SUMMARY_FIELDS and not timing_kind(t.readout) and not math.isfinite(t.day):
        raise ParameterError(f"{where}, column 'day': {t.day!r} is not a finite day")
    if t.kind == "outcome" and not math.isfinite(t.value):
        raise ParameterError(f"{where}, column 'value': {t.value!r} must be a finite number")
    if t.relation == "in" and not (math.isfinite(t.low) and math.isfinite(t.high)):
        raise ParameterError(
            f"{where}: relation 'in' needs the columns low and high (the published value's "
            "interval), e.g. value 0.70, low 0.60, high 0.80"
        )
    if t.relation == "in" and not t.low <= t.high:
        raise ParameterError(
            f"{where}: relation 'in' needs the columns low and high with low <= high (the "
            f"published value's interval), not {t.low!r} and {t.high!r}"
        )
    if t.kind == "outcome" and t.is_fraction and "/" not in t.readout:  # a ratio may pass 1
        _check_fraction(t, where)


def _check_fraction(t: Target, where: str) -> None:
    """A fraction's value and interval lie in 0-1 (a percentage is the commonest slip)."""
    for col, v in (("value", t.value), ("low", t.low), ("high", t.high)):
        if math.isnan(v) or 0.0 <= v <= 1.0:
            continue
        fix = f"; if it is a percentage, write {v / 100:g}" if 1.0 < v <= 100.0 else ""
        raise ParameterError(
            f"{where}, column {col!r}: {v:g} is not a fraction for readout {t.readout!r} (a share "
            f"of the cells, from 0 to 1){fix}"
        )


def _package_csv(package: str, name: str) -> list[Target]:
    text = resources.files(package).joinpath(name).read_text("utf-8")
    return _parse(text, name, None)


def outcome_targets(known_misses: bool = True) -> list[Target]:
    """The project's calibration targets (``data/published_outcomes.csv``).

    Args:
        known_misses: Keep the rows the defaults miss for a reason the table gives (``known_miss``);
            the parameter ranges leave them out (a range around a default that misses a target is not
            defined by that target).
    """
    from ..data import published_outcomes

    targets = _package_csv("ipscsim.data", "published_outcomes.csv")
    rows = published_outcomes()
    return [
        Target(**{**t.__dict__, "id": f"O{i + 1}"})
        for i, t in enumerate(targets)
        if known_misses or not rows[i].get("known_miss")
    ]


def phenotype_targets() -> list[Target]:
    """The phenotypes T1-T8 in checkable form (``validation/data/phenotype_checks.csv``)."""
    return _package_csv("ipscsim.validation", "data/phenotype_checks.csv")


def fact_targets() -> list[Target]:
    """Further published facts (``validation/data/validation_facts.csv``)."""
    return _package_csv("ipscsim.validation", "data/validation_facts.csv")


def resolve_targets(
    targets: str | Path | Sequence[Target] | None, allow_empty: bool = False
) -> list[Target]:
    """The targets as a list: the shipped published outcomes for ``None``, a CSV path read.

    Args:
        targets: A list of targets, a CSV path, or ``None``.
        allow_empty: Accept an empty list (an evaluation of nothing; a fit needs targets).

    Raises:
        ParameterError: No target (unless allowed), or something that is not a target.
    """
    if targets is None:
        targets = outcome_targets()
    elif isinstance(targets, (str, os.PathLike)):
        targets = load_targets(targets)
    elif not isinstance(targets, (list, tuple)):
        raise ParameterError(
            f"targets: {targets!r} must be a CSV path, a list of Target or None (the published "
            "outcomes)"
        )
    targets = list(targets)
    if not targets and not allow_empty:
        raise ParameterError("targets: the list is empty; give at least one target")
    for i, t in enumerate(targets):
        if not isinstance(t, Target):
            raise ParameterError(
                f"targets[{i}]: {t!r} is not a Target; read a CSV with load_targets() or build "
                "Target(...) rows"
            )
    return targets
