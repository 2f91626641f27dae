"""Layout of the model's arrays: state variables, parameters and inputs, by position.

Both engines and the numpy reference index arrays through these constants, so this is the one place
where a position is defined. The names come from their sources: the genes, counts and globals from the
equations (:mod:`ipscsim.model.network`), the parameters from ``model/data/parameters.csv`` (in its row
order), the pathways from the compound registry. Each name ``X`` has a constant here: ``G_X`` (a gene's
offset in a cohort's block), ``C_X`` (a count's or level mass's offset in it), ``X_X`` (a global's
offset in the globals), ``P_X`` (a parameter's index) and ``PW_X`` (a pathway's index). The numba
kernels freeze these values when they compile; the generated kernels (``engines/network.py``) embed
them, and :data:`LAYOUT_HASH` guards the cache.

State of one run (all counts in units of the cells seeded at day 0):

* ``K`` cohorts (cells of one heterogeneity class), each a block of :data:`N_COHORT` values: the
  :data:`GENES` (gene-network levels), the :data:`COUNTS` (progenitors, then neurons by class) and
  the :data:`LEVEL_MASSES` (each neuron class's summed birth level: not cells, so not counted), the
  block of cohort ``k`` starting at ``k * N_COHORT``; the counts end at :data:`COUNTS_END`;
* then :data:`GLOBALS` (dissociation stress and the books) at ``K * N_COHORT + i``.
"""

from __future__ import annotations

import csv
import zlib
from importlib import resources

from ..protocols.compounds import PATHWAYS
from .expr import parse_block
from .network import (
    CELL,
    CELL_TYPES,
    COHORT_STATES,
    COUNTS,
    DERIVED,
    EMIT,
    ENV,
    FATES,
    GENES,
    GLOBALS,
    LEVEL_MASSES,
    MARKERS,
    NEURON_CLASSES,
    NEURON_TYPE,
    PROGENITOR_TYPES,
    SHARED,
)

__all__ = [
    "CELL_TYPES",
    "COHORT_STATES",
    "COUNTS",
    "COUNTS_END",
    "FATES",
    "GENES",
    "GLOBALS",
    "KIND_NAMES",
    "LAYOUT_HASH",
    "LEVEL_MASSES",
    "MARKERS",
    "NEURON_CLASSES",
    "N_COHORT",
    "N_COUNTS",
    "N_GENES",
    "N_GLOBALS",
    "N_PARAMS",
    "PARAM_INDEX",
    "PARAM_NAMES",
    "PROGENITOR_TYPES",
    "count_indices",
    "n_state",
]

N_GENES = len(GENES)
N_COUNTS = len(COUNTS)
#: End of a cohort's counts in its block (the cells; the level masses follow).
COUNTS_END = N_GENES + N_COUNTS
N_COHORT = COUNTS_END + len(LEVEL_MASSES)
N_GLOBALS = len(GLOBALS)
N_NEURON_CLASSES = len(NEURON_CLASSES)

#: Names of the agent-based engine's cell ``kind`` codes: 0 a progenitor, then the neuron classes.
KIND_NAMES: tuple[str, ...] = ("progenitor", *NEURON_CLASSES)
N_PROGENITOR_TYPES = len(PROGENITOR_TYPES)
N_CELL_TYPES = len(CELL_TYPES)
N_NEURON_CLASSES = len(NEURON_CLASSES)
N_MARKERS = len(MARKERS)
#: The :data:`CELL_TYPES` index of each neuron class.
NEURON_TYPE_INDEX: tuple[int, ...] = tuple(CELL_TYPES.index(NEURON_TYPE[c]) for c in NEURON_CLASSES)
N_ENV = len(ENV)
N_FATES = len(FATES)
#: The neuron class (0-based) of each fate (``fate.*``/``prog.*`` of ``CELL``).
FATE_CLASS: tuple[int, ...] = tuple(NEURON_CLASSES.index(f) for f in FATES)


def _param_names() -> tuple[str, ...]:
    text = resources.files("ipscsim.model").joinpath("data/parameters.csv").read_text("utf-8")
    return tuple(r["name"] for r in csv.DictReader(text.splitlines()))


#: Model parameters in array order: the rows of ``model/data/parameters.csv``.
PARAM_NAMES: tuple[str, ...] = _param_names()
N_PARAMS = len(PARAM_NAMES)
PARAM_INDEX: dict[str, int] = {name: i for i, name in enumerate(PARAM_NAMES)}


def _targets(text: str, kind: str | None = None) -> tuple[str, ...]:
    eqs = parse_block(text)
    if kind is None:
        return tuple(e.target for e in eqs if "." not in e.target)
    return tuple(e.target.split(".", 1)[1] for e in eqs if e.target.startswith(kind + "."))


#: Derived quantities (``DERIVED``), shared signals (``SHARED``), emissions (``EMIT``) and the cell's
#: rates (``CELL`` ``rate.*``), in the order of their arrays.
DERIVED_NAMES = _targets(DERIVED)
SHARED_NAMES = _targets(SHARED)
EMIT_NAMES = _targets(EMIT, "emit")
RATE_NAMES = _targets(CELL, "rate")
#: The cell-output array ``r``: the rates, then ``fate.*`` from :data:`R_FATE`, then ``prog.*``.
R_FATE = len(RATE_NAMES)
R_PROG = R_FATE + len(FATES)
N_R = R_PROG + len(FATES)

_constants: dict[str, int] = {}
_constants.update({f"D_{n}": i for i, n in enumerate(DERIVED_NAMES)})
_constants.update({f"S_{n}": i for i, n in enumerate(SHARED_NAMES)})
_constants.update({f"E_{n}": i for i, n in enumerate(EMIT_NAMES)})
_constants.update({f"R_{n}": i for i, n in enumerate(RATE_NAMES)})
_constants.update({f"V_{n}": i for i, n in enumerate(ENV)})
_constants.update({f"G_{g}": i for i, g in enumerate(GENES)})
_constants.update({f"C_{c}": N_GENES + i for i, c in enumerate(COHORT_STATES)})
_constants.update({f"X_{g}": i for i, g in enumerate(GLOBALS)})
_constants.update({f"P_{p}": i for i, p in enumerate(PARAM_NAMES)})
_constants.update({f"PW_{q}": i for i, q in enumerate(PATHWAYS)})
_constants.update({f"F_{f}": i for i, f in enumerate(FATES)})
globals().update(_constants)


def n_state(n_cohorts: int) -> int:
    """Length of the state vector of one run."""
    return n_cohorts * N_COHORT + N_GLOBALS


def count_indices(n_cohorts: int, counts: tuple[str, ...] = COUNTS) -> list[int]:
    """Positions in the state of the cell counts ``counts`` of every cohort.

    By default all counts (progenitors and every neuron class): their sum is the live cells.
    """
    return [k * N_COHORT + N_GENES + COUNTS.index(c) for k in range(n_cohorts) for c in counts]


# ---------------------------------------------------------------------------- inputs of a segment
#: Scalars at the head of a segment's input vector; compound concentrations follow from U_CONC.
U_T_CHANGE = 0  # day of the last media change (concentrations were nominal then)
U_FORMAT = 1  # 0 adherent, 1 suspension
U_N0 = 2  # cells seeded at day 0 (the count unit)
U_AREA = 3  # culture surface, cm^2
U_MN_HAZARD = 4  # MN death hazard ratio of the genotype with full trophic support
U_AGG = 5  # cells per aggregate (suspension)
U_CASSETTE_NIL = 6  # the line carries an inducible NGN2-ISL1-LHX3 cassette (1) or not (0)
U_CASSETTE_NGN2 = 7  # ... an inducible NGN2-only cassette
U_MN_DEPRIVATION = 8  # MN hazard ratio of the genotype's trophic-deprivation death
U_CONC = 9
#: Columns of the target table the kernels receive: one row per (compound, pathway) it acts on.
T_COMPOUND, T_PATHWAY, T_MODE, T_POTENCY, T_EFFICACY, T_DECAY = range(6)
N_TARGET_COLUMNS = 6
N_PATHWAYS = len(PATHWAYS)
MODE_AGONIST, MODE_INHIBITOR, MODE_ANTAGONIST = range(3)
#: Columns of the cohort table: heterogeneity draws (standard normal) and weight.
Z_SENS, Z_TEMPO, Z_WEIGHT = range(3)

#: Operation codes at a segment's start.
OP_NONE, OP_REPLATE, OP_AGGREGATE, OP_PLATE = range(4)

LAYOUT_HASH: int = zlib.crc32(
    repr(
        (GENES, COUNTS, LEVEL_MASSES, GLOBALS, PARAM_NAMES, PATHWAYS, U_CONC, N_TARGET_COLUMNS)
    ).encode()
)
