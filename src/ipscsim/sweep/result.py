"""What a sweep returns: a row per run, with views for analysis and plots."""

from __future__ import annotations

import html
from typing import Any

from ..errors import ParameterError, suggest

__all__ = ["SweepResult"]


class SweepResult:
    """The rows of a sweep (one per run: inputs, readouts, status, message, seed, wall time).

    Attributes:
        sweep: The :class:`~ipscsim.sweep.Sweep` that produced it.
        meta: Its specification, how it ran, and the store's provenance.
    """

    def __init__(self, table, sweep, meta: dict[str, Any]):
        self._table = table
        self.sweep = sweep
        self.meta = meta

    def __len__(self) -> int:
        return len(self._table)

    @property
    def inputs(self) -> list[str]:
        """Names of the varied dimensions."""
        return list(self.sweep.space.names)

    @property
    def readouts(self) -> list[str]:
        """Names of the recorded readouts."""
        return [r.name for r in self.sweep.readouts]

    def to_dataframe(self):
        """A row per run, indexed by ``run_id`` (a copy)."""
        return self._table.copy()

    @property
    def ok(self):
        """The rows of the runs that succeeded."""
        return self._table[self._table["status"] == "ok"]

    @property
    def failed(self):
        """The rows of the runs that failed or were invalid, with their messages."""
        return self._table[self._table["status"] != "ok"]

    def _check_readout(self, readout: str) -> str:
        if readout not in self.readouts:
            raise ParameterError(
                f"readout {readout!r} was not recorded{suggest(readout, self.readouts)} (recorded: "
                f"{', '.join(self.readouts)})"
            )
        return readout

    def best(self, readout: str = "mn_fraction", maximize: bool = True):
        """The row of the best successful run for a readout."""
        if type(maximize).__name__ not in ("bool", "bool_"):  # numpy's too
            raise ParameterError(f"maximize: {maximize!r} must be True or False")
        self._check_readout(readout)
        ok = self.ok.dropna(subset=[readout])
        if ok.empty:
            raise ParameterError(f"no successful run has a value for {readout!r}")
        i = ok[readout].idxmax() if maximize else ok[readout].idxmin()
        return ok.loc[i]

    def to_xarray(self):
        """The readouts on the grid, as an :class:`xarray.Dataset` with one dimension per input.

        Raises:
            ParameterError: for a design that is not a complete grid.
            ImportError: if xarray is not installed (``pip install xarray``).
        """
        try:
            import xarray as xr
        except ImportError as exc:  # pragma: no cover - xarray is in the test extra
            raise ImportError("to_xarray needs xarray: pip install xarray") from exc
        if self.sweep.design != "grid":
            raise ParameterError(
                f"to_xarray needs a grid design, not {self.sweep.design!r}; use to_dataframe()"
            )
        df = self._table.reset_index().set_index(self.inputs)
        numeric = [c for c in [*self.readouts, "wall_time_s"] if c in df.columns]
        ds = xr.Dataset.from_dataframe(df[[*numeric, "status"]])
        ds.attrs["protocol"] = self.sweep.protocol.name
        return ds

    def plot(self, readout: str = "mn_fraction", ax: Any = None):
        """Heatmap (two inputs), line with spread (one input) or parallel coordinates (more)."""
        from ..plot.sweep import plot_sweep

        return plot_sweep(self, self._check_readout(readout), ax=ax)

    def __repr__(self) -> str:
        n_ok = int((self._table["status"] == "ok").sum()) if len(self._table) else 0
        return (
            f"SweepResult({self.sweep.protocol.name!r}: {len(self)} runs, {n_ok} ok, inputs "
            f"{self.inputs})"
        )

    def _repr_html_(self) -> str:
        e = html.escape
        df = self._table
        ok = self.ok
        n_ok = len(ok)
        inputs = ", ".join(
            f"{e(n)} ({df[n].nunique()} values, {df[n].min():.3g}-{df[n].max():.3g})"
            if n in df.columns and len(df)
            else e(n)
            for n in self.inputs
        )
        rows = []
        for r in self.readouts:
            if r not in ok.columns or ok[r].dropna().empty:
                continue
            v = ok[r].dropna()
            best = ok.loc[v.idxmax(), self.inputs]
            at = ", ".join(f"{e(k)}={x:.3g}" for k, x in best.items())
            rows.append(
                f"<tr><td>{e(r)}</td><td>{v.min():.4g}</td><td>{v.median():.4g}</td>"
                f"<td>{v.max():.4g}</td><td>{at}</td></tr>"
            )
        table = (
            "<table><thead><tr><th>readout</th><th>min</th><th>median</th><th>max</th>"
            f"<th>largest at</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows
            else ""
        )
        failed = ""
        if len(self.failed):
            first = str(self.failed["message"].iloc[0])[:200]
            failed = f"<br>{len(self.failed)} failed; first: <code>{e(first)}</code>"
        return (
            f"<div><b>ipscsim SweepResult</b> {e(self.sweep.protocol.name)}: {len(df)} runs "
            f"({n_ok} ok), design {e(str(self.sweep.design))}<br>inputs: {inputs}{failed}{table}"
            "</div>"
        )
