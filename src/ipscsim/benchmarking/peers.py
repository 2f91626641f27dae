"""The tools a modeller would otherwise use, each run on the benchmark problem as its users run it.

* scipy's ``solve_ivp`` (LSODA, BDF, RK45) on the numpy reference right-hand side
  (:mod:`ipscsim.model.reference`), segment by segment;
* numbalsoda (LSODA and DOP853) with the model's compiled right-hand side as a C callback
  (:mod:`ipscsim.engines.numbalsoda_adapter`), and for ensembles inside a numba ``prange`` loop;
* libRoadRunner (CVODE, BDF and Adams) on the SBML export (:func:`ipscsim.export.sbml`), and for
  ensembles in a process pool with the model loaded once per worker.

Peers import lazily. :func:`availability` says which can run here and, for each that cannot, why and how
to install it: a missing peer is a row with its reason, never a silent gap.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Callable

import numpy as np

from .problem import Problem

__all__ = [
    "PEER_INSTALL",
    "availability",
    "numbalsoda_ensemble",
    "numbalsoda_run",
    "roadrunner_ensemble",
    "roadrunner_load",
    "roadrunner_model",
    "roadrunner_run",
    "scipy_run",
]

#: How to get each optional peer.
PEER_INSTALL = {
    "numbalsoda": "pip install numbalsoda (builds from source: needs gfortran, e.g. apt install gfortran)",
    "roadrunner": "pip install libroadrunner python-libsbml",
}


def availability() -> dict[str, str | None]:
    """``None`` for each peer that can run here, else why not (and how to install it)."""
    out: dict[str, str | None] = {"scipy": None}
    for peer, modules in (
        ("numbalsoda", ("numbalsoda",)),
        ("roadrunner", ("roadrunner", "libsbml")),
    ):
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        out[peer] = (
            f"not installed ({', '.join(missing)}): {PEER_INSTALL[peer]}" if missing else None
        )
    return out


# ---------------------------------------------------------------------------------------------- scipy
def scipy_run(cp, nodes, p, comp, y0, method: str, rtol: float = 1e-6, atol: float = 1e-9):
    """Integrate a compiled protocol with ``solve_ivp`` and the numpy right-hand side.

    Returns:
        ``(final_state, nfev)``.
    """
    from scipy.integrate import solve_ivp

    from ..engines.ode import apply_operation
    from ..model.reference import rhs

    y = y0.copy()
    nfev = 0
    for s in range(len(cp.t) - 1):
        apply_operation(y, cp.op[s], cp.op_count[s], nodes.shape[0])
        sol = solve_ivp(
            rhs,
            (cp.t[s], cp.t[s + 1]),
            y,
            method=method,
            rtol=rtol,
            atol=atol,
            args=(p, cp.u[s], comp, nodes),
        )
        if not sol.success:
            raise RuntimeError(f"solve_ivp({method}) failed: {sol.message}")
        nfev += sol.nfev
        y = sol.y[:, -1].copy()
    return y, nfev


# ----------------------------------------------------------------------------------------- numbalsoda
def _nb_inputs(prob: Problem):
    from ..engines import numbalsoda_adapter as nba

    data, off = nba.pack(prob.p, prob.cp.u[0], prob.comp, prob.nodes)
    return nba, data, off


def numbalsoda_run(prob: Problem, method: str = "lsoda") -> tuple[np.ndarray, int]:
    """One simulation with numbalsoda (``"lsoda"`` or ``"dop853"``): ``(final_state, nfev)``."""
    states, ok, nfev = numbalsoda_ensemble(prob, prob.p[None, :], method)
    if not ok[0]:
        raise RuntimeError(f"numbalsoda {method} failed on {prob.name}")
    return states[0], int(nfev[0])


def numbalsoda_ensemble(prob: Problem, ps: np.ndarray, method: str = "lsoda"):
    """Many parameter sets with numbalsoda in a numba ``prange`` loop: ``(states, ok, nfev)``."""
    nba, data, off = _nb_inputs(prob)
    cp = prob.cp
    return nba.ensemble(
        nba.rhs_cfunc.address,
        0 if method == "lsoda" else 1,
        data,
        off["p"],
        off["u"],
        off["w"],
        np.ascontiguousarray(ps),
        prob.nodes,
        prob.y0,
        cp.t,
        cp.u,
        cp.op.astype(np.int64),
        cp.op_count,
        prob.rtol,
        prob.atol,
    )


# ----------------------------------------------------------------------------------------- roadrunner
def roadrunner_load(sbml: str | os.PathLike, quick: bool = False):
    """The libRoadRunner model of an SBML document (a path or the text).

    Args:
        sbml: The document: a path to an SBML file or the SBML text.
        quick: Compile with libRoadRunner's LLJIT backend without optimisation, which loads the
            exported maury2015 model 5x faster than the default MCJIT (31 s against 155 s on this
            machine) and simulates it 1.3x slower (0.77 s against 0.59 s); the setting is restored
            afterwards. For models simulated once or twice (tests), not for timing the peer.
    """
    import roadrunner

    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)  # CVODE's step warnings at events
    cfg = roadrunner.Config
    keys = (cfg.LLVM_BACKEND, cfg.LLJIT_OPTIMIZATION_LEVEL)
    old = [cfg.getValue(k) for k in keys]
    if quick:
        cfg.setValue(cfg.LLVM_BACKEND, cfg.LLJIT)
        cfg.setValue(cfg.LLJIT_OPTIMIZATION_LEVEL, 0)
    try:
        return roadrunner.RoadRunner(str(sbml))
    finally:
        for k, v in zip(keys, old, strict=True):
            cfg.setValue(k, v)


def roadrunner_model(
    sbml: str | os.PathLike,
    rtol: float,
    atol: float,
    stiff: bool = True,
    quick: bool = False,
):
    """A libRoadRunner instance of an exported model with the given tolerances.

    ``quick`` compiles it faster (see :func:`roadrunner_load`).
    """
    rr = roadrunner_load(sbml, quick)
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.stiff = stiff
    rr.integrator.setValue("maximum_num_steps", 500_000)
    return rr


def _rr_set(rr, p: np.ndarray, nodes: np.ndarray) -> None:
    """Reset the model and give it a parameter set (the cohort factors are derived, so set them too)."""
    from ..export.sbml_model import _ODE_PARAMS
    from ..model import layout as L

    rr.resetAll()
    for name in _ODE_PARAMS:
        rr.setValue(f"p_{name}", float(p[L.PARAM_INDEX[name]]))
    for i in range(nodes.shape[0]):
        rr.setValue(f"phi_{i}", float(np.exp(p[L.P_sigma_sensitivity] * nodes[i, L.Z_SENS])))
        rr.setValue(f"theta_{i}", float(np.exp(p[L.P_sigma_tempo] * nodes[i, L.Z_TEMPO])))


def roadrunner_run(rr, prob: Problem, p: np.ndarray | None = None) -> np.ndarray:
    """One simulation of the loaded model from day 0 to the end; returns the final state."""
    from ..export.sbml_model import state_ids

    if p is None:
        rr.resetAll()
    else:
        _rr_set(rr, p, prob.nodes)
    rr.timeCourseSelections = state_ids(prob.nodes.shape[0])
    out = rr.simulate(0.0, prob.days, 2)
    return np.asarray(out)[-1]


_WORKER: dict = {}


def _rr_init(sbml: str, rtol: float, atol: float, stiff: bool, name: str, cohorts: int) -> None:
    from .problem import problem

    _WORKER["rr"] = roadrunner_model(sbml, rtol, atol, stiff)
    _WORKER["prob"] = problem(name, cohorts)


def _rr_task(p: np.ndarray) -> np.ndarray:
    try:
        return roadrunner_run(_WORKER["rr"], _WORKER["prob"], p)
    except Exception:  # a failed run is a NaN row, as in the other peers' ensembles
        return np.full(_WORKER["prob"].y0.size, np.nan)


def roadrunner_ensemble(
    sbml: str, prob: Problem, ps: np.ndarray, workers: int | None = None, stiff: bool = True
) -> tuple[np.ndarray, float]:
    """Many parameter sets with libRoadRunner in a process pool (the model loaded once per worker).

    Returns:
        ``(final_states, load_seconds)``: NaN rows for failed runs, and the wall time the pool took to
        start and load the model (included in the caller's wall time, reported separately).
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    workers = workers or os.cpu_count() or 1
    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    with ProcessPoolExecutor(
        workers,
        mp_context=ctx,
        initializer=_rr_init,
        initargs=(sbml, prob.rtol, prob.atol, stiff, prob.name, prob.nodes.shape[0]),
    ) as pool:
        list(pool.map(_ping, range(workers)))  # start the workers and load the model
        load = time.perf_counter() - t0
        states = np.array(list(pool.map(_rr_task, ps, chunksize=max(1, len(ps) // (4 * workers)))))
    return states, load


def _ping(_: int) -> int:
    time.sleep(0.2)  # keep each worker busy briefly so that every worker starts
    return os.getpid()


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls, and the last call's return value."""
    times = []
    out = None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out
