"""The public entry points: :func:`simulate` one protocol, :func:`simulate_batch` many at once."""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import ParameterError, ProtocolError, SimulationError
from .model.cohorts import DEFAULT_COHORTS, cohort_nodes, initial_state
from .model.inputs import CompiledProtocol, compile_protocol
from .model.parameters import PARAM_NAMES, genotype_hazard, resolve_params
from .model.pharmacology import compound_table
from .protocols import Protocol, presets
from .results import Result

__all__ = ["ENGINES", "as_protocol", "simulate", "simulate_batch"]

#: Engines :func:`simulate` knows.
ENGINES: tuple[str, ...] = ("ode",)
_DEFAULTS = {"rtol": 1e-6, "atol": 1e-9, "record_every": 0.25, "max_steps": 200_000}


def as_protocol(protocol: Any) -> Protocol:
    """Accept a Protocol, a preset name, a path to a TOML/JSON file, or a dict."""
    if isinstance(protocol, Protocol):
        return protocol
    if isinstance(protocol, Mapping):
        return Protocol.from_dict(protocol)
    if isinstance(protocol, (str, Path)):
        s = str(protocol)
        if s.strip().lower() in presets.names():
            return presets.get(s)
        path = Path(s)
        if path.suffix.lower() == ".json" and path.is_file():
            return Protocol.from_json(path.read_text(encoding="utf-8"))
        if path.suffix.lower() == ".toml" or path.is_file():
            return Protocol.from_toml(path)
        from .errors import suggest

        raise ProtocolError(
            f"protocol {s!r} is not a preset or a file{suggest(s, presets.names())} (presets: "
            f"{', '.join(presets.names())})"
        )
    raise ProtocolError(
        f"protocol: expected a Protocol, a preset name or a file path, not {type(protocol).__name__}"
    )


def _record_days(days: float, every: float) -> np.ndarray:
    if not (isinstance(every, (int, float)) and every > 0 and math.isfinite(every)):
        raise ParameterError(f"record_every: {every!r} must be a number of days > 0, e.g. 0.25")
    n = math.floor(days / every + 1e-9)
    rec = np.arange(n + 1) * float(every)
    if days - rec[-1] > 1e-9:
        rec = np.append(rec, days)
    return rec


def _seed_value(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    raise ParameterError(f"seed: {seed!r} must be None, an int or a numpy Generator")


def _check_engine(engine: str) -> None:
    if engine == "abm":
        raise SimulationError(
            "engine 'abm' (agent-based) is not part of this release yet; use engine='ode'"
        )
    if engine not in ENGINES:
        raise SimulationError(
            f"engine: unknown engine {engine!r}; choose one of {', '.join(ENGINES)}"
        )


def _solver_opts(opts: dict[str, Any]) -> dict[str, Any]:
    unknown = set(opts) - set(_DEFAULTS)
    if unknown:
        raise ParameterError(
            f"unknown option {sorted(unknown)[0]!r}; simulate() accepts {', '.join(_DEFAULTS)}"
        )
    out = {**_DEFAULTS, **opts}
    for key in ("rtol", "atol"):
        v = out[key]
        if not (isinstance(v, (int, float)) and 0 < v < 1):
            raise ParameterError(f"{key}: {v!r} must be a number in (0, 1), e.g. 1e-6")
    return out


def _meta(
    protocol: Protocol, p: np.ndarray, seed, engine, genotype, n_cohorts, solver, wall, days
) -> dict[str, Any]:
    from .engines.threads import backend_version

    return {
        "ipscsim_version": __version__,
        "engine": engine,
        "protocol": protocol.to_dict(),
        "days": days,
        "genotype": genotype,
        "seed": seed,
        "n_cohorts": n_cohorts,
        "parameters": dict(zip(PARAM_NAMES, map(float, p), strict=True)),
        "solver": solver,
        "wall_time_s": wall,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": backend_version(),
        },
    }


def simulate(
    protocol: Protocol | str | Path | Mapping,
    engine: str = "ode",
    days: float | None = None,
    seed: int | np.random.Generator | None = None,
    genotype: str = "control",
    params: Any = None,
    *,
    cohorts: int = DEFAULT_COHORTS,
    **options: Any,
) -> Result:
    """Simulate a differentiation protocol.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`, a preset name (``ipscsim.protocols.names()``),
            a TOML/JSON file path, or a dict of the protocol-file shape.
        engine: ``"ode"``, the deterministic mean-field engine.
        days: Days to simulate (default: the protocol's duration; longer runs continue in basal medium).
        seed: Recorded in the result for provenance (the ODE engine is deterministic).
        genotype: ``control``, ``SOD1_A4V``, ``C9orf72``, ``TARDBP_M337V`` or ``FUS`` (MN survival).
        params: Parameter overrides: a dict of name to value, a TOML parameter file, or a full array.
        cohorts: Heterogeneity cohorts of the ODE engine (more is smoother and slower).
        **options: ``rtol`` (1e-6), ``atol`` (1e-9), ``record_every`` (0.25 day), ``max_steps``.

    Returns:
        A :class:`~ipscsim.results.Result`.

    Raises:
        ProtocolError: for an invalid protocol. ParameterError: for an invalid parameter or option.
        SimulationError: when the integrator fails.
    """
    _check_engine(engine)
    return simulate_batch(
        [protocol],
        params=[params],
        days=days,
        genotype=genotype,
        cohorts=cohorts,
        seed=seed,
        **options,
    )[0]


def _prepare(protocol, params, days, genotype, cohorts, record_every):
    prot = as_protocol(protocol)
    p = resolve_params(params)
    hazard = genotype_hazard(genotype)
    cp: CompiledProtocol = compile_protocol(prot, days, hazard)
    nodes = cohort_nodes(cohorts)
    y0 = initial_state(nodes, cp.suspension)
    rec = _record_days(float(cp.t[-1]), record_every)
    return prot, p, cp, y0, rec


def simulate_batch(
    protocols: Sequence[Any],
    params: Any = None,
    days: float | None = None,
    genotype: str = "control",
    *,
    cohorts: int = DEFAULT_COHORTS,
    seed: Any = None,
    n_threads: int | None = None,
    **options: Any,
) -> list[Result]:
    """Simulate many (protocol, parameters) pairs in one compiled call, in parallel threads.

    Args:
        protocols: Protocols (or preset names/paths/dicts). One protocol with several parameter sets
            is broadcast.
        params: One parameter override (dict/path/array) for all runs, or a sequence, one per run.
        days: Days to simulate (default: each protocol's duration).
        genotype: MN genotype for every run.
        cohorts: Heterogeneity cohorts.
        seed: Recorded in every result.
        n_threads: Threads to use (default: numba's default, all cores).
        **options: As :func:`simulate`.

    Returns:
        One :class:`~ipscsim.results.Result` per run, equal to what :func:`simulate` returns for it.
    """
    from .engines import ode

    opts = _solver_opts(options)
    protocols = list(protocols)
    if (
        params is None
        or isinstance(params, (Mapping, str, Path))
        or (isinstance(params, np.ndarray) and params.ndim == 1)
    ):
        params = [params] * len(protocols)
    params = list(params)
    if len(protocols) == 1 and len(params) > 1:
        protocols = protocols * len(params)
    if len(params) != len(protocols):
        raise ParameterError(
            f"params: {len(params)} parameter sets for {len(protocols)} protocols; give one set, or "
            "one per protocol"
        )
    if not protocols:
        return []
    seed_v = _seed_value(seed)
    runs = [
        _prepare(pr, pa, days, genotype, cohorts, opts["record_every"])
        for pr, pa in zip(protocols, params, strict=True)
    ]
    comp = compound_table()
    nodes = cohort_nodes(cohorts)
    seg_ptr = np.cumsum([0] + [len(r[2].t) - 1 for r in runs]).astype(np.int64)
    rec_ptr = np.cumsum([0] + [len(r[4]) for r in runs]).astype(np.int64)
    tb = np.concatenate([r[2].t for r in runs])
    U = np.concatenate([r[2].u for r in runs])
    ops = np.concatenate([r[2].op for r in runs]).astype(np.int64)
    opc = np.concatenate([r[2].op_count for r in runs])
    rec_t = np.concatenate([r[4] for r in runs])
    y0s = np.stack([r[3] for r in runs])
    ps = np.stack([r[1] for r in runs])
    t_start = time.perf_counter()
    if len(runs) == 1:
        r = runs[0]
        rec, stats, status = ode.run(
            r[3],
            r[1],
            r[2].t,
            r[2].u,
            r[2].op,
            r[2].op_count,
            comp,
            nodes,
            r[4],
            opts["rtol"],
            opts["atol"],
            opts["max_steps"],
        )
        stats, status = stats[None, :], np.array([status])
    else:
        from .engines.threads import threads

        with threads(n_threads):
            rec, stats, status = ode.run_many(
                y0s,
                ps,
                seg_ptr,
                tb,
                U,
                ops,
                opc,
                comp,
                nodes,
                rec_ptr,
                rec_t,
                opts["rtol"],
                opts["atol"],
                opts["max_steps"],
            )
    wall = time.perf_counter() - t_start
    from .engines.dopri5 import STATUS_MESSAGES

    results = []
    for i, (prot, p, cp, _y0, days_i) in enumerate(runs):
        if status[i] != 0:
            raise SimulationError(
                f"protocol {prot.name!r}: {STATUS_MESSAGES.get(int(status[i]), 'failed')}"
            )
        solver = {
            "method": "dopri5",
            "rtol": opts["rtol"],
            "atol": opts["atol"],
            "nfev": int(stats[i, 0]),
            "n_accepted": int(stats[i, 1]),
            "n_rejected": int(stats[i, 2]),
            "segments": len(cp.t) - 1,
        }
        results.append(
            Result(
                days=days_i,
                records=rec[rec_ptr[i] : rec_ptr[i + 1]],
                params=p,
                n_cohorts=nodes.shape[0],
                seeded=cp.seeded,
                meta=_meta(
                    prot,
                    p,
                    seed_v,
                    "ode",
                    genotype,
                    nodes.shape[0],
                    solver,
                    wall / len(runs),
                    float(cp.t[-1]),
                ),
            )
        )
    return results
