"""Shared fixtures: a seeded generator, raising floating-point errors, closed figures."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


@pytest.fixture(autouse=True)
def _float_errors():
    old = np.seterr(all="raise", under="ignore")
    yield
    np.seterr(**old)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def presets():
    """Every preset simulated once with the defaults (shared by the science tests)."""
    import ipscsim as ips

    names = ips.protocols.names()
    results = ips.simulate_batch(names)
    return dict(zip(names, results, strict=True))


def at(result, column: str, day: float, table: str = "fractions") -> float:
    """A readout interpolated at ``day``."""
    df = getattr(result, table)
    return float(np.interp(day, df.index.to_numpy(), df[column].to_numpy()))
