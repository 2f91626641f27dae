"""The spatial part of an agent-based result: snapshots of every cell, fields, the step log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError, is_real
from ..model.readouts import GENE_COLUMNS, cells_frame

__all__ = ["GENE_COLUMNS", "SpatialRecord"]


@dataclass
class SpatialRecord:
    """Snapshots (day to per-cell arrays), fields (day to named arrays), the step log and the seed."""

    snapshots: dict[float, dict[str, np.ndarray]]
    fields: dict[float, dict[str, Any]]
    step_log: np.ndarray
    seed: int
    stats: dict[str, Any] = field(default_factory=dict)

    def _day(self, day: float | None, where: dict, what: str = "snapshots") -> float:
        if not where:
            if what == "fields":
                raise ParameterError(
                    "day: this run kept no fields (ips.ABM(fields=True) keeps them when the "
                    "medium holds a compound with a profile, or on an adherent patch)"
                )
            raise ParameterError(
                "day: this run kept no snapshots (simulate(..., record=ips.Record(snapshots=[...])))"
            )
        days = sorted(where)
        if day is None:
            return days[-1]
        if not is_real(day):
            raise ParameterError(f"day: {day!r} must be a number, one of the snapshot days")
        near = min(days, key=lambda d: abs(d - float(day)))
        if not abs(near - float(day)) <= 1e-6:  # NaN too
            raise ParameterError(
                f"day: {day!r} has no snapshot; snapshots were kept at {', '.join(f'{d:g}' for d in days)} "
                "(ask for more with simulate(..., record=ips.Record(snapshots=[...])))"
            )
        return near

    def snapshot(self, day: float | None, params: np.ndarray):
        """Every cell at ``day`` as a DataFrame (see :meth:`ipscsim.results.Result.snapshot`)."""
        d = self._day(day, self.snapshots)
        return cells_frame(self.snapshots[d], d, params, self.seed)

    def field(self, name: str, day: float | None, aggregate: int | None):
        """A field at ``day`` (see :meth:`ipscsim.results.Result.field`)."""
        import pandas as pd

        d = self._day(day, self.fields, "fields")
        fields = self.fields[d]
        if (
            name in fields
            and isinstance(fields[name], np.ndarray)
            and fields[name].ndim == 2
            and "box" in fields
        ):
            grid = fields[name]
            ny, nx = grid.shape
            box = fields["box"]
            x = (np.arange(nx) + 0.5) * box[0] / nx
            y = (np.arange(ny) + 0.5) * box[1] / ny
            df = pd.DataFrame(grid, index=pd.Index(y, name="y"), columns=pd.Index(x, name="x"))
            df.attrs.update({"day": d, "name": name})
            return df
        key = f"profile:{name}"
        if key in fields:
            prof = fields[key]
            width = float(fields["shell_width"])
            radius = fields["aggregate_radius"]
            n_shells = prof.shape[1]
            r = (np.arange(n_shells) + 0.5) * width
            groups = range(prof.shape[0]) if aggregate is None else [int(aggregate)]
            data = {}
            for g in groups:
                if not 0 <= g < prof.shape[0]:
                    raise ParameterError(
                        f"aggregate: {aggregate!r} is not an aggregate of this run (0 to {prof.shape[0] - 1})"
                    )
                col = prof[g].copy()
                col[r > radius[g]] = np.nan
                data[g] = col
            df = pd.DataFrame(data, index=pd.Index(r, name="radius_um"))
            keep = df.notna().any(axis=1)
            df = df[keep]
            df.columns.name = "aggregate"
            df.attrs.update({"day": d, "name": name, "unit": "share of bulk"})
            return df
        known = sorted(
            [
                k
                for k, v in fields.items()
                if isinstance(v, np.ndarray) and v.ndim == 2 and not k.startswith("profile:")
            ]
            + [k.split(":", 1)[1] for k in fields if k.startswith("profile:")]
        )
        raise ParameterError(
            f"field: {name!r} was not kept on day {d:g}; fields there: {', '.join(known) or 'none'}"
        )

    def step_frame(self):
        """The step log as a DataFrame."""
        import pandas as pd

        df = pd.DataFrame(
            self.step_log,
            columns=[
                "day",
                "live_before",
                "births",
                "deaths",
                "new_neurons",
                "live_after",
                "operation",
            ],
        )
        ops = {0: "step", 1: "replate", 2: "aggregate", 3: "plate"}
        df["operation"] = df["operation"].astype(int).map(ops)
        for c in ("live_before", "births", "deaths", "new_neurons", "live_after"):
            df[c] = df[c].astype(np.int64)
        return df
