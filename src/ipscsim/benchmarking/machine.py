"""The machine a benchmark ran on: CPU, cores, vector units and software versions."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["machine"]


def machine() -> dict[str, Any]:
    """A description of this machine and software, for the results."""
    import scipy

    from ..engines.lanes import vector_width
    from ..engines.threads import backend_version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": backend_version(),
        "vector": vector_width()["label"],
        "date": _dt.date.today().isoformat(),
    }
