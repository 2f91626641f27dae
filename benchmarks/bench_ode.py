"""ODE benchmark: ipscsim against scipy's solve_ivp (LSODA) on maury2015; see ipscsim.benchmarking.

Usage: ``python benchmarks/bench_ode.py [--quick] [--json]`` (also ``ipscsim bench``).
"""

import argparse
import sys

from ipscsim.benchmarking import main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="finish within a minute")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    sys.exit(main(quick=args.quick, as_json=args.json))
