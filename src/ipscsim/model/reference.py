"""The plain-numpy right-hand side of the ODE model.

The equations of :mod:`ipscsim.model.network`, evaluated by the numpy interpreter, every cohort at once.

It is the reference the compiled kernels are tested against, and the right-hand side a scipy user would
integrate (see ``benchmarks/bench_ode.py``). It shares nothing with the compiled code but the equations'
text: the kernels are generated source, this walks the parsed expressions.

``rhs(t, y, p, u, comp, nodes)`` has the engines' signature without the output argument: ``y`` is the
state of one run (:mod:`ipscsim.model.layout`), ``p`` the parameters, ``u`` the segment's inputs (last
media change, format, seeding, genotype hazard, aggregate size, cassette, nominal concentrations),
``comp`` the target table and ``nodes`` the cohorts' heterogeneity draws and weights.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..protocols.compounds import PATHWAYS
from . import layout as L
from .expr import evaluate
from .network import COHORT_STATES, FATES, GENES, GLOBALS, network
from .pharmacology import concentrations, pathway_inputs

__all__ = ["cell_env", "derived", "env_inputs", "pluripotent_oct4", "rhs", "shared"]


def _params(p: np.ndarray) -> dict[str, Any]:
    return dict(zip(L.PARAM_NAMES, map(float, p), strict=True))


def derived(p: np.ndarray) -> dict[str, float]:
    """Parameters and the ``DERIVED`` quantities, by name."""
    return evaluate(list(network().derived), _params(p))


def _pathways(a: np.ndarray, f: np.ndarray, z: np.ndarray) -> dict[str, float]:
    out = {}
    for q, pw in enumerate(PATHWAYS):
        out[f"A_{pw}"], out[f"F_{pw}"], out[f"Z_{pw}"] = a[q], f[q], z[q]
    return out


def env_inputs(
    y: np.ndarray, p: np.ndarray, u: np.ndarray, n_cohorts: int, afz: tuple
) -> dict[str, float]:
    """The endogenous inputs of ``SHARED`` (:data:`~ipscsim.model.network.ENV`) for the ODE engine.

    ``afz`` are the medium's pathway inputs (agonist, inhibitor and antagonist terms), which the cells'
    emissions may read.
    """
    blocks = y[: n_cohorts * L.N_COHORT].reshape(n_cohorts, L.N_COHORT)
    genes = {g: blocks[:, i] for i, g in enumerate(GENES)}
    net = network()
    em = evaluate([*net.medium, *net.emit], {**derived(p), **_pathways(*afz), **genes})
    prog = blocks[:, L.C_PROG]
    n_prog = prog.sum()
    total = blocks[:, L.N_GENES : L.COUNTS_END].sum()
    glob = y[n_cohorts * L.N_COHORT :]
    fmt = u[L.U_FORMAT]
    cap = p[L.P_capacity_suspension] if fmt > 0.5 else p[L.P_capacity_adherent]
    safe = total if total > 1e-300 else 1.0
    return {
        "nodal_src": float(np.sum(prog * em["emit.nodal"])) / safe,
        "bmp_src": float(np.sum(prog * em["emit.bmp"])) / safe,
        "delta": float(np.sum(prog * em["emit.delta"])) / n_prog if n_prog > 1e-300 else 0.0,
        "occ": total * u[L.U_N0] / (cap * u[L.U_AREA]),
        "density": total * u[L.U_N0] / u[L.U_AREA],
        "fmt": fmt,
        "agg": u[L.U_AGG],
        "stress": glob[L.X_STRESS],
        "mn_hazard": u[L.U_MN_HAZARD],
        "cassette_nil": u[L.U_CASSETTE_NIL],
        "cassette_ngn2": u[L.U_CASSETTE_NGN2],
        "mn_deprivation": u[L.U_MN_DEPRIVATION],
    }


def shared(a, f, z, env: dict[str, float], p: np.ndarray) -> dict[str, Any]:
    """Every name ``SHARED`` defines (and the pathway inputs, parameters, derived values, inputs)."""
    net = network()
    return evaluate([*net.medium, *net.shared], {**derived(p), **_pathways(a, f, z), **env})


def cell_env(sh: dict[str, Any], genes: np.ndarray, phi, theta) -> dict[str, Any]:
    """``CELL``'s names for cells with gene levels ``genes`` (``(n, N_GENES)``)."""
    out = evaluate(
        list(network().cell),
        {**sh, **{g: genes[:, i] for i, g in enumerate(GENES)}, "phi": phi, "theta": theta},
    )
    return out


def rhs(t, y, p, u, comp, nodes):
    """Time derivative of the full state of one run (per day)."""
    k = nodes.shape[0]
    blocks = y[: k * L.N_COHORT].reshape(k, L.N_COHORT)
    glob = y[k * L.N_COHORT :]
    a, f, z = pathway_inputs(concentrations(t, u, comp), comp)
    sh = shared(a, f, z, env_inputs(y, p, u, k, (a, f, z)), p)
    phi = np.exp(p[L.P_sigma_sensitivity] * nodes[:, L.Z_SENS])
    theta = np.exp(p[L.P_sigma_tempo] * nodes[:, L.Z_TEMPO])
    c = cell_env(sh, blocks[:, : L.N_GENES], phi, theta)
    counts = {n: blocks[:, L.N_GENES + i] for i, n in enumerate(COHORT_STATES)}
    co = evaluate(list(network().cohort), {**c, **counts, "LEVEL": blocks[:, L.G_LEVEL]})
    g = evaluate(
        list(network().global_),
        {
            **sh,
            **{n: glob[i] for i, n in enumerate(GLOBALS)},
            "sum.div": float(np.sum(co["sum.div"])),
            "sum.death": float(np.sum(co["sum.death"])),
        },
    )
    out = np.empty_like(blocks)
    for i, gname in enumerate(GENES):
        out[:, i] = c[f"d.{gname}"]
    for i, n in enumerate(COHORT_STATES):
        out[:, L.N_GENES + i] = co[f"d.{n}"]
    dg = np.array([g[f"d.{n}"] for n in GLOBALS], dtype=np.float64)
    return np.concatenate([out.ravel(), dg])


def fate_table(c: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Patterned and programmed fate probabilities ``(n, len(FATES))`` from ``CELL``'s names."""
    pat = np.stack(
        [np.broadcast_to(c[f"fate.{x}"], np.shape(c["rate.div"])) for x in FATES], axis=-1
    )
    prog = np.stack(
        [np.broadcast_to(c[f"prog.{x}"], np.shape(c["rate.div"])) for x in FATES], axis=-1
    )
    return pat, prog


def pluripotent_oct4(p: np.ndarray) -> float:
    """OCT4 level of the pluripotent steady state under full support (the upper root of the switch)."""
    k = p[L.P_K_oct4]
    s = 1.0 + k * k
    return 0.5 * (s + math.sqrt(s * s - 4.0 * k * k))
