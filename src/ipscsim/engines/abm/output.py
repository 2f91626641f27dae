"""What an agent-based run returns: :class:`AbmOutput`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["AbmOutput"]


@dataclass
class AbmOutput:
    """What a finished :class:`AbmRun` returns.

    Attributes:
        days: Recorded days.
        types: Cells of each type per recorded day (units of the cells seeded at day 0).
        markers: Marker-positive cells per recorded day (same units).
        globals: The ODE engine's global state per recorded day (neuron classes, stress, lineage,
            cumulative divisions, deaths and replating changes).
        snapshots: Day to a dict of per-cell arrays.
        fields: Day to a dict of fields.
        step_log: One row per step or operation: day, live before, births, deaths, new neurons, live
            after, operation code.
        stats: Counters: steps, largest population, wall time, memory per cell.
        stopped: Why a tracker ended the run early (empty if it ran to its end).
    """

    days: np.ndarray
    types: np.ndarray
    markers: np.ndarray
    globals: np.ndarray
    snapshots: dict[float, dict[str, np.ndarray]] = field(default_factory=dict)
    fields: dict[float, dict[str, Any]] = field(default_factory=dict)
    step_log: np.ndarray = field(default_factory=lambda: np.empty((0, 7)))
    stats: dict[str, Any] = field(default_factory=dict)
    stopped: str = ""
