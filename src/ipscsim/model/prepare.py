"""A run prepared for an engine: a protocol and parameters compiled to arrays, in one place.

:func:`prepare_run` is the one preparation every path shares (``simulate``, ``simulate_batch``,
sweeps, validation, calibration, SBML export, benchmarks): it resolves the protocol and the
parameters, applies a cell line, compiles the protocol for the genotype, builds the cohorts' initial
state and the days to record. Engines take :class:`PreparedRun` objects and return their outputs;
nothing downstream rebuilds one by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import DAY_RESOLUTION, ExtrapolationWarning, ParameterError, is_real, warn
from ..protocols import Protocol
from ..protocols.delivery import delivery_groups
from ..protocols.presets import as_protocol
from .cohorts import DEFAULT_COHORTS, cohort_nodes, initial_state
from .inputs import CompiledProtocol, compile_protocol
from .lines import apply_line
from .parameters import genotype_deprivation, genotype_hazard, resolve_params

__all__ = ["DEFAULT_RECORD_EVERY", "PreparedRun", "prepare_run", "record_days"]

#: Days between records unless asked otherwise.
DEFAULT_RECORD_EVERY = 0.25
#: Records one run may ask for (a guard against a mistyped spacing).
MAX_RECORDS = 1_000_000


def record_days(days: float, every: float, extra: Sequence[float] = ()) -> np.ndarray:
    """Recording days: ``0, every, 2 every, ...`` up to ``days`` (always included), plus ``extra``.

    Raises:
        ParameterError: for a spacing that is not a positive number, or that asks for more than a
            million records, or an extra day outside ``[0, days]``.
    """
    if not (is_real(every) and every > 0 and math.isfinite(every)):
        raise ParameterError(f"record_every: {every!r} must be a number of days > 0, e.g. 0.25")
    if days / every > MAX_RECORDS:
        raise ParameterError(
            f"record_every: {every!r} records more than a million days; record less often"
        )
    n = math.floor(days / every + 1e-9)
    rec = np.arange(n + 1) * float(every)
    if days - rec[-1] > 1e-9:
        rec = np.append(rec, days)
    more = []
    for d in extra:
        if d == days:  # the last day is always recorded
            continue
        if not (is_real(d) and 0 <= float(d) <= days + 1e-9):
            raise ParameterError(
                f"record days: day {d!r} is outside the run (0 to {days:g}); give days within it"
            )
        more.append(min(float(d), days))
    return np.union1d(rec, more) if more else rec


@dataclass(frozen=True)
class PreparedRun:
    """One run, ready for an engine.

    Attributes:
        protocol: The protocol.
        params: The parameter array (cell line applied).
        compiled: The protocol compiled to segment arrays.
        y0: Initial state of the ODE engine (cohorts and globals).
        record_days: Days at which the engine records.
        genotype: The MN genotype.
        line: The cell line (its number), or ``None``.
        n_cohorts: Heterogeneity cohorts the state holds.
        snapshot_days: Days at which the agent-based engine keeps every cell (the last day always).
        record_every: The spacing of the regular records (days).
    """

    protocol: Protocol
    params: np.ndarray
    compiled: CompiledProtocol
    y0: np.ndarray
    record_days: np.ndarray
    genotype: str = "control"
    line: Any = None
    n_cohorts: int = DEFAULT_COHORTS
    snapshot_days: tuple[float, ...] = field(default=())
    record_every: float = DEFAULT_RECORD_EVERY

    @property
    def days(self) -> float:
        """The last simulated day."""
        return float(self.compiled.t[-1])

    def recording(self, extra: Sequence[float]) -> PreparedRun:
        """The same run, recording also on ``extra`` days (those within the run)."""
        more = [float(d) for d in extra if d <= self.days + 1e-9]
        if not more:
            return self
        return replace(self, record_days=np.union1d(self.record_days, more))


def prepare_run(
    protocol: Any,
    params: Any = None,
    days: float | None = None,
    genotype: str = "control",
    cohorts: int = DEFAULT_COHORTS,
    record_every: float = DEFAULT_RECORD_EVERY,
    line: Any = None,
    *,
    extra_days: Sequence[float] = (),
    snapshots: Sequence[float] = (),
) -> PreparedRun:
    """Validate and compile one run.

    Args:
        protocol: A Protocol, preset name, file path or dict.
        params: Parameter overrides (see :func:`~ipscsim.model.parameters.resolve_params`).
        days: Days to simulate (default: the protocol's).
        genotype: The MN genotype.
        cohorts: Heterogeneity cohorts.
        record_every: Days between records.
        line: A cell line (number or :class:`~ipscsim.model.lines.CellLine`).
        extra_days: More days to record.
        snapshots: Days at which an agent-based run keeps every cell (recorded too).

    Raises:
        ProtocolError: for an invalid protocol. ParameterError: for invalid parameters or days.
    """
    prot = as_protocol(protocol)
    p = apply_line(resolve_params(params), line)
    cp = compile_protocol(prot, days, genotype_hazard(genotype), genotype_deprivation(genotype))
    end = float(cp.t[-1])
    if end > prot.days + DAY_RESOLUTION:
        _warn_past_end(prot, end)
    _warn_culture(prot)
    snaps = tuple(sorted({end, *(_snapshot_day(d, end) for d in snapshots)}))
    rec = record_days(end, record_every, (*extra_days, *snaps))
    y0 = initial_state(cohort_nodes(cohorts), cp.suspension, delivery_groups(prot))
    number = getattr(line, "number", line)
    return PreparedRun(
        prot, p, cp, y0, rec, genotype, number, int(cohorts), snaps, float(record_every)
    )


def _warn_past_end(prot: Any, end: float) -> None:
    warn(
        f"days: {prot.name!r} ends on day {prot.days:g}; simulating to day {end:g} goes past what it "
        "(and the model's validation) covers. The extra days run in the protocol's basal medium at its "
        "feeding rhythm, without its steps' compounds: neurons lose their neurotrophic support and "
        "die off (docs/model.md, section 5). To model a real extension, add its steps "
        "(protocol.with_days(...).with_step(...), e.g. the neurotrophic factors you keep adding).",
        ExtrapolationWarning,
    )


#: Seeding densities above this (cells/cm^2) exceed a confluent hPSC monolayer (about 100 um^2 a cell).
MAX_DENSITY = 1e6
#: Medium depths (ml per cm^2 of culture surface) outside this span are no culture vessel's.
MEDIUM_DEPTH = (0.02, 2.0)


def _warn_culture(prot: Any) -> None:
    """Say when a protocol's culture numbers lie outside any real culture (usually a unit slip)."""
    if prot.seeding_density > MAX_DENSITY:
        warn(
            f"seeding_density: {prot.seeding_density:g} cells/cm^2 is more than a confluent hPSC "
            f"monolayer holds (about {MAX_DENSITY:g} at 100 um^2 a cell); the presets seed 2e4-1e5. "
            "Was it cells per well? (cells per well / well_area = cells/cm^2)",
            ExtrapolationWarning,
        )
    for o in prot.operations:
        if o.density is not None and o.density > MAX_DENSITY:
            warn(
                f"operations: the {o.kind} on day {o.day:g} seeds {o.density:g} cells/cm^2, more "
                f"than a confluent monolayer holds (about {MAX_DENSITY:g}); was it cells per well?",
                ExtrapolationWarning,
            )
    if prot.media_changes is None and (prot.media_change_every or 1.0) > prot.days:
        warn(
            f"media_change_every: {prot.media_change_every:g} days on a {prot.days:g}-day protocol "
            "means the medium is never changed (only the steps' own edges feed it)",
            ExtrapolationWarning,
        )
    depth = prot.medium_volume / prot.well_area
    if not MEDIUM_DEPTH[0] <= depth <= MEDIUM_DEPTH[1]:
        warn(
            f"medium_volume: {prot.medium_volume:g} ml on {prot.well_area:g} cm^2 is {depth:.3g} ml "
            f"per cm^2, outside any culture vessel's {MEDIUM_DEPTH[0]:g}-{MEDIUM_DEPTH[1]:g} (a 6-well "
            "plate: 2 ml on 9.5 cm^2); the medium's volume sets how fast the cells deplete and "
            "condition it",
            ExtrapolationWarning,
        )


def _snapshot_day(d: Any, end: float) -> float:
    if not (is_real(d) and 0 <= float(d) <= end):
        raise ParameterError(
            f"snapshots: day {d!r} is outside the run (0 to {end:g}); give days within it"
        )
    return float(d)
