"""ipscsim's ODE engine side by side with the tools a modeller would otherwise pick (``ipscsim bench``).

Every comparison integrates the same model (maury2015, 12 cohorts, 413 states) with the same
tolerances (``rtol=1e-6``, ``atol=1e-9``) on the same machine in one run, and checks that the final
states agree with ipscsim's (single simulations and every ensemble member) before any time is
compared. Single simulations are medians over repeats; ensembles medians of three timed passes
(libRoadRunner's, the slowest by far, one pass):

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

from . import peers as peers
from .peers import scipy_run
from .run import AGREE as AGREE
from .run import format_table as format_table
from .run import machine, main, run_benchmark, write_results

__all__ = ["machine", "main", "run_benchmark", "scipy_run", "write_results"]
