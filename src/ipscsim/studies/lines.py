"""Panels of cell lines: one protocol across many lines (line draws live in :mod:`ipscsim.model.lines`).

>>> import ipscsim as ips
>>> table = ips.lines.across("maury2015", n_lines=20)          # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError, check_int
from ..model.lines import CellLine, apply_line, draw, line, line_table

__all__ = ["CellLine", "across", "apply_line", "draw", "line", "line_table"]


def across(protocol: Any, n_lines: int = 20, seed: int = 0, params: Any = None, **kwargs: Any):
    """Simulate a protocol across a panel of lines; one row of summary values per line.

    ``kwargs`` go to :func:`~ipscsim.simulate_batch`; with ``errors="warn"`` a line whose run failed
    is a row of NaN.
    """
    import pandas as pd

    from ..api import simulate_batch

    if "lines" in kwargs:
        raise ParameterError(
            "lines: across draws its own panel (n_lines, seed); to simulate given lines use "
            "ips.simulate_batch([protocol] * len(lines), lines=lines)"
        )
    n_lines = check_int("n_lines", n_lines, 1, 100_000)
    panel = draw(n_lines, seed)
    results = simulate_batch([protocol] * n_lines, params=params, lines=panel, **kwargs)
    rows = [  # a failed run (errors="warn") is its line's row of NaN
        {"line": cl.number, **(r.summary().to_dict() if r is not None else {})}
        for cl, r in zip(panel, results, strict=True)
    ]
    return pd.DataFrame(rows).set_index("line")
