"""ODE benchmark: ipscsim against scipy, numbalsoda and libRoadRunner on maury2015 (ratios in one run).

Usage: ``python benchmarks/bench_ode.py [--quick] [--json] [--results FOLDER]`` (also ``ipscsim bench``);
see :mod:`ipscsim.benchmarking` for what is measured. ``benchmarks/run_all.py`` adds the other benchmarks
and writes ``benchmarks/RESULTS.md``.
"""

import argparse
import sys

from ipscsim.benchmarking import main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, within five minutes")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--results", default=None, help="folder for RESULTS.md and results.json")
    args = parser.parse_args()
    sys.exit(main(quick=args.quick, as_json=args.json, results=args.results))
