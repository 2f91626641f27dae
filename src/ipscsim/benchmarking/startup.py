"""Start-up times of ipscsim in fresh processes (a section of ``ipscsim bench``)."""

from __future__ import annotations

import os
import subprocess
import sys
from statistics import median
from typing import Any

__all__ = ["start_up"]


def _fresh_process(code: str) -> float:
    """Run ``code`` in a new interpreter and return the number its last line prints."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def start_up(table: Any) -> tuple[float, float]:
    """Fresh processes: ``import ipscsim`` and the import plus a first simulation (medians of three)."""
    import_s = median(
        _fresh_process(
            "import time; t = time.perf_counter(); import ipscsim; print(time.perf_counter() - t)"
        )
        for _ in range(3)
    )
    first_s = median(
        _fresh_process(
            "import time; t = time.perf_counter(); import ipscsim as ips; ips.simulate('maury2015'); "
            "print(time.perf_counter() - t)"
        )
        for _ in range(3)
    )
    sec = "start-up (fresh process)"
    table.add(sec, "import ipscsim", import_s, None)
    table.add(sec, "import + first simulation (numba cache warm)", first_s, None)
    return import_s, first_s
