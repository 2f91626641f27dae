"""Simulation results: time courses as DataFrames, a summary, provenance, plots and files."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .._paths import output_path
from ..errors import ParameterError, check_names, is_real
from ..model import layout as L
from ..model.readouts import (
    CELL_TYPES,
    MARKERS,
    STAGE_MARKERS,
    SUMMARY_FIELDS,
    floor_readouts,
    select_share,
    summary_values,
    timing_day,
)

__all__ = ["Result"]

#: The endings ``to_csv`` writes (pandas compresses by the last one).
CSV_ENDINGS = (".csv", ".txt", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip")


@dataclass
class Result:
    """What a simulation returns: time courses of cell types, markers and counts, with provenance.

    Attributes:
        days: Recorded days.
        records: Raw model states at those days (``(n_days, n_state)``), for advanced use; the
            agent-based engine records the global part only (neuron classes, stress, lineage,
            cumulative divisions, deaths and replating changes; ``n_cohorts`` is 0).
        params: The parameter array used.
        n_cohorts: Heterogeneity cohorts (ODE engine; 0 for the agent-based engine).
        seeded: Cells per well at day 0.
        meta: Provenance: ipscsim version, protocol, parameters, seed, engine, genotype, solver
            statistics, wall time.
        counts_by_type: Cells of each type per day, in units of the cells seeded (agent-based
            engine; the ODE engine computes them from ``records``).
        counts_by_marker: Marker-positive cells per day, same units (agent-based engine).
        spatial: Snapshots, fields and the step log of an agent-based run.
        uncertainty: With ``simulate(..., uncertainty=n)``: the readouts of ``n`` runs over parameter
            sets drawn from the posterior (:class:`~ipscsim.results.ensemble.Ensemble`); the
            accessors above stay the point prediction (default parameters).
    """

    days: np.ndarray
    records: np.ndarray
    params: np.ndarray
    n_cohorts: int
    seeded: float
    meta: dict[str, Any] = field(default_factory=dict)
    counts_by_type: np.ndarray | None = None
    counts_by_marker: np.ndarray | None = None
    spatial: Any = None
    uncertainty: Any = None

    # ------------------------------------------------------------------ tables
    @cached_property
    def _readouts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.counts_by_type is not None and self.counts_by_marker is not None:
            counts, markers = self.counts_by_type, self.counts_by_marker
        else:
            from ..engines.readouts import readout_counts

            nil = 1.0 if self.meta.get("protocol", {}).get("cassette") == "NIL" else 0.0
            counts, markers = readout_counts(self.records, self.params, self.n_cohorts, nil)
        # less than one cell per well is no cell (the live total keeps them: see ``counts``)
        return (*floor_readouts(counts, markers, self.seeded), counts.sum(axis=1))

    @cached_property
    def _counts(self) -> np.ndarray:
        return self._readouts[0]

    @cached_property
    def _markers(self) -> np.ndarray:
        return self._readouts[1]

    @cached_property
    def _total(self) -> np.ndarray:
        return self._counts.sum(axis=1)

    def _frame(self, data: np.ndarray, columns) -> Any:
        import pandas as pd

        return pd.DataFrame(data, index=pd.Index(self.days, name="day"), columns=list(columns))

    @cached_property
    def fractions(self):
        """Fraction of live cells of each cell type (rows sum to 1); index ``day``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._frame(self._counts / self._total[:, None], CELL_TYPES)

    @cached_property
    def markers(self):
        """Fraction of live cells positive for each marker, in [0, 1]; index ``day``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.minimum(self._markers / self._total[:, None], 1.0)  # rounding: at most all
        return self._frame(m, MARKERS)

    @cached_property
    def counts(self):
        """Cells per well of each type, plus ``total``; index ``day``.

        A type with less than one cell per well is reported as 0 cells (not as 1e-80 of a cell);
        ``total`` is every live cell, so it can exceed the sum of the types by those fractions of a
        cell.
        """
        df = self._frame(self._counts * self.seeded, CELL_TYPES)
        df["total"] = self._readouts[2] * self.seeded
        return df

    def snapshot_state(self, day: float):
        """The raw model state recorded nearest to ``day`` (a Series indexed by state names)."""
        import pandas as pd

        first, last = float(self.days[0]), float(self.days[-1])
        if not is_real(day) or not first - 1e-9 <= float(day) <= last + 1e-9:
            raise ParameterError(
                f"day: {day!r} must be a day of the run, from {first:g} to {last:g} (the recorded "
                "day nearest to it is used)"
            )
        i = int(np.argmin(np.abs(self.days - float(day))))
        per = [*L.GENES, *L.COHORT_STATES]
        names = [f"{g}[{k}]" for k in range(self.n_cohorts) for g in per] + list(L.GLOBALS)
        return pd.Series(self.records[i], index=names, name=float(self.days[i]))

    # ------------------------------------------------------------------ agent-based views
    def _spatial(self):
        if self.spatial is None:
            from ..errors import SimulationError

            raise SimulationError(
                "this result has no cells in space: snapshots and fields come from "
                "simulate(..., engine='abm')"
            )
        return self.spatial

    def snapshot(self, day: float | None = None):
        """Every cell at a snapshot day (agent-based engine): a DataFrame, one row per cell.

        Columns: ``x``, ``y`` (and ``z`` in aggregates) in um, ``identity`` (the cell type it is
        scored as, through the same gates as the population readouts), ``kind`` (progenitor or
        neuron class), ``aggregate``, ``born`` (day), the gene levels (``OCT4``, ``PAX6``, ``SOX1``,
        ``HOX``, ``OLIG2``, ``NKX2.2``, ``IRX3``, ``NKX6.1``, ``NGN2``, ``HES``, ...), ``sensitivity``
        and ``tempo`` (heterogeneity), ``notch_input`` and ``cell_id``.

        Args:
            day: A snapshot day (``record=ips.Record(snapshots=[...])``; the last day is always
                kept); default the last.
        """
        return self._spatial().snapshot(day, self.params)

    def to_anndata(self, days: Any = None):
        """The snapshots' cells as AnnData (cells x genes; identity, day and position in ``obs``).

        See :func:`ipscsim.results.singlecell.to_anndata` (needs the ``singlecell`` extra).
        """
        from .singlecell import to_anndata

        return to_anndata(self, days)

    @property
    def snapshot_days(self) -> list[float]:
        """Days with snapshots (agent-based engine)."""
        return sorted(self._spatial().snapshots)

    def field(self, name: str, day: float | None = None, aggregate: int | None = None):
        """A field at a snapshot day (agent-based engine).

        On an adherent patch: ``"nodal"`` (endogenous Nodal/Activin, EC50 units), ``"bmp_share"``
        (share of cells making BMP) and ``"density"`` (cells per cm²), as a DataFrame indexed by ``y``
        with ``x`` columns (um). In aggregates: a compound that cells take up (e.g. ``"SHH"``), its
        concentration relative to the bulk medium on spherical shells, as a DataFrame indexed by
        radius (um) with one column per aggregate (or the one asked for).
        """
        return self._spatial().field(name, day, aggregate)

    def plot_cells(self, day: float | None = None, color: str = "identity", **kwargs):
        """Cells at a snapshot day (agent-based engine); see :func:`ipscsim.plot.spatial.plot_cells`."""
        from ..plot.spatial import plot_cells

        return plot_cells(self, day, color, **kwargs)

    def plot_field(self, name: str, day: float | None = None, **kwargs):
        """A field at a snapshot day (agent-based engine); see :func:`ipscsim.plot.spatial.plot_field`."""
        from ..plot.spatial import plot_field

        return plot_field(self, name, day, **kwargs)

    def animate_cells(self, days: Any = None, color: str = "identity", **kwargs: Any):
        """Cells over the snapshot days as an animation (agent-based engine).

        See :func:`ipscsim.plot.animation.animate_cells`; returns the ``FuncAnimation``.
        """
        from ..plot.animation import animate_cells

        return animate_cells(self, days, color, **kwargs)

    @property
    def events(self):
        """The agent-based step log: one row per step or operation.

        Columns: day, live cells before and after, births, deaths, new neurons, operation.
        """
        return self._spatial().step_frame()

    # ------------------------------------------------------------------ secreted factors
    def culture_medium(self):
        """The well's medium: factor concentrations and books (:mod:`ipscsim.model.secretion`)."""
        cached = self.__dict__.get("_medium")
        if cached is None:
            from ..model.secretion import culture_medium

            cached = culture_medium(self)
            object.__setattr__(self, "_medium", cached)
        return cached

    @property
    def factors(self):
        """Factor concentrations in the well's medium: index ``day``, columns ``(factor, unit)``.

        Units ``pM`` and ``ng/ml``; a factor added by the protocol plus what the cells secrete, less decay,
        uptake and media changes (well mixed; :func:`ipscsim.model.secretion.culture_medium`).
        """
        return self.culture_medium().frame()

    # ------------------------------------------------------------------ summary
    def summary(self, level: float | None = None):
        """Key outcomes of the run (see :data:`SUMMARY_FIELDS`), as a Series.

        Args:
            level: With an ensemble (``simulate(..., uncertainty=n)``), a DataFrame instead: the point
                value (``value``, default parameters), the median over draws and the central ``level``
                interval (``lower``, ``upper``; e.g. 0.9) of every field.
        """
        import pandas as pd

        if level is not None:
            if self.uncertainty is None:
                raise ParameterError(
                    "level: this result has no ensemble; run simulate(..., uncertainty=200) for "
                    "intervals"
                )
            table = self.uncertainty.summary(level)
            table.insert(0, "value", self.summary())
            return table

        values = summary_values(
            self.days,
            self._counts,
            self._markers,
            float(self.records[-1, self.records.shape[1] - L.N_GLOBALS + L.X_LINEAGE]),
            self.seeded,
        )
        name = self.meta.get("protocol", {}).get("name", "run")
        return pd.Series(values, name=name)

    def stage_timing(self, shares: Any = STAGE_MARKERS, level: float | None = None):
        """When each stage marker appears and peaks in this run, as a DataFrame indexed by name.

        Args:
            shares: Markers, cell types or groups (default :data:`STAGE_MARKERS`: PAX6, SOX1,
                NKX6.1, OLIG2, ISL1, MNX1, CHAT).
            level: With an ensemble (``simulate(..., uncertainty=n)``), add the median and central
                ``level`` interval of each day over the draws
                (:meth:`~ipscsim.results.Ensemble.timing`).

        Returns:
            Columns ``onset`` (the first day the share reaches 0.10 of the live cells, interpolated
            between recorded days; NaN if it never does), ``peak`` (the day of its largest share),
            ``peak_share`` (that share) and ``rising`` (the peak is the run's last day: the share
            was still rising, so the peak lies beyond the run), for the run's own parameters; with
            ``level``, the ensemble's columns after them.
        """
        import pandas as pd

        shares = check_names("shares", shares, "markers, cell types or groups")
        if level is not None:
            if self.uncertainty is None:
                raise ParameterError(
                    "level: this result has no ensemble; run simulate(..., uncertainty=200) for "
                    "intervals"
                )
            return self.stage_timing(shares).join(self.uncertainty.timing(shares, level))

        rows = {}
        types, markers = self.fractions.to_numpy(), self.markers.to_numpy()
        for name in shares:
            try:
                share = select_share(name, types, markers)
            except ValueError as e:
                raise ParameterError(f"shares: {e}") from None
            share = np.nan_to_num(share)
            peak = timing_day("peak", self.days, share)
            rows[name] = {
                "onset": timing_day("onset", self.days, share),
                "peak": peak,
                "peak_share": float(share.max()),
                "rising": bool(peak == self.days[-1]),
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    # ------------------------------------------------------------------ display and files
    def plot(self, **kwargs):
        """Time courses (stacked cell types, markers) over the protocol timeline; returns the Figure.

        Keywords go to :func:`ipscsim.plot.timecourse.plot_result`: ``markers`` (which to draw),
        ``panels`` (any of ``"timeline"``, ``"fractions"``, ``"markers"``, ``"counts"``,
        ``"factors"``) and ``published`` (mark the protocol's published marker outcomes).
        """
        from ..plot.timecourse import plot_result

        return plot_result(self, **kwargs)

    @property
    def table(self):
        """One wide table: ``fraction.*``, ``marker.*`` and ``count.*`` columns, index ``day``.

        A property, like ``fractions`` and ``markers``; the old call ``r.table()`` still works for one
        release, with a ``DeprecationWarning``.
        """
        import pandas as pd

        from .frames import CallableFrame

        wide = pd.concat(
            [
                self.fractions.add_prefix("fraction."),
                self.markers.add_prefix("marker."),
                self.counts.add_prefix("count."),
            ],
            axis=1,
        )
        return CallableFrame(wide)

    def tidy(self):
        """The time courses as one long table (the tidy form pandas and seaborn expect).

        Columns ``day``, ``kind`` (``fraction``, ``marker`` or ``count``), ``name`` and ``value``: one
        row per readout per day.
        """
        import pandas as pd

        parts = []
        for kind, frame in (
            ("fraction", self.fractions),
            ("marker", self.markers),
            ("count", self.counts),
        ):
            long = frame.rename_axis(columns="name").stack().rename("value").reset_index()
            long.insert(1, "kind", kind)
            parts.append(long)
        return pd.concat(parts, ignore_index=True)

    def to_xarray(self):
        """The time courses as an :class:`xarray.Dataset` (needs xarray: ``pip install xarray``).

        Variables ``fractions`` (``day`` x ``cell_type``), ``markers`` (``day`` x ``marker``) and
        ``counts`` (``day`` x ``count``: the cell types and ``total``); :attr:`meta` as JSON in the
        attribute ``ipscsim``. With an ensemble, ``fractions_draws`` etc. add a ``draw`` dimension.
        """
        try:
            import xarray as xr
        except ImportError as exc:
            raise ImportError("to_xarray needs xarray: pip install xarray") from exc

        dims = {"fractions": "cell_type", "markers": "marker", "counts": "count"}
        data = {}
        for kind, dim in dims.items():
            frame = getattr(self, kind)
            data[kind] = xr.DataArray(
                frame.to_numpy(), dims=("day", dim), coords={"day": self.days, dim: list(frame)}
            )
            if self.uncertainty is not None:
                data[f"{kind}_draws"] = xr.DataArray(
                    getattr(self.uncertainty, kind),
                    dims=("draw", "day", dim),
                    coords={"day": self.days, dim: list(frame)},
                )
        return xr.Dataset(data, attrs={"ipscsim": json.dumps(self.meta, default=_json_default)})

    def to_parquet(self, path: str | Path) -> Path:
        """Write :meth:`table` to Parquet with :attr:`meta` (JSON) in the file's metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = output_path(path, "path", (".parquet", ".pq"), "run.parquet")
        tbl = pa.Table.from_pandas(self.table)
        md = dict(tbl.schema.metadata or {})
        md[b"ipscsim"] = json.dumps(self.meta, default=_json_default).encode()
        pq.write_table(tbl.replace_schema_metadata(md), path)
        return path

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`table` to a plain CSV and :attr:`meta` to a JSON sidecar; returns the CSV's path.

        The CSV has no comment lines, so ``pd.read_csv`` and Excel open it as it is (a name ending in
        ``.csv.gz``, ``.csv.bz2``, ``.csv.xz`` or ``.csv.zip`` is compressed); the provenance goes
        beside it, in ``<path>.meta.json`` (Parquet keeps it inside the file: :meth:`to_parquet`).
        """
        path = output_path(path, "path", CSV_ENDINGS, "run.csv")
        self.table.to_csv(path)
        sidecar = path.with_name(path.name + ".meta.json")
        sidecar.write_text(
            json.dumps(self.meta, default=_json_default, indent=1) + "\n", encoding="utf-8"
        )
        return path

    def __repr__(self) -> str:
        s = self.summary()
        band = ""
        if self.uncertainty is not None:
            t = self.uncertainty.summary(0.9)
            band = (
                f" [90% over {self.uncertainty.n} draws: MN {t.loc['mn_fraction', 'lower']:.2f}-"
                f"{t.loc['mn_fraction', 'upper']:.2f}, yield {t.loc['mn_yield', 'lower']:.2f}-"
                f"{t.loc['mn_yield', 'upper']:.2f}]"
            )
        return (
            f"Result({self.meta.get('protocol', {}).get('name', '?')!r}, engine="
            f"{self.meta.get('engine')!r}, days 0-{self.days[-1]:g}: MN {s['mn_fraction']:.2f}, "
            f"yield {s['mn_yield']:.2f} MN/input cell, OCT4+ {s['residual_pluripotent']:.2g}{band})"
        )

    def _repr_html_(self) -> str:
        from ..plot.html import svg_composition

        e = html.escape
        s = self.summary()
        m = self.meta
        rows = "".join(
            f"<tr><td>{e(k)}</td><td>{v:.4g}</td><td>{e(SUMMARY_FIELDS[k])}</td></tr>"
            for k, v in s.items()
        )
        last = self.fractions.iloc[-1]
        shown = ", ".join(
            f"{e(k)} {v:.2f}" for k, v in last.sort_values()[::-1].items() if v >= 0.01
        )
        about = [f"{m.get('engine')} engine", f"days 0-{self.days[-1]:g}"]
        about += [f"{k} {m[k]}" for k in ("genotype", "line", "seed") if m.get(k) is not None]
        about.append(f"ipscsim {m.get('version', '?')}")
        return (
            f"<div><b>ipscsim Result</b> {e(str(s.name))} ({e(', '.join(str(a) for a in about))})"
            f"<br>cell types on day {self.days[-1]:g}: {svg_composition(last.to_dict())}<br>"
            f"<small>{shown}</small>"
            "<table><thead><tr><th>readout</th><th>value</th><th>meaning</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
