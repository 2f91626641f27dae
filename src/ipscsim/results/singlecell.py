"""Agent-based snapshots as AnnData (cells x genes), for single-cell tools (scanpy, squidpy).

``X`` holds each cell's gene levels (the model's state variables of its gene network: OCT4, PAX6,
SOX1, OLIG2, NKX2.2, ...; levels in [0, 1], not counts); ``obs`` the cell's identity (scored through
the same gates as the population readouts), kind, aggregate, birth day, snapshot day, heterogeneity
(``sensitivity``, ``tempo``), Notch input and id; ``obsm["spatial"]`` its position in um (scanpy's
key); ``uns["ipscsim"]`` the run's provenance as JSON text (``json.loads`` reads it; h5ad files
keep it). Needs the optional ``anndata`` package (``pip install "ipscsim[singlecell]"``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["to_anndata"]

#: Snapshot columns that are cell annotations (``obs``), not gene levels; positions go to ``obsm``.
OBS_COLUMNS = ("identity", "kind", "aggregate", "born", "sensitivity", "tempo", "notch_input",
               "cell_id")  # fmt: skip
POSITION_COLUMNS = ("x", "y", "z")


def to_anndata(result: Any, days: Any = None) -> Any:
    """The cells of an agent-based result's snapshots as one AnnData (a ``day`` column in ``obs``).

    Args:
        result: A :class:`~ipscsim.results.Result` of the agent-based engine.
        days: Snapshot days to include (default: every snapshot day).

    Raises:
        ParameterError: for a day without a snapshot; ImportError naming the extra without anndata.
    """
    try:
        import anndata
    except ImportError:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "Result.to_anndata needs the anndata package: pip install 'ipscsim[singlecell]'"
        ) from None
    import pandas as pd

    available = result.snapshot_days
    days = available if days is None else [days] if np.isscalar(days) else list(days)
    if not days:
        raise ParameterError(f"days: an empty list; give snapshot days (these: {available})")
    for d in days:
        if not any(abs(float(d) - a) < 1e-9 for a in available):
            raise ParameterError(
                f"days: {d!r} has no snapshot (snapshot days: {available}); record it with "
                "record=ips.Record(snapshots=[...])"
            )
    frames = [result.snapshot(float(d)).assign(day=float(d)) for d in days]
    cells = pd.concat(frames, ignore_index=True)
    pos = [c for c in POSITION_COLUMNS if c in cells]
    genes = [c for c in cells.columns if c not in (*OBS_COLUMNS, *POSITION_COLUMNS, "day")]
    obs = cells[[c for c in (*OBS_COLUMNS, "day") if c in cells]].copy()
    obs.index = [f"d{day:g}_c{cid}" for day, cid in zip(obs["day"], obs["cell_id"], strict=True)]
    adata = anndata.AnnData(
        X=cells[genes].to_numpy(dtype=np.float32),
        obs=obs,
        var=pd.DataFrame(index=pd.Index(genes, name="gene")),
    )
    adata.obsm["spatial"] = cells[pos].to_numpy(dtype=np.float64)
    adata.uns["ipscsim"] = json.dumps(result.meta, default=str)  # a string: h5ad keeps it as is
    return adata
