"""The benchmark's run (what it measures: :mod:`ipscsim.benchmarking`), one function per section.

:func:`run_benchmark` drives the sections in order; they share one :class:`_Bench` (the problem, the
peers that can run here, the table's rows and what earlier sections measured).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from . import peers
from .machine import machine
from .peers import scipy_run
from .problem import Problem
from .startup import start_up

__all__ = ["AGREE", "format_table", "machine", "main", "run_benchmark", "write_results"]

#: Largest relative difference of final states (on a floor of 1e-6 of the seeding) that counts as
#: agreement at ``rtol=1e-6``: the integrators' own errors accumulate over maury2015's 14 days and 8
#: segments (measured: at most 5.2e-5).
AGREE = 1e-3
#: Timed passes per ensemble row of ipscsim and numbalsoda (the median is reported): one pass on a
#: shared virtual machine moved "two cores over one" between 1.7 and 2.2 from run to run
ENSEMBLE_PASSES = 3

#: The table section of the single-simulation rows.
_SINGLE = "one simulation"


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-6)))


class _Table:
    """Rows of (section, tool, seconds, ratio to ipscsim, note)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self, section: str, tool: str, seconds: float | None, ours: float | None, note: str = ""
    ):
        ratio = None if seconds is None or ours is None else seconds / ours
        self.rows.append(
            {"section": section, "tool": tool, "seconds": seconds, "x_ipscsim": ratio, "note": note}
        )


@dataclass
class _Bench:
    """What the sections share; each section fills in what it measures.

    Attributes:
        prob: The benchmark problem.
        quick: Whether this is a quick run (fewer repeats, smaller ensembles).
        avail: ``None`` for each peer that can run here, else why not.
        table: The rows printed.
        single: ipscsim's median seconds for one simulation.
        nfev: Right-hand-side evaluations ipscsim's integrator needed for it.
        final: ipscsim's final state, which every peer's must agree with.
        lower: The lower bound's seconds.
        speed: Each single-simulation peer configuration's seconds (``scipy_LSODA``, ...).
        agree: Each peer configuration's largest relative difference from ``final``.
        best: Each optional peer's fastest single simulation (``numbalsoda``, ``roadrunner``).
        nb_best: numbalsoda's fastest method, used for its ensembles.
        sbml: The SBML export, when libRoadRunner runs here.
        rr_best_stiff: Whether libRoadRunner's fastest method is BDF (else Adams).
        threads: Threads ipscsim's batch engine runs on.
        vector: The vector registers the ensemble engine's lane loops compile to here (a label).
        vector_bits: Their width in bits.
    """

    prob: Problem
    quick: bool
    avail: dict[str, str | None]
    table: _Table = field(default_factory=_Table)
    single: float = 0.0
    nfev: int = 0
    final: np.ndarray | None = None
    lower: float = 0.0
    speed: dict[str, float | None] = field(default_factory=dict)
    agree: dict[str, float] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    nb_best: str = "lsoda"
    sbml: str | None = None
    rr_best_stiff: bool = True
    threads: int = 1
    vector: str = ""
    vector_bits: int = 0


def run_benchmark(quick: bool = False, out=print) -> dict[str, Any]:
    """Run every comparison; print a table through ``out``; return the numbers (and the rows).

    Args:
        quick: Fewer repeats and one small ensemble (a check that everything runs, in about a minute).
        out: Called with each line of the table.

    Returns:
        The numbers of :func:`_summary`, with the table's rows under ``"rows"``.
    """
    from .problem import problem

    bench = _Bench(problem(), quick, peers.availability())
    _single_ipscsim(bench)
    _lower_bound(bench)
    _single_scipy(bench)
    _single_numbalsoda(bench)
    _single_roadrunner(bench)
    _check_single(bench)
    size, largest = _ensembles(bench)
    import_s, first_s = start_up(bench.table)
    result = _summary(bench, size, largest, import_s, first_s)
    for line in format_table(result):
        out(line)
    return result


# ---------------------------------------------------------------------------------- one simulation
def _single_ipscsim(bench: _Bench) -> None:
    """The ipscsim row: the median time of one simulation (after a warm-up) and its evaluations."""
    from ..engines import ode

    prob, cp = bench.prob, bench.prob.cp
    rec = np.array([0.0, prob.days])

    def ours():
        return ode.run(
            prob.y0, prob.p, cp.t, cp.u, cp.op, cp.op_count, prob.comp, prob.nodes, rec,
            prob.rtol, prob.atol, 10**6,
        )  # fmt: skip

    records, stats, status = ours()  # warm-up (compiles or loads the cache)
    if status != 0:
        raise RuntimeError(f"ipscsim failed on {prob.name} (status {status})")
    bench.final = records[-1]
    bench.single, _ = peers.timed(ours, 20 if bench.quick else 100)
    bench.nfev = int(stats[0])
    bench.table.add(
        _SINGLE, "ipscsim (DOPRI5, compiled)", bench.single, bench.single,
        f"{bench.nfev} RHS evaluations",
    )  # fmt: skip


def _lower_bound(bench: _Bench) -> None:
    """The practical lower bound: ipscsim's evaluations times the compiled right-hand side's cost.

    The cost per evaluation is measured at states along the trajectory (the least disturbed of five
    repeats of 1000 evaluations at each).
    """
    from ..engines import ode
    from ..engines.kernels import work_size

    prob = bench.prob
    rec_t = np.linspace(0.0, prob.days, 31)
    rec, _, _ = ode.run(
        prob.y0, prob.p, prob.cp.t, prob.cp.u, prob.cp.op, prob.cp.op_count, prob.comp,
        prob.nodes, rec_t, prob.rtol, prob.atol, 10**6,
    )  # fmt: skip
    work = np.zeros(work_size(prob.nodes.shape[0]))
    out = np.empty(prob.y0.size)
    per_eval = []
    n = 1000
    for i, t in enumerate(rec_t[:-1]):
        s = int(np.searchsorted(prob.cp.t, t, side="right") - 1)
        args = (rec[i], prob.p, prob.cp.u[s], prob.comp, prob.nodes, work, out)
        ode.rhs_calls(10, t, t + 1.0, *args)
        # the least disturbed of five repeats: the cost itself, not the machine's load
        best = np.inf
        for _ in range(5):
            t0 = time.perf_counter()
            ode.rhs_calls(n, t, t + 1.0, *args)
            best = min(best, (time.perf_counter() - t0) / n)
        per_eval.append(best)
    bench.lower = float(np.mean(per_eval)) * bench.nfev
    bench.table.add(
        _SINGLE, "lower bound: compiled RHS cost x evaluations", bench.lower, bench.single,
        f"{bench.nfev} evaluations",
    )  # fmt: skip


def _single_scipy(bench: _Bench) -> None:
    """The scipy rows: ``solve_ivp`` (LSODA, BDF, RK45) on the numpy right-hand side."""
    prob, cp = bench.prob, bench.prob.cp
    for method in ("LSODA", "BDF", "RK45"):
        y, nf = scipy_run(cp, prob.nodes, prob.p, prob.comp, prob.y0, method, prob.rtol, prob.atol)
        bench.agree[f"scipy_{method}"] = d = _rel(y, bench.final)
        t, _ = peers.timed(
            lambda m=method: scipy_run(
                cp, prob.nodes, prob.p, prob.comp, prob.y0, m, prob.rtol, prob.atol
            ),
            1 if bench.quick else 3,
        )
        bench.table.add(
            _SINGLE, f"scipy solve_ivp {method} + numpy RHS", t, bench.single,
            f"{nf} RHS evaluations; agree {d:.1e}",
        )  # fmt: skip
        bench.speed[f"scipy_{method}"] = t


def _single_numbalsoda(bench: _Bench) -> None:
    """The numbalsoda rows: LSODA and DOP853 on the compiled right-hand side (C callback); its fastest."""
    if bench.avail["numbalsoda"] is not None:
        bench.table.add(_SINGLE, "numbalsoda", None, None, bench.avail["numbalsoda"])
        return
    for method in ("lsoda", "dop853"):
        y, nf = peers.numbalsoda_run(bench.prob, method)  # compiles the cfunc and the driver
        bench.agree[f"numbalsoda_{method}"] = d = _rel(y, bench.final)
        t, _ = peers.timed(
            lambda m=method: peers.numbalsoda_run(bench.prob, m), 5 if bench.quick else 20
        )
        bench.table.add(
            _SINGLE, f"numbalsoda {method.upper()} + compiled RHS (cfunc)", t, bench.single,
            f"{nf} RHS evaluations; agree {d:.1e}",
        )  # fmt: skip
        bench.speed[f"numbalsoda_{method}"] = t
        if t < bench.best.get("numbalsoda", np.inf):
            bench.best["numbalsoda"] = t
            bench.nb_best = method


def _single_roadrunner(bench: _Bench) -> None:
    """The libRoadRunner rows: CVODE BDF (its default) and Adams on the SBML export; its fastest."""
    from .. import export

    if bench.avail["roadrunner"] is not None:
        bench.table.add(_SINGLE, "libRoadRunner", None, None, bench.avail["roadrunner"])
        return
    prob = bench.prob
    bench.sbml = export.sbml(prob.name)
    t0 = time.perf_counter()
    rr = peers.roadrunner_model(bench.sbml, prob.rtol, prob.atol)
    load = time.perf_counter() - t0
    for stiff, label in ((True, "BDF (default)"), (False, "Adams")):
        rr.integrator.stiff = stiff
        key = f"roadrunner_{'bdf' if stiff else 'adams'}"
        y = peers.roadrunner_run(rr, prob)
        bench.agree[key] = d = _rel(y, bench.final)
        t, _ = peers.timed(lambda: peers.roadrunner_run(rr, prob), 2 if bench.quick else 10)
        bench.table.add(
            _SINGLE, f"libRoadRunner CVODE {label} + SBML export", t, bench.single,
            f"agree {d:.1e}; loading the model (LLVM) took {load:.1f} s once, not included",
        )  # fmt: skip
        bench.speed[key] = t
        if t < bench.best.get("roadrunner", np.inf):
            bench.best["roadrunner"] = t
            bench.rr_best_stiff = stiff


def _check_single(bench: _Bench) -> None:
    """Fail unless every peer's final state agrees with ipscsim's within :data:`AGREE`."""
    disagree = {k: v for k, v in bench.agree.items() if v > AGREE}
    if disagree:
        raise RuntimeError(f"final states disagree with ipscsim beyond {AGREE:g}: {disagree}")


# --------------------------------------------------------------------------------------- ensembles
def _ensembles(bench: _Bench) -> tuple[int, dict[str, float]]:
    """Ensembles of parameter sets, ipscsim and each peer that runs here (:data:`ENSEMBLE_PASSES`).

    Each peer runs the method that won its single simulation; ipscsim's rows time the engine on runs
    prepared beforehand (simulate_batch adds ~0.15 ms per run of validation and Result objects).

    Returns:
        The largest ensemble's size and its per-simulation seconds (``ipscsim_1t``, ``ipscsim_all``,
        ``numbalsoda_all``, ``roadrunner_all``) and ``thread_scaling``.
    """
    from ..engines.lanes import vector_width
    from ..engines.threads import get_threads
    from .problem import parameter_sets

    bench.threads = get_threads()
    vw = vector_width()
    bench.vector, bench.vector_bits = vw["label"], vw["bits"]
    sizes = [200] if bench.quick else [1000, 10_000]
    ens: dict[int, dict[str, float]] = {}
    rr_ens: dict[int, tuple[float, float, int, str]] = {}
    for n in sizes:
        sec = (
            f"ensemble of {n:,} parameter sets, per simulation (ipscsim and numbalsoda: median of "
            f"{ENSEMBLE_PASSES} timed passes; libRoadRunner: one)"
        )
        ps = parameter_sets(bench.prob, n)
        ens[n], states_ours = _ensemble_ipscsim(bench, sec, ps)
        tall = ens[n]["ipscsim_all"]
        tn = _ensemble_numbalsoda(bench, sec, ps, states_ours, tall)
        if tn is not None:
            ens[n]["numbalsoda_all"] = tn
        tr = _ensemble_roadrunner(bench, sec, ps, states_ours, tall, rr_ens)
        if tr is not None:
            ens[n]["roadrunner_all"] = tr
    return sizes[-1], ens[sizes[-1]]


def _ensemble_ipscsim(
    bench: _Bench, sec: str, ps: np.ndarray
) -> tuple[dict[str, float], np.ndarray]:
    """The rows of ipscsim's ensemble engine on one thread, two and all, and of one run per thread.

    One run per thread is the single-run integrator in a ``prange`` (``ODE(batch="threads")``).
    Returns the seconds and the ensemble engine's final states.
    """
    threads = bench.threads
    two = min(2, threads)
    runs = _prepared(bench.prob, ps)
    width = bench.vector
    t1, _ = _batch_time(runs, 1)
    t2, states_ours = _batch_time(runs, two)
    tall = t2 if threads == two else _batch_time(runs, threads)[0]
    lanes = f"ipscsim ensemble engine ({width}), "
    bench.table.add(sec, lanes + "1 thread", t1, tall)
    bench.table.add(sec, lanes + f"{two} threads", t2, tall)
    if threads != two:
        bench.table.add(sec, lanes + f"{threads} threads", tall, tall)
    tt, states_t = _batch_time(runs, threads, batch="threads")
    note = _check(_ens_agree(states_t, states_ours), "one run per thread")
    bench.table.add(sec, f"ipscsim one run per thread, {threads} threads", tt, tall, note)
    return {
        "ipscsim_1t": t1, "ipscsim_all": tall, "thread_scaling": t1 / t2, "threads_all": tt,
    }, states_ours  # fmt: skip


def _ensemble_numbalsoda(
    bench: _Bench, sec: str, ps: np.ndarray, states_ours: np.ndarray, tall: float
) -> float | None:
    """The numbalsoda row: a numba ``prange`` loop; seconds per simulation (``None``: cannot run)."""
    if bench.avail["numbalsoda"] is not None:
        bench.table.add(sec, "numbalsoda", None, None, bench.avail["numbalsoda"])
        return None
    n = len(ps)
    tn, (states, ok, _) = _median_pass(
        lambda: peers.numbalsoda_ensemble(bench.prob, ps, bench.nb_best), n
    )
    note = _check(_ens_agree(states[ok], states_ours[ok]), f"numbalsoda ensemble of {n}")
    bench.table.add(
        sec, f"numbalsoda {bench.nb_best.upper()}, numba prange, {bench.threads} threads", tn, tall,
        f"{int((~ok).sum())} failed; {note}",
    )  # fmt: skip
    return tn


def _ensemble_roadrunner(
    bench: _Bench,
    sec: str,
    ps: np.ndarray,
    states_ours: np.ndarray,
    tall: float,
    measured: dict[int, tuple[float, float, int, str]],
) -> float | None:
    """The libRoadRunner row: a process pool; seconds per simulation (``None``: cannot run).

    ``measured`` keeps each measurement by the number of sets run, for reuse by a larger ensemble.
    """
    if bench.sbml is None:
        bench.table.add(sec, "libRoadRunner", None, None, bench.avail["roadrunner"])
        return None
    n = len(ps)
    # the parameter sets of a larger ensemble begin with those of a smaller one (same seed)
    m = min(n, 100 if bench.quick else 1000)
    if m not in measured:
        t0 = time.perf_counter()
        states, load = peers.roadrunner_ensemble(
            bench.sbml, bench.prob, ps[:m], bench.threads, bench.rr_best_stiff
        )
        good = ~np.isnan(states).any(axis=1)
        d = _check(_ens_agree(states[good], states_ours[:m][good]), f"libRoadRunner, {m}")
        measured[m] = ((time.perf_counter() - t0 - load) / m, load, int((~good).sum()), d)
    tr, load, failed, d = measured[m]
    note = f"{bench.threads} processes; plus {load:.0f} s to start the pool and load the model"
    if m < n:
        note += f"; measured on the first {m:,} of the {n:,} sets"
    rr_label = "BDF" if bench.rr_best_stiff else "Adams"
    bench.table.add(
        sec, f"libRoadRunner CVODE {rr_label}, process pool", tr, tall,
        f"{note}; {failed} failed; {d}",
    )  # fmt: skip
    return tr


def _prepared(prob, ps: np.ndarray) -> list:
    """The runs of an ensemble, validated and compiled (outside the timed part)."""
    from ..model.prepare import prepare_run

    return [prepare_run(prob.name, p, None, "control", prob.nodes.shape[0], prob.days) for p in ps]


def _batch_time(
    runs: list, n_threads: int, cohorts: int = 12, batch: str = "lanes"
) -> tuple[float, np.ndarray]:
    """Per-simulation wall time of ipscsim's batch engine on ``n_threads``, and the final states."""
    from ..solvers import ODE

    engine = ODE(rtol=1e-6, atol=1e-9, cohorts=cohorts, batch=batch)
    engine.run(runs[:2], None, n_threads)  # warm-up
    wall, out = _median_pass(lambda: engine.run(runs, None, n_threads), len(runs))
    if np.any(out.status != 0):
        bad = int(np.flatnonzero(out.status != 0)[0])
        raise RuntimeError(f"ipscsim failed on ensemble run {bad}: {out.message(bad)}")
    return wall, np.array([r[-1] for r in out.records])


def _median_pass(call, n: int) -> tuple[float, Any]:
    """Median seconds per run of ``call()`` over :data:`ENSEMBLE_PASSES` passes, and its last result."""
    walls, out = [], None
    for _ in range(ENSEMBLE_PASSES):
        t0 = time.perf_counter()
        out = call()
        walls.append((time.perf_counter() - t0) / n)
    return median(walls), out


def _ens_agree(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Per-run largest relative difference of final states: (median, 99th percentile, max) over runs."""
    per_run = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-6), axis=1)
    return float(np.median(per_run)), float(np.percentile(per_run, 99)), float(per_run.max())


def _check(d: tuple[float, float, float], what: str) -> str:
    """Fail when more than 1% of an ensemble's runs disagree; return the agreement as a note.

    Two integrators at ``rtol=1e-6`` can part by more than :data:`AGREE` on a parameter set that sits
    near a switch (a cell-fate threshold), so single outliers are reported, not fatal.
    """
    med, p99, worst = d
    if not p99 <= AGREE:
        raise RuntimeError(
            f"{what}: final states disagree with ipscsim (99th percentile {p99:.1e} > {AGREE:g})"
        )
    return f"final states agree: median {med:.1e}, 99th percentile {p99:.1e}, max {worst:.1e}"


# ----------------------------------------------------------------------------------------- results
def _summary(
    bench: _Bench, size: int, largest: dict[str, float], import_s: float, first_s: float
) -> dict[str, Any]:
    """The numbers of every section (the speed-ups first), the machine and the table's rows."""
    single, best = bench.single, bench.best
    return {
        "speedup_vs_scipy_lsoda": bench.speed["scipy_LSODA"] / single,
        "speedup_vs_numbalsoda": best["numbalsoda"] / single if "numbalsoda" in best else None,
        "speedup_vs_roadrunner": best["roadrunner"] / single if "roadrunner" in best else None,
        "x_lower_bound": single / bench.lower,
        "thread_scaling": largest["thread_scaling"],
        "single_s": single,
        "lower_bound_s": bench.lower,
        "nfev_ipscsim": bench.nfev,
        **{f"{k}_s": v for k, v in bench.speed.items()},
        "batch_size": size,
        "threads": bench.threads,
        "batch_per_sim_1t_s": largest["ipscsim_1t"],
        "batch_per_sim_s": largest["ipscsim_all"],
        "ensemble_speedup_vs_numbalsoda": (
            largest["numbalsoda_all"] / largest["ipscsim_all"]
            if "numbalsoda_all" in largest
            else None
        ),
        "ensemble_speedup_vs_threads": largest["threads_all"] / largest["ipscsim_all"],
        "vector_width": bench.vector_bits,
        "states": int(bench.prob.y0.size),
        "ensemble_speedup_vs_roadrunner": (
            largest["roadrunner_all"] / largest["ipscsim_all"]
            if "roadrunner_all" in largest
            else None
        ),
        "import_s": import_s,
        "first_sim_s": first_s,
        "final_state_max_rel_diff": max(bench.agree.values()),
        "unavailable": {k: v for k, v in bench.avail.items() if v is not None},
        "quick": bench.quick,
        "machine": machine(),
        "rows": bench.table.rows,
    }


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def format_table(result: dict[str, Any]) -> list[str]:
    """The results as Markdown lines (a header, then one table per section, then the targets)."""
    m = result["machine"]
    lines = [
        f"Protocol maury2015, 12 cohorts ({result.get('states', '?')} states), rtol=1e-6, "
        f"atol=1e-9; {m['cpu']}, {m['cores']} cores, vector units: {m.get('vector', '?')}; "
        f"python {m['python']}, "
        f"numpy {m['numpy']}, scipy {m['scipy']}, numba {m['numba']}; "
        f"{m['date']}{' (quick run)' if result['quick'] else ''}.",
        "",
    ]
    section = None
    for row in result["rows"]:
        if row["section"] != section:
            section = row["section"]
            lines += [
                "",
                f"**{section}**",
                "",
                "| tool | time | x ipscsim | note |",
                "|---|---|---|---|",
            ]
        ratio = "-" if row["x_ipscsim"] is None else f"{row['x_ipscsim']:.3g}"
        lines.append(f"| {row['tool']} | {_fmt_s(row['seconds'])} | {ratio} | {row['note']} |")
    lines += ["", "**targets**", "", "| measure | target | measured | met |", "|---|---|---|---|"]
    targets = [
        ("speed-up over scipy LSODA", "speedup_vs_scipy_lsoda", 300.0, True),
        ("speed-up over numbalsoda (fastest method)", "speedup_vs_numbalsoda", 1.6, True),
        ("speed-up over libRoadRunner (fastest method)", "speedup_vs_roadrunner", 10.0, True),
        ("time / lower bound", "x_lower_bound", 2.0, False),
        ("ensemble over numbalsoda, all cores", "ensemble_speedup_vs_numbalsoda", 5.0, True),
        ("two cores over one (ensemble)", "thread_scaling", 1.8, True),
        ("import + first simulation, warm cache (s)", "first_sim_s", 0.5, False),
    ]
    for label, key, target, higher in targets:
        v = result.get(key)
        if v is None:
            lines.append(f"| {label} | {'>=' if higher else '<='} {target:g} | not measured | - |")
            continue
        met = v >= target if higher else v <= target
        lines.append(
            f"| {label} | {'>=' if higher else '<='} {target:g} | {v:.3g} | {'yes' if met else 'NO'} |"
        )
    return lines


def write_results(
    result: dict[str, Any], folder: str | Path, collected: dict[str, Any] | None = None
) -> None:
    """Write ``RESULTS.md`` and ``results.json`` into ``folder``."""
    folder = Path(folder)
    text = [
        "# Benchmark results",
        "",
        "Generated by `python benchmarks/run_all.py` (`ipscsim bench` for the ODE comparisons alone);",
        "do not edit by hand. What each row measures: the docstring of `ipscsim.benchmarking`",
        "(`src/ipscsim/benchmarking/__init__.py`) and the Benchmarks page of the documentation.",
        "",
        *format_table(result),
    ]
    if collected:
        text += ["", "## The other benchmarks, collected", ""]
        for name, data in collected.items():
            text += [
                f"**{name}**",
                "",
                "```json",
                json.dumps(data, indent=1, sort_keys=True),
                "```",
                "",
            ]
    (folder / "RESULTS.md").write_text("\n".join(text).rstrip() + "\n", encoding="utf-8")
    payload = {k: v for k, v in result.items()}
    if collected:
        payload["collected"] = collected
    (folder / "results.json").write_text(
        json.dumps(payload, indent=1, default=float) + "\n", encoding="utf-8"
    )


def main(quick: bool = False, as_json: bool = False, results: str | None = None) -> int:
    """Command-line entry: print the table (unless ``as_json``), then the JSON line."""
    if results is not None and not Path(results).is_dir():
        raise ValueError(f"--results {results!r}: the folder does not exist; create it first")
    result = run_benchmark(quick=quick, out=(lambda *_: None) if as_json else print)
    if results:
        write_results(result, results)
    summary = {k: v for k, v in result.items() if k not in ("rows", "machine")}
    print(json.dumps({k: (round(v, 6) if isinstance(v, float) else v) for k, v in summary.items()}))
    return 0
