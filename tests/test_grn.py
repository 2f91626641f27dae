"""The gene network's published behaviour, on the numpy reference (the kernel is tested against it)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ipscsim.model import layout as L
from ipscsim.model.grn import grn_rates
from ipscsim.model.parameters import default_params
from ipscsim.model.signalling import Signals

P = default_params()


def _signals(gli, **kw):
    one = np.ones(1)
    base = dict(
        tgf=0 * one,
        bmp=0 * one,
        wnt=0 * one,
        fgf=0 * one,
        ra=0 * one,
        gli=gli * one,
        notch_in=0 * one,
        rock_free=1.0,
        dox=0.0,
        trophic=0.0,
    )
    base.update(
        {
            k: v * one if isinstance(v, float) and k not in ("rock_free", "dox", "trophic") else v
            for k, v in kw.items()
        }
    )
    return Signals(**base)


def _steady(y0, gli, days=40.0):
    """Integrate one neural cell at a fixed Smoothened input; GLI relaxes to it."""
    y0 = y0.copy()

    def f(t, y):
        return grn_rates(y[None, :], _signals(gli), np.ones(1), P)[0]

    return solve_ivp(f, (0, days), y0, method="LSODA", rtol=1e-9, atol=1e-12).y[:, -1]


def _neural_cell():
    y = np.zeros(L.N_GENES)
    y[L.G_NEURAL] = 1.0
    y[L.G_PAX6], y[L.G_IRX3] = 0.95, 0.95  # the PONI pre-pattern (Cohen et al. 2014)
    return y


def _identity(y):
    levels = {"p3": y[L.G_NKX22], "pMN": y[L.G_OLIG2], "p2": min(y[L.G_PAX6], y[L.G_IRX3])}
    return max(levels, key=levels.get)


@pytest.mark.parametrize(
    ("gli", "identity"),
    [(0.0, "p2"), (0.02, "p2"), (0.1, "pMN"), (0.25, "pMN"), (0.5, "p3"), (1.0, "p3")],
)
def test_poni_reads_the_gli_level_as_published(gli, identity):
    """Steady states of the published PONI parameters: p2 < 0.03 < pMN < 0.33 < p3 (GliA)."""
    assert _identity(_steady(_neural_cell(), gli)) == identity


def test_poni_is_hysteretic():
    """A p3 cell keeps NKX2.2 when GLI falls to pMN levels; it reverts only near zero."""
    p3 = _steady(_neural_cell(), 1.0)
    assert _identity(p3) == "p3"
    assert _identity(_steady(p3, 0.1)) == "p3"
    assert _identity(_steady(p3, 0.0, days=80)) == "p2"


def test_olig2_comes_before_nkx22_at_high_signal():
    y = _neural_cell()

    def f(t, z):
        return grn_rates(z[None, :], _signals(1.0), np.ones(1), P)[0]

    sol = solve_ivp(f, (0, 20), y, method="LSODA", rtol=1e-9, atol=1e-12, dense_output=True)
    days = np.linspace(0, 20, 2001)
    traj = sol.sol(days)
    t_olig = days[np.argmax(traj[L.G_OLIG2] > 0.5)]
    t_nkx = days[np.argmax(traj[L.G_NKX22] > 0.5)]
    assert 0 < t_olig < t_nkx


def test_pluripotency_is_a_bistable_switch():
    """Full SMAD2/3 + FGF support keeps OCT4 high; without support it collapses (Chickarmane form)."""
    y = np.zeros(L.N_GENES)
    y[L.G_OCT4] = 1.0
    for support, expect_high in ((1.0, True), (0.0, False)):
        sig = _signals(0.0, tgf=support, fgf=support)

        def f(t, z, sig=sig):
            return grn_rates(z[None, :], sig, np.ones(1), P)[0]

        end = solve_ivp(f, (0, 20), y, method="LSODA", rtol=1e-9, atol=1e-12).y[:, -1]
        assert (end[L.G_OCT4] > 0.8) == expect_high
