"""Predictions with uncertainty: one protocol run over parameter sets drawn from the posterior.

``ips.simulate(p, uncertainty=200)`` runs the protocol with the default parameters (the point
prediction every accessor of :class:`~ipscsim.results.Result` shows) and with 200 parameter sets: the
calibrated parameters drawn jointly from the shipped posterior sample (the Bayesian calibration to
the literature table, :mod:`ipscsim.validation.bayes`), the others drawn (Latin hypercube) over the
plausible ranges of ``model/data/parameters.csv``: the box in which joint draws still meet the
published outcomes (see :mod:`ipscsim.validation.ranges`). ``source`` says which. The draws' readouts
are kept here, not their raw states, so an ensemble of a few hundred runs stays small.

Parameters given to ``simulate`` as values (a dict, a file, an array) keep those values in every draw;
a :class:`~ipscsim.ParameterSet` is drawn over its own bounds or posterior
(``distributions={name: "fixed"}`` holds one; ``ParameterSet(posterior=fit.posterior)`` uses a
calibration of one's own). The draws are seeded by ``simulate``'s ``seed`` (default 0), so an
ensemble is reproducible.

>>> r = ips.simulate("maury2015", uncertainty=100)        # doctest: +SKIP
>>> r.summary(level=0.9)                                 # doctest: +SKIP
>>> low, high = r.uncertainty.interval("markers", 0.9)    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, check_names, is_real
from ..model.layout import PARAM_NAMES
from ..model.readouts import (
    CELL_TYPES,
    MARKERS,
    SUMMARY_FIELDS,
    TIMING_READOUTS,
    select_share,
    timing_day,
)

__all__ = ["KINDS", "Ensemble"]

#: What an ensemble keeps per draw, and the columns of each.
KINDS: dict[str, tuple[str, ...]] = {
    "fractions": tuple(CELL_TYPES),
    "markers": tuple(MARKERS),
    "counts": (*CELL_TYPES, "total"),
}


@dataclass(frozen=True)
class Ensemble:
    """Readouts of one protocol over drawn parameter sets.

    Attributes:
        days: Recorded days (as the point result's).
        fractions: ``(n, n_days, n_cell_types)`` cell-type fractions of each draw.
        markers: ``(n, n_days, n_markers)`` marker-positive fractions.
        counts: ``(n, n_days, n_cell_types + 1)`` cells per well (the last column the total).
        summaries: ``(n, n_fields)`` the summary fields (:data:`SUMMARY_FIELDS`) of each draw.
        draws: ``(n, n_params)`` the parameter arrays of the draws that finished.
        varied: Names of the parameters that were drawn (the others kept their values).
        failed: Draws the integrator could not finish (left out of every statistic).
        source: Where the draws come from (for provenance).
    """

    days: np.ndarray
    fractions: np.ndarray
    markers: np.ndarray
    counts: np.ndarray
    summaries: np.ndarray
    draws: np.ndarray
    varied: tuple[str, ...]
    failed: int = 0
    source: str = "plausible ranges (model/data/parameters.csv lower-upper), Latin hypercube"

    @classmethod
    def from_results(
        cls, results: list[Any], varied: tuple[str, ...], failed: int = 0, source: str | None = None
    ) -> Ensemble:
        """Keep the readouts (not the raw states) of finished :class:`Result` objects."""
        if not results:
            raise ParameterError(
                "uncertainty: no draw finished; the protocol may be outside what the model can "
                "integrate (try uncertainty=None to see the error of the default run)"
            )
        return cls(
            days=np.asarray(results[0].days, dtype=float),
            fractions=np.stack([r.fractions.to_numpy() for r in results]),
            markers=np.stack([r.markers.to_numpy() for r in results]),
            counts=np.stack([r.counts.to_numpy() for r in results]),
            summaries=np.stack(
                [r.summary()[list(SUMMARY_FIELDS)].to_numpy(dtype=float) for r in results]
            ),
            draws=np.stack([np.asarray(r.params, dtype=float) for r in results]),
            varied=tuple(varied),
            failed=int(failed),
            **({"source": source} if source else {}),
        )

    @property
    def n(self) -> int:
        """Number of draws that finished."""
        return int(self.draws.shape[0])

    def _kind(self, kind: str) -> np.ndarray:
        if kind not in KINDS:
            raise ParameterError(f"kind: {kind!r} must be one of {', '.join(KINDS)}")
        return getattr(self, kind)

    def quantile(self, q: float, kind: str = "fractions"):
        """The ``q`` quantile over draws of each readout on each day, as a DataFrame (index ``day``).

        Args:
            q: A probability in [0, 1] (0.5: the median).
            kind: ``"fractions"``, ``"markers"`` or ``"counts"``.
        """
        import pandas as pd

        if not (is_real(q) and 0.0 <= float(q) <= 1.0):  # 'median', None, [0.05, 0.95], NaN
            raise ParameterError(
                f"q: {q!r} must be one probability in [0, 1], e.g. 0.5 (interval() gives two)"
            )
        data = np.quantile(self._kind(kind), float(q), axis=0)
        return pd.DataFrame(data, index=pd.Index(self.days, name="day"), columns=list(KINDS[kind]))

    def interval(self, kind: str = "fractions", level: float = 0.9):
        """The central ``level`` interval of each readout: ``(lower, upper)`` DataFrames."""
        lo, hi = _tails(level)
        return self.quantile(lo, kind), self.quantile(hi, kind)

    def summary(self, level: float = 0.9):
        """Median and central ``level`` interval of every summary field, as a DataFrame.

        Fields that are undefined in some draws (a day that never comes, NaN) are summarised over the
        draws where they are defined; ``defined`` gives that share.
        """
        import pandas as pd

        lo, hi = _tails(level)
        s = self.summaries
        ok = np.isfinite(s)
        rows = {}
        for j, name in enumerate(SUMMARY_FIELDS):
            col = s[ok[:, j], j]
            q = np.quantile(col, [0.5, lo, hi]) if col.size else [np.nan] * 3
            rows[name] = (q[0], q[1], q[2], col.size / max(self.n, 1))
        return pd.DataFrame.from_dict(
            rows, orient="index", columns=["median", "lower", "upper", "defined"]
        )

    def share(self, name: str) -> np.ndarray:
        """``(n, n_days)`` share of live cells of a marker, cell type or group in each draw."""
        if not isinstance(name, str):
            raise ParameterError(
                f"name: {name!r} must be one marker, cell type or group, e.g. 'MN'"
            )
        try:
            return select_share(name, self.fractions, self.markers)
        except ValueError as e:
            raise ParameterError(f"shares: {e}") from None

    def timing(self, shares: Any, level: float = 0.9):
        """Median and central ``level`` interval of each share's onset and peak day over the draws.

        Days that never come (a share that stays below the onset level) are left out of the
        quantiles; ``<kind>_defined`` gives the share of draws where the day exists.

        Args:
            shares: Markers, cell types or groups.
            level: The interval's probability (0.9: from the 5th to the 95th percentile).

        Returns:
            A DataFrame indexed by share with ``<kind>_median``, ``<kind>_lower``,
            ``<kind>_upper`` and ``<kind>_defined`` for ``onset`` and ``peak``.
        """
        import pandas as pd

        lo, hi = _tails(level)
        rows = {}
        for name in check_names("shares", shares, "markers, cell types or groups"):
            row = {}
            for kind in TIMING_READOUTS:  # timing_day reads an undefined share (NaN) as none
                d = np.array([timing_day(kind, self.days, s) for s in self.share(name)])
                d = d[np.isfinite(d)]
                q = np.quantile(d, [0.5, lo, hi]) if d.size else [np.nan] * 3
                row |= {f"{kind}_median": q[0], f"{kind}_lower": q[1], f"{kind}_upper": q[2]}
                row[f"{kind}_defined"] = d.size / max(self.n, 1)
            rows[name] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    def parameters(self):
        """The drawn values of the varied parameters, one row per finished draw."""
        import pandas as pd

        idx = [PARAM_NAMES.index(name) for name in self.varied]
        return pd.DataFrame(self.draws[:, idx], columns=list(self.varied))


def _tails(level: float) -> tuple[float, float]:
    if not (is_real(level) and 0.0 < float(level) < 1.0):  # '90%' too
        raise ParameterError(f"level: {level!r} must be in (0, 1), e.g. 0.9 for a 90% interval")
    a = (1.0 - float(level)) / 2.0
    return a, 1.0 - a
