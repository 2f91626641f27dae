"""ipscsim's ODE engine side by side with the tools a modeller would otherwise pick (``ipscsim bench``).

Every comparison integrates the same model (maury2015, 12 cohorts, 204 states) with the same
tolerances (``rtol=1e-6``, ``atol=1e-9``) on the same machine in one run, and checks that the final
states agree with ipscsim's (single simulations and every ensemble member) before any time is
compared. Single simulations are medians over repeats; each ensemble is one timed pass:

* one simulation: ipscsim against scipy ``solve_ivp`` (LSODA, BDF, RK45) on the numpy right-hand side,
  numbalsoda (LSODA, DOP853) on the compiled right-hand side as a C callback, and libRoadRunner (CVODE
  BDF, its default, and Adams) on the SBML export;
* ensembles of parameter sets (each parameter times ``exp(0.1 z)``): ipscsim's batch engine on one
  thread and on two (``thread_scaling``) and all cores, numbalsoda in a numba ``prange`` loop and
  libRoadRunner in a process pool, each with the method that won its single simulation;
* the practical lower bound: the compiled right-hand side's cost per evaluation times the evaluations
  ipscsim's integrator needed; ipscsim's time as a multiple of it.

Speed-ups are against each peer's fastest configuration. A peer that cannot run here is a row that says
why. The last line printed is one JSON object (``speedup_vs_scipy_lsoda``, ``speedup_vs_numbalsoda``,
``speedup_vs_roadrunner``, ``x_lower_bound``, ``thread_scaling`` and the raw times).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from .peers import scipy_run

__all__ = ["machine", "main", "run_benchmark", "scipy_run", "write_results"]

#: Largest relative difference of final states (on a floor of 1e-6 of the seeding) that counts as
#: agreement at ``rtol=1e-6``: the integrators' own errors accumulate over maury2015's 14 days and 8
#: segments (measured: at most 5.2e-5).
AGREE = 1e-3


def machine() -> dict[str, Any]:
    """A description of this machine and software, for the results."""
    import scipy

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
        "date": _dt.date.today().isoformat(),
    }


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-6)))


def _fresh_process(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return float(out.stdout.strip().splitlines()[-1])


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


def _lower_bound(prob, nfev: int) -> float:
    """Seconds for ``nfev`` compiled right-hand-side evaluations at states along the trajectory."""
    from ..engines import ode
    from ..engines.kernels import work_size

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
    return float(np.mean(per_eval)) * nfev


def run_benchmark(quick: bool = False, out=print) -> dict[str, Any]:
    """Run every comparison; print a table through ``out``; return the numbers (and the rows)."""
    from .. import export
    from ..engines import ode
    from ..engines.threads import get_threads
    from . import peers
    from .problem import parameter_sets, problem

    prob = problem()
    avail = peers.availability()
    table = _Table()
    cp = prob.cp
    rec = np.array([0.0, prob.days])
    reps = 20 if quick else 100

    # ------------------------------------------------------------------ one simulation
    def ours():
        return ode.run(
            prob.y0, prob.p, cp.t, cp.u, cp.op, cp.op_count, prob.comp, prob.nodes, rec,
            prob.rtol, prob.atol, 10**6,
        )  # fmt: skip

    records, stats, status = ours()  # warm-up (compiles or loads the cache)
    if status != 0:
        raise RuntimeError(f"ipscsim failed on {prob.name} (status {status})")
    final = records[-1]
    single, _ = peers.timed(ours, reps)
    nfev = int(stats[0])
    sec = "one simulation"
    table.add(sec, "ipscsim (DOPRI5, compiled)", single, single, f"{nfev} RHS evaluations")
    lower = _lower_bound(prob, nfev)
    table.add(
        sec, "lower bound: compiled RHS cost x evaluations", lower, single, f"{nfev} evaluations"
    )

    speed: dict[str, float | None] = {}
    agree: dict[str, float] = {}
    best: dict[str, float] = {}
    for method in ("LSODA", "BDF", "RK45"):
        y, nf = scipy_run(cp, prob.nodes, prob.p, prob.comp, prob.y0, method, prob.rtol, prob.atol)
        agree[f"scipy_{method}"] = d = _rel(y, final)
        t, _ = peers.timed(
            lambda m=method: scipy_run(
                cp, prob.nodes, prob.p, prob.comp, prob.y0, m, prob.rtol, prob.atol
            ),
            1 if quick else 3,
        )
        table.add(
            sec,
            f"scipy solve_ivp {method} + numpy RHS",
            t,
            single,
            f"{nf} RHS evaluations; agree {d:.1e}",
        )
        speed[f"scipy_{method}"] = t

    nb_best = "lsoda"
    if avail["numbalsoda"] is None:
        for method in ("lsoda", "dop853"):
            y, nf = peers.numbalsoda_run(prob, method)  # compiles the cfunc and the driver
            agree[f"numbalsoda_{method}"] = d = _rel(y, final)
            t, _ = peers.timed(lambda m=method: peers.numbalsoda_run(prob, m), 5 if quick else 20)
            table.add(
                sec,
                f"numbalsoda {method.upper()} + compiled RHS (cfunc)",
                t,
                single,
                f"{nf} RHS evaluations; agree {d:.1e}",
            )
            speed[f"numbalsoda_{method}"] = t
            if t < best.get("numbalsoda", np.inf):
                best["numbalsoda"] = t
                nb_best = method
    else:
        table.add(sec, "numbalsoda", None, None, avail["numbalsoda"])

    sbml = None
    rr_best_stiff = True
    if avail["roadrunner"] is None:
        sbml = export.sbml(prob.name)
        t0 = time.perf_counter()
        rr = peers.roadrunner_model(sbml, prob.rtol, prob.atol)
        load = time.perf_counter() - t0
        for stiff, label in ((True, "BDF (default)"), (False, "Adams")):
            rr.integrator.stiff = stiff
            key = f"roadrunner_{'bdf' if stiff else 'adams'}"
            y = peers.roadrunner_run(rr, prob)
            agree[key] = d = _rel(y, final)
            t, _ = peers.timed(lambda: peers.roadrunner_run(rr, prob), 2 if quick else 10)
            table.add(
                sec, f"libRoadRunner CVODE {label} + SBML export", t, single,
                f"agree {d:.1e}; loading the model (LLVM) took {load:.1f} s once, not included",
            )  # fmt: skip
            speed[key] = t
            if t < best.get("roadrunner", np.inf):
                best["roadrunner"] = t
                rr_best_stiff = stiff
    else:
        table.add(sec, "libRoadRunner", None, None, avail["roadrunner"])
    disagree = {k: v for k, v in agree.items() if v > AGREE}
    if disagree:
        raise RuntimeError(f"final states disagree with ipscsim beyond {AGREE:g}: {disagree}")

    # ------------------------------------------------------------------ ensembles
    # each peer runs the method that won its single simulation; ipscsim's rows time the engine on
    # runs prepared beforehand (simulate_batch adds ~0.15 ms per run of validation and Result objects)
    threads = get_threads()
    two = min(2, threads)
    sizes = [200] if quick else [1000, 10_000]
    ens: dict[int, dict[str, float]] = {}
    rr_ens: dict[int, tuple[float, float, int, str]] = {}
    rr_label = "BDF" if rr_best_stiff else "Adams"
    for n in sizes:
        sec = f"ensemble of {n:,} parameter sets, per simulation (one timed pass each)"
        ps = parameter_sets(prob, n)
        runs = _prepared(prob, ps)
        t1, _ = _batch_time(runs, 1)
        t2, states_ours = _batch_time(runs, two)
        tall = t2 if threads == two else _batch_time(runs, threads)[0]
        table.add(sec, "ipscsim batch, 1 thread", t1, tall)
        table.add(sec, f"ipscsim batch, {two} threads", t2, tall)
        if threads != two:
            table.add(sec, f"ipscsim batch, {threads} threads", tall, tall)
        ens[n] = {"ipscsim_1t": t1, "ipscsim_all": tall, "thread_scaling": t1 / t2}
        if avail["numbalsoda"] is None:
            t0 = time.perf_counter()
            states, ok, _ = peers.numbalsoda_ensemble(prob, ps, nb_best)
            tn = (time.perf_counter() - t0) / n
            note = _check(_ens_agree(states[ok], states_ours[ok]), f"numbalsoda ensemble of {n}")
            table.add(
                sec, f"numbalsoda {nb_best.upper()}, numba prange, {threads} threads", tn, tall,
                f"{int((~ok).sum())} failed; {note}",
            )  # fmt: skip
            ens[n]["numbalsoda_all"] = tn
        else:
            table.add(sec, "numbalsoda", None, None, avail["numbalsoda"])
        if sbml is not None:
            # the parameter sets of a larger ensemble begin with those of a smaller one (same seed)
            m = min(n, 100 if quick else 1000)
            if m not in rr_ens:
                t0 = time.perf_counter()
                states, load = peers.roadrunner_ensemble(sbml, prob, ps[:m], threads, rr_best_stiff)
                good = ~np.isnan(states).any(axis=1)
                d = _check(_ens_agree(states[good], states_ours[:m][good]), f"libRoadRunner, {m}")
                rr_ens[m] = ((time.perf_counter() - t0 - load) / m, load, int((~good).sum()), d)
            tr, load, failed, d = rr_ens[m]
            note = f"{threads} processes; plus {load:.0f} s to start the pool and load the model"
            if m < n:
                note += f"; measured on the first {m:,} of the {n:,} sets"
            table.add(
                sec, f"libRoadRunner CVODE {rr_label}, process pool", tr, tall,
                f"{note}; {failed} failed; {d}",
            )  # fmt: skip
            ens[n]["roadrunner_all"] = tr
        else:
            table.add(sec, "libRoadRunner", None, None, avail["roadrunner"])

    # ------------------------------------------------------------------ start-up
    import_s = median(
        _fresh_process(
            "import time; t = time.perf_counter(); import ipscsim; print(time.perf_counter() - t)"
        )
        for _ in range(3)
    )
    first_s = _fresh_process(
        "import time; t = time.perf_counter(); import ipscsim as ips; ips.simulate('maury2015'); "
        "print(time.perf_counter() - t)"
    )
    sec = "start-up (fresh process)"
    table.add(sec, "import ipscsim", import_s, None)
    table.add(sec, "import + first simulation (numba cache warm)", first_s, None)

    largest = ens[sizes[-1]]
    result: dict[str, Any] = {
        "speedup_vs_scipy_lsoda": speed["scipy_LSODA"] / single,
        "speedup_vs_numbalsoda": best["numbalsoda"] / single if "numbalsoda" in best else None,
        "speedup_vs_roadrunner": best["roadrunner"] / single if "roadrunner" in best else None,
        "x_lower_bound": single / lower,
        "thread_scaling": largest["thread_scaling"],
        "single_s": single,
        "lower_bound_s": lower,
        "nfev_ipscsim": nfev,
        **{f"{k}_s": v for k, v in speed.items()},
        "batch_size": sizes[-1],
        "threads": threads,
        "batch_per_sim_1t_s": largest["ipscsim_1t"],
        "batch_per_sim_s": largest["ipscsim_all"],
        "ensemble_speedup_vs_numbalsoda": (
            largest["numbalsoda_all"] / largest["ipscsim_all"]
            if "numbalsoda_all" in largest
            else None
        ),
        "ensemble_speedup_vs_roadrunner": (
            largest["roadrunner_all"] / largest["ipscsim_all"]
            if "roadrunner_all" in largest
            else None
        ),
        "import_s": import_s,
        "first_sim_s": first_s,
        "final_state_max_rel_diff": max(agree.values()),
        "unavailable": {k: v for k, v in avail.items() if v is not None},
        "quick": quick,
        "machine": machine(),
        "rows": table.rows,
    }
    for line in format_table(result):
        out(line)
    return result


def _prepared(prob, ps: np.ndarray) -> list:
    """The runs of an ensemble, validated and compiled (outside the timed part)."""
    from ..api import prepare_run

    return [prepare_run(prob.name, p, None, "control", prob.nodes.shape[0], prob.days) for p in ps]


def _batch_time(runs: list, n_threads: int, cohorts: int = 12) -> tuple[float, np.ndarray]:
    """Per-simulation wall time of ipscsim's batch engine on ``n_threads``, and the final states."""
    from ..api import integrate

    integrate(runs[:2], cohorts, n_threads)  # warm-up
    t0 = time.perf_counter()
    out = integrate(runs, cohorts, n_threads, rtol=1e-6, atol=1e-9)
    wall = (time.perf_counter() - t0) / len(runs)
    if np.any(out.status != 0):
        bad = int(np.flatnonzero(out.status != 0)[0])
        raise RuntimeError(f"ipscsim failed on ensemble run {bad}: {out.message(bad)}")
    return wall, np.array([r[-1] for r in out.records])


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


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def format_table(result: dict[str, Any]) -> list[str]:
    """The results as Markdown lines (a header, then one table per section, then the targets)."""
    m = result["machine"]
    lines = [
        f"Protocol maury2015, 12 cohorts (204 states), rtol=1e-6, atol=1e-9; {m['cpu']}, {m['cores']} "
        f"cores; python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, numba {m['numba']}; "
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
        ("speed-up over scipy LSODA", "speedup_vs_scipy_lsoda", 100.0, True),
        ("speed-up over numbalsoda (fastest method)", "speedup_vs_numbalsoda", 2.0, True),
        ("speed-up over libRoadRunner (fastest method)", "speedup_vs_roadrunner", 10.0, True),
        ("time / lower bound", "x_lower_bound", 2.0, False),
        ("two cores over one (ensemble)", "thread_scaling", 1.8, True),
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
