"""Command line: ``ipscsim protocols | run | compare | sweep | bench``.

Bad input (an unknown preset, a malformed protocol file, an invalid option) prints one line to stderr and
exits with status 2; a simulation failure exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._paths import output_path
from .errors import IpscsimError, SimulationError

__all__ = ["main"]


def _cmd_protocols(args: argparse.Namespace) -> int:
    from .protocols import get, names
    from .protocols.presets import evidence

    width = max(len(n) for n in names())
    for name in names():
        p = get(name)
        e = {k: v for k, v in evidence(p).items() if v}
        total = sum(e.values())
        source = ", ".join(f"{v} {k}" for k, v in e.items())
        sourced = e.get("verified", 0) + e.get("secondary", 0)
        warn = (
            "" if sourced * 2 >= total else " -- schedule mostly recalled or inferred, unverified"
        )
        print(f"{name:<{width}}  {p.days:>4g} d  {p.format:<10}  {p.description}")
        print(f"{'':<{width}}  steps and operations: {source}{warn}")
    return 0


_OUT_SUFFIXES = (".csv", ".parquet")
_PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def _check_path(path: str | None, suffixes: tuple[str, ...], option: str) -> None:
    if path is not None:
        output_path(path, option, suffixes, f"out{suffixes[0]}")


def _cmd_run(args: argparse.Namespace) -> int:
    from .api import simulate
    from .model.readouts import SUMMARY_FIELDS

    _check_path(args.out, _OUT_SUFFIXES, "--out")
    _check_path(args.plot, _PLOT_SUFFIXES, "--plot")
    result = simulate(
        args.protocol, engine=_engine(args), days=args.days, seed=args.seed,
        genotype=args.genotype, params=args.params,
    )  # fmt: skip
    summary = result.summary()
    print(
        f"ipscsim {result.meta['version']}: {summary.name} ({result.meta['engine']} engine, "
        f"days 0-{result.days[-1]:g}, genotype {args.genotype})"
    )
    width = max(map(len, summary.index))
    for key, value in summary.items():
        print(f"  {key:<{width}} {value:>12.4g}   {SUMMARY_FIELDS[key]}")
    timing = result.stage_timing()
    print("  stage markers, day first on 10% of cells / day of peak (+: still rising at the end):")
    print(
        "    "
        + "   ".join(
            f"{m} {_day(r.onset)}/{_day(r.peak)}{'+' if r.rising else ''}"
            for m, r in timing.iterrows()
        )
    )
    if args.out:
        out = Path(args.out)
        (result.to_parquet if out.suffix.lower() == ".parquet" else result.to_csv)(out)
        print(f"wrote {out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        fig = result.plot()
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0


def _day(v: float) -> str:
    return "-" if v != v else f"{v:.1f}"  # NaN: never


def _engine(args: argparse.Namespace):
    """The engine the options ask for: the ODE engine, or the agent-based one with ``--cells``."""
    from .solvers import ABM, ODE

    if args.engine == "abm":
        return ABM(n_cells=args.cells)
    if args.cells is not None:
        raise ValueError("--cells: only the agent-based engine has cells; add --engine abm")
    return ODE()


#: The summary fields ``ipscsim compare`` prints.
_COMPARED = ("mn_fraction", "mn_yield", "interneuron_fraction", "glia_fraction",
             "offtarget_fraction", "residual_pluripotent_per_million", "day_mn_half")  # fmt: skip


def _cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from .api import simulate_batch
    from .protocols.presets import as_protocol

    _check_path(args.plot, _PLOT_SUFFIXES, "--plot")
    a, b = as_protocol(args.a), as_protocol(args.b)
    print(f"ipscsim compare: {a.name} (a) and {b.name} (b)")
    changes = a.diff(b)
    if changes.empty:
        print("  the schedules are the same")
    else:
        print(changes.to_string(index=False))
    ra, rb = simulate_batch([a, b], days=args.days)
    table = pd.DataFrame({"a": ra.summary(), "b": rb.summary()}).loc[list(_COMPARED)]
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from .plot.compare import plot_comparison

        fig = plot_comparison([ra, rb], ["pMN", "MN", "interneuron"], labels=[a.name, b.name])
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep.spec import sweep_from_spec

    sweep = sweep_from_spec(args.spec)
    result = sweep.run(
        executor=args.scheduler, n_jobs=args.n_jobs, store=args.store, progress=not args.no_progress
    )
    table = result.to_dataframe()
    n_ok = int((table["status"] == "ok").sum())
    print(
        f"ipscsim sweep: {sweep.protocol.name}, {len(table)} runs ({n_ok} ok, "
        f"{len(table) - n_ok} failed or invalid); store {args.store}"
    )
    first = sweep.readouts[0].name
    if n_ok:
        best = result.best(first)
        knobs = ", ".join(f"{k} = {best[k]:g}" for k in result.inputs)
        print(f"  best {first}: {best[first]:.4g} at {knobs}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .benchmarking import main as bench_main

    return bench_main(quick=args.quick, as_json=args.json, results=args.results)


def _add_run(sub: argparse._SubParsersAction) -> None:
    """The ``run`` command and its options."""
    r = sub.add_parser(
        "run",
        help="simulate a preset or a protocol file and print its summary",
        epilog="examples: ipscsim run maury2015 --plot maury2015.png; ipscsim run my_protocol.toml "
        "--days 21 --out run.csv; ipscsim run chambers2009 --engine abm --cells 5000",
    )
    r.add_argument("protocol", help="preset name (see 'ipscsim protocols') or a .toml/.json file")
    r.add_argument(
        "--days", type=float, default=None, help="days to simulate (default: protocol's)"
    )
    r.add_argument("--out", default=None, help="write the time courses (.csv or .parquet)")
    r.add_argument("--plot", default=None, help="write a figure (.png, .pdf or .svg)")
    r.add_argument("--seed", type=int, default=None, help="seed recorded in the result")
    r.add_argument(
        "--genotype", default="control", help="control, SOD1_A4V, C9orf72, TARDBP_M337V or FUS"
    )
    r.add_argument("--params", default=None, help="TOML file of parameter overrides")
    r.add_argument(
        "--engine",
        choices=("ode", "abm"),
        default="ode",
        help="ode (default) or abm (single cells)",
    )
    r.add_argument("--cells", type=int, default=None, help="cells of the agent-based engine")
    r.set_defaults(func=_cmd_run)


def _add_others(sub: argparse._SubParsersAction) -> None:
    """The ``compare``, ``sweep`` and ``bench`` commands and their options."""
    c = sub.add_parser(
        "compare",
        help="what differs between two protocols, and their outcomes side by side",
        epilog="example: ipscsim compare maury2015 du2015 --plot compare.png",
    )
    c.add_argument("a", help="preset name or protocol file")
    c.add_argument("b", help="preset name or protocol file")
    c.add_argument("--days", type=float, default=None, help="days to simulate both (default: own)")
    c.add_argument("--plot", default=None, help="write a figure of both (.png, .pdf or .svg)")
    c.set_defaults(func=_cmd_compare)
    w = sub.add_parser(
        "sweep",
        help="run a sweep from a TOML spec into a resumable Parquet store",
        epilog="example: ipscsim sweep sweep.toml --store runs  (a spec to copy: "
        "python -c \"import ipscsim; print(ipscsim.examples.path('sweep.toml'))\")",
    )
    w.add_argument("spec", help="sweep spec file (see ipscsim.sweep.spec)")
    w.add_argument("--store", required=True, help="store directory (rerunning resumes it)")
    w.add_argument(
        "--scheduler", default=None, help="Dask scheduler address (default: this machine)"
    )
    w.add_argument("--n-jobs", type=int, default=None, help="threads of the embedded engine")
    w.add_argument("--no-progress", action="store_true", help="no progress bar")
    w.set_defaults(func=_cmd_sweep)
    b = sub.add_parser(
        "bench",
        help="time the ODE engine against scipy, numbalsoda and libRoadRunner (ratios in one run)",
        epilog="example: ipscsim bench --quick",
    )
    b.add_argument("--quick", action="store_true", help="a short run (within five minutes)")
    b.add_argument("--json", action="store_true", help="print only the JSON line")
    b.add_argument(
        "--results", default=None, help="folder to write RESULTS.md and results.json into"
    )
    b.set_defaults(func=_cmd_bench)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ipscsim",
        description="Simulate iPSC to motor neuron differentiation protocols.",
    )
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"ipscsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "protocols", help="list the preset protocols", epilog="example: ipscsim protocols"
    )
    p.set_defaults(func=_cmd_protocols)
    _add_run(sub)
    _add_others(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a usage line
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except SimulationError as exc:
        print(f"ipscsim: error: {exc}", file=sys.stderr)
        return 1
    except (IpscsimError, ValueError, OSError) as exc:
        print(f"ipscsim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
