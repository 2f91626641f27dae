r"""Write one protocol run of the ODE model as an SBML Level 3 Version 1 (core) document.

The document is the model the ODE engine integrates (:mod:`ipscsim.engines.kernels`, whose equations
:mod:`ipscsim.model.reference` states in numpy), written out for one protocol, one parameter set, one
genotype and ``K`` heterogeneity cohorts:

* every model parameter is a constant SBML parameter ``p_<name>``; each cohort's morphogen sensitivity
  ``phi_<i>`` and tempo ``theta_<i>`` are initial assignments from ``p_sigma_sensitivity``,
  ``p_sigma_tempo`` and the cohort's standard-normal draws ``zs_<i>``, ``zt_<i>``, so changing a
  parameter in COPASI or Tellurium changes the model as it does in ipscsim;
* the state (:func:`state_ids`: ``c<i>_<GENE>`` for the genes, ``c<i>_<COUNT>`` for the
  progenitor and neuron counts and ``c<i>_LV_<class>`` for the neurons' level masses of cohort ``i``,
  then dissociation stress and bookkeeping) are
  parameters with rate rules; every intermediate quantity (compound concentrations, pathway inputs,
  the equations' locals and outputs) is an assignment rule named after the equation it comes from
  (:mod:`ipscsim.model.network`, translated by :mod:`ipscsim.export.sbml_equations`: a local ``x`` of
  cohort ``i`` is ``x_<i>``, a shared one ``sh_x``, one the medium alone sets ``m_x``, a
  parameter ``p_x``);
* the protocol's schedule is piecewise in time: each compound's concentration decays from its nominal
  value at the last media change, ``conc_<compound> = nominal_<compound> * exp(-kdec_<compound> *
  (time - t_change))`` (nM), and an event at
  every segment boundary (media change, step edge, operation) sets the new nominal concentrations,
  ``t_change`` and the culture format, and applies a replating or aggregation to the state (all cell
  counts, and the level masses with them, scaled to the seeded number, ``LINEAGE`` and
  ``CUM_REPLATED`` kept, stress set to 1), exactly as :func:`ipscsim.engines.ode.apply_operation`
  does.

SBML has no error function, so the fate gate :math:`\Phi(\ln(x/\theta)/\sigma)` uses the Chebyshev
approximation of erfc of *Numerical Recipes* (``erfcc``, fractional error below 1.2e-7 everywhere).
The right-hand side has no branches: ``max(a, b)`` is ``(a + b + |a - b|) / 2`` (Level 3 Version 1 has
no ``max``), the format switches are ``fmt``-weighted sums and divisions by a population carry
``+ 1e-300``, because ``piecewise`` defeats libRoadRunner's caching of assignment rules and made its
simulation 4 to 16 times slower (maury2015, Adams and BDF). Only the compounds the protocol uses
appear. Days are the time unit (a unit definition of 86,400 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._paths import output_path
from ..errors import ParameterError
from ..model import layout as L
from ..model.expr import free_names, is_zero
from ..model.network import COHORT_STATES, COUNTS, ENV, GENES, GLOBALS, LEVEL_MASSES, network
from .sbml_equations import formula, sid_of
from .sbml_writer import _ERFCC, _FUNCTIONS, _erfcc_functions, _libsbml, _num, _sid, _Writer

__all__ = ["erfc_approx", "ode_params", "sbml", "state_ids"]


def ode_params() -> tuple[str, ...]:
    """Parameters the ODE model reads (the equations' and the engine's own), in array order."""
    net = network()
    used = set()
    for eqs in (net.derived, net.medium, net.emit, net.shared, net.cell, net.cohort, net.global_):
        for e in eqs:
            used |= free_names(e.expr)
    used |= {"sigma_sensitivity", "sigma_tempo", "capacity_adherent", "capacity_suspension"}
    return tuple(n for n in L.PARAM_NAMES if n in used)


#: Model parameters the ODE engine reads.
_ODE_PARAMS = ode_params()


def readout_params() -> tuple[str, ...]:
    """Parameters only the readouts read (the gating thresholds), in array order."""
    net = network()
    used = set()
    for e in (*net.readout, *net.neuron):
        used |= free_names(e.expr)
    return tuple(n for n in L.PARAM_NAMES if n in used and n not in _ODE_PARAMS)


def erfc_approx(x: np.ndarray | float) -> np.ndarray:
    """The erfc approximation the SBML document uses, written as its ``erfc_nr`` (numpy; for tests)."""
    x = np.asarray(x, dtype=float)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = np.zeros_like(a)
    for c in reversed(_ERFCC):
        poly = c + t * poly
    v = t * np.exp(-a * a + poly)
    return v + (1.0 - x / (a + 1e-300)) * (1.0 - v)  # the document's formula, op for op


def state_ids(cohorts: int = 12) -> list[str]:
    """SBML identifiers of the state variables, in the order of the engine's state vector.

    Args:
        cohorts: Heterogeneity cohorts of the exported model.

    Returns:
        ``c<i>_<GENE>``, ``c<i>_<COUNT>`` and ``c<i>_LV_<class>`` for each cohort ``i``
        (:data:`~ipscsim.model.layout.GENES`, :data:`~ipscsim.model.layout.COUNTS`,
        :data:`~ipscsim.model.layout.LEVEL_MASSES`), then :data:`~ipscsim.model.layout.GLOBALS`.
    """
    per = (*GENES, *COHORT_STATES)
    return [f"c{i}_{g}" for i in range(cohorts) for g in per] + list(GLOBALS)


def sbml(
    protocol: Any,
    params: Any = None,
    path: str | Path | None = None,
    *,
    days: float | None = None,
    genotype: str = "control",
    cohorts: int = 12,
    readouts: Any = False,
) -> str:
    """Export one protocol run of the ODE model as SBML Level 3 Version 1.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`, preset name, protocol file or dict.
        params: Parameter overrides, as for :func:`ipscsim.simulate`.
        path: Where to write the document (``.xml`` or ``.sbml``); ``None`` writes nothing.
        days: Days the schedule covers (default: the protocol's duration; longer runs continue in its
            basal medium with media changes at the protocol's rhythm, as in :func:`ipscsim.simulate`).
        genotype: MN genotype (its MN death hazard ratio becomes the constant ``mn_hazard``).
        cohorts: Heterogeneity cohorts (the ODE engine's ``cohorts``).
        readouts: Also write readouts as assignment rules: ``True`` for all, or a list of cell
            types, markers and ``"neurons"``; ``frac_<name>`` is the fraction of live cells that
            ``Result.fractions`` and ``Result.markers`` give (:mod:`ipscsim.export.sbml_readouts`).

    Returns:
        The SBML document as a string. Simulated from day 0 to ``days`` by an SBML tool, its state
        variables (:func:`state_ids`) follow :func:`ipscsim.simulate`'s ``Result.records``.

    Raises:
        ProtocolError: for an invalid protocol. ParameterError: for invalid parameters or cohorts.
        ValueError: for a path that does not end in ``.xml`` or ``.sbml`` or whose folder is missing.
        ImportError: when python-libsbml is not installed (the message says how to install it).
    """
    from ..model.prepare import prepare_run

    _check_path(path)
    run = prepare_run(protocol, params, days, genotype, cohorts)
    text = _document(_libsbml(), run, genotype, cohorts, _readout_list(readouts))
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def _check_path(path: str | Path | None) -> None:
    """Raise a ParameterError for a path that does not end in ``.xml``/``.sbml`` or cannot be written."""
    if path is not None:
        output_path(path, "path", (".xml", ".sbml"), "model.xml")


def _readout_list(readouts: Any) -> list[str]:
    """The readouts to write: none, all (``True``) or those named (checked)."""
    from .sbml_readouts import READOUTS

    if readouts is False or readouts is None:
        return []
    if readouts is True:
        return list(READOUTS)
    names = [readouts] if isinstance(readouts, str) else list(readouts)
    bad = [n for n in names if n not in READOUTS]
    if bad:
        raise ParameterError(
            f"readouts: {bad[0]!r} is not a cell type, a marker or 'neurons' (see "
            "ipscsim.export.sbml_readouts.READOUTS)"
        )
    return names


def _document(libsbml: Any, run: Any, genotype: str, k: int, readouts: list[str]) -> str:
    """The SBML text of a prepared run, written section by section in the document's order."""
    from ..model.cohorts import cohort_nodes
    from ..protocols.compounds import registry

    cp = run.compiled
    reg = list(registry())
    w = _new_writer(libsbml, run.protocol.name, genotype, k)
    _parameters(w, run.params, cohort_nodes(k), cp.u[0], genotype)
    if readouts:  # (a few unused parameters are harmless)
        for name in readout_params():
            w.param(f"p_{name}", run.params[L.PARAM_INDEX[name]], True)
    used = _pharmacology(w, cp, reg)
    _state(w, run, k)
    _culture(w, k)
    for i in range(k):
        _cohort(w, i)
    _globals(w, k)
    if readouts:
        from .sbml_readouts import emit_readouts

        emit_readouts(w, lambda i: _rename(i, "CELL"), k, readouts)
    _schedule(w, cp, used, reg, k)
    return w.write()


# ---------------------------------------------------------------------- names


def _rename(i: int | None, section: str) -> Any:
    """The identifier of each name an equation of ``section`` (of cohort ``i``) reads."""
    net = network()
    derived = set(net.locals_(net.derived))
    shared = set(net.locals_(net.shared))
    medium = set(net.locals_(net.medium))
    params = set(L.PARAM_NAMES)

    def rename(name: str) -> str:
        if name in derived:
            return f"d_{name}"
        if name in medium:
            return f"m_{name}"
        if name in params:
            return f"p_{name}"
        if name in shared and section != "SHARED_LOCAL":
            return f"sh_{name}"
        if i is not None and (name in GENES or name in COUNTS or name in LEVEL_MASSES):
            return f"c{i}_{name}"
        if name in ("phi", "theta"):
            return f"{name}_{i}"
        if name in ENV or name in GLOBALS or name[:2] in ("A_", "F_", "Z_"):
            return name
        if "." in name and i is not None:
            return f"{sid_of(name)}_{i}"
        if "." in name:
            return sid_of(name)
        return f"{name}_{i}" if i is not None else f"sh_{name}"

    return rename


def _emit_section(w: _Writer, eqs: Any, i: int | None, rates: dict[str, str] | None = None) -> None:
    """Write a section's equations: derivatives as rate rules, everything else as assignment rules."""
    rename = _rename(i, "CELL")
    for e in eqs:
        text = formula(e.expr, rename)
        if e.target.startswith("d.") and is_zero(e.expr):
            continue  # a state only events change (LINEAGE, CUM_REPLATED): no rate rule
        if e.target.startswith("d."):
            state = e.target[2:]
            w.rate(f"c{i}_{state}" if i is not None and state not in GLOBALS else state, text)
        else:
            w.rule(rename(e.target), text, e.doc or None)


# ---------------------------------------------------------------------- units, functions, parameters


def _new_writer(libsbml: Any, protocol_name: str, genotype: str, k: int) -> _Writer:
    """A writer for a new document: the model, its day unit and the function definitions."""
    from .._version import __version__

    w = _Writer(
        libsbml,
        _sid(f"ipscsim_{protocol_name}"),
        f"ipscsim {__version__}: {protocol_name}, {genotype}, {k} cohorts",
    )
    for fid, formula_text in {**_FUNCTIONS, **_erfcc_functions()}.items():
        w.function(fid, formula_text)
    return w


def _parameters(
    w: _Writer, p: np.ndarray, nodes: np.ndarray, u0: np.ndarray, genotype: str
) -> None:
    """The model parameters, the derived values, each cohort's draws, the culture's constants."""
    for name in _ODE_PARAMS:
        w.param(f"p_{name}", p[L.PARAM_INDEX[name]], True)
    _emit_section(w, network().derived, None)
    for i in range(nodes.shape[0]):
        w.param(f"zs_{i}", nodes[i, L.Z_SENS], True, f"cohort {i} sensitivity draw")
        w.param(f"zt_{i}", nodes[i, L.Z_TEMPO], True, f"cohort {i} tempo draw")
        w.param(f"phi_{i}", float(np.exp(p[L.P_sigma_sensitivity] * nodes[i, L.Z_SENS])), True)
        w.initial(f"phi_{i}", f"exp(p_sigma_sensitivity * zs_{i})")
        w.param(f"theta_{i}", float(np.exp(p[L.P_sigma_tempo] * nodes[i, L.Z_TEMPO])), True)
        w.initial(f"theta_{i}", f"exp(p_sigma_tempo * zt_{i})")
    w.param("seeded", u0[L.U_N0], True, "cells seeded at day 0 (the count unit)")
    w.param("area", u0[L.U_AREA], True, "culture surface (cm^2)")
    w.param("mn_hazard", u0[L.U_MN_HAZARD], True, f"MN death hazard ratio of {genotype}")
    w.param(
        "mn_deprivation",
        u0[L.U_MN_DEPRIVATION],
        True,
        f"MN hazard ratio of death by trophic deprivation of {genotype}",
    )
    w.param("agg", u0[L.U_AGG], True, "cells per aggregate")
    w.param(
        "cassette_nil", u0[L.U_CASSETTE_NIL], True, "the line carries an NGN2-ISL1-LHX3 cassette"
    )
    w.param("cassette_ngn2", u0[L.U_CASSETTE_NGN2], True, "the line carries an NGN2 cassette")
    w.param("t_change", u0[L.U_T_CHANGE], False, "day of the last media change")
    w.param("fmt", u0[L.U_FORMAT], False, "culture format: 0 adherent, 1 suspension")


# ---------------------------------------------------------------------- medium and pharmacology


def _pharmacology(w: _Writer, cp: Any, reg: list) -> list[int]:
    """The compounds the run uses and the pathway inputs (one term per target); their indices."""
    from ..model.pharmacology import compound_table
    from ..protocols.compounds import MODES, PATHWAYS

    comp = compound_table()
    u0 = cp.u[0]
    used = [j for j in range(len(reg)) if np.any(cp.u[:, L.U_CONC + j] != 0.0)]
    terms: dict[str, list[list[str]]] = {mode: [[] for _ in PATHWAYS] for mode in MODES}
    for j in used:
        cid = _sid(reg[j].name)
        w.param(f"nominal_{cid}", u0[L.U_CONC + j], False, f"{reg[j].name} at the last change (nM)")
        w.param(f"kdec_{cid}", reg[j].decay_rate, True, f"{reg[j].name} decay rate (1/day)")
        w.rule(f"conc_{cid}", f"nominal_{cid} * exp(-kdec_{cid} * (time - t_change))", "nM")
        for row in comp[comp[:, L.T_COMPOUND] == j]:
            q, mode = int(row[L.T_PATHWAY]), MODES[int(row[L.T_MODE])]
            kid = f"K_{cid}_{PATHWAYS[q]}"
            w.param(kid, row[L.T_POTENCY], True, f"{reg[j].name} potency on {PATHWAYS[q]} (nM)")
            ratio = f"conc_{cid} / {kid}"
            terms[mode][q].append(
                f"{_num(row[L.T_EFFICACY])} * {ratio}" if mode == "agonist" else ratio
            )
    agon, inhib, antag = terms["agonist"], terms["inhibitor"], terms["antagonist"]
    for q, pw in enumerate(PATHWAYS):
        w.rule(f"A_{pw}", " + ".join(agon[q]) or "0", f"{pw} agonist input (EC50 units)")
        w.rule(f"F_{pw}", f"1 / (1 + {' + '.join(inhib[q]) or '0'})", f"{pw} free fraction")
        w.rule(f"Z_{pw}", f"1 + {' + '.join(antag[q]) or '0'}", f"{pw} antagonist divisor")
    return used


# ---------------------------------------------------------------------- state, culture, cohorts


def _state(w: _Writer, run: Any, k: int) -> None:
    """The state variables at day 0 (after an operation the schedule puts at day 0)."""
    from ..engines.ode import apply_operation

    cp = run.compiled
    y0 = run.y0.copy()
    if cp.op[0] != L.OP_NONE:  # an operation at day 0 acts on the initial state
        apply_operation(y0, cp.op[0], cp.op_count[0], k)
    for sid, value in zip(state_ids(k), y0, strict=True):
        w.param(sid, value, False)


def _counts(k: int) -> list[str]:
    return [f"c{i}_{c}" for i in range(k) for c in COUNTS]


def _culture(w: _Writer, k: int) -> None:
    """The culture's equations: MEDIUM once, each cohort's EMIT, SHARED's inputs (ENV), SHARED."""
    net = network()
    _emit_section(w, net.medium, None)
    for i in range(k):
        _emit_section(w, net.emit, i)
    prog = [f"c{i}_PROG" for i in range(k)]
    w.rule("n_prog", " + ".join(prog))
    w.rule("total", " + ".join(_counts(k)), "live cells (units of the seeding)")
    for name, src in (("nodal_src", "nodal"), ("bmp_src", "bmp")):
        sums = " + ".join(f"c{i}_PROG * emit_{src}_{i}" for i in range(k))
        w.rule(name, f"({sums}) / (total + 1e-300)")
    delta = " + ".join(f"c{i}_PROG * emit_delta_{i}" for i in range(k))
    w.rule("delta", f"({delta}) / (n_prog + 1e-300)")
    w.rule("cap", "p_capacity_adherent + fmt * (p_capacity_suspension - p_capacity_adherent)")
    w.rule("occ", "total * seeded / (cap * area)")
    w.rule("density", "total * seeded / area")
    w.rule("stress", "STRESS")
    _emit_section(w, net.shared, None)


def _cohort(w: _Writer, i: int) -> None:
    """The gene network, rates, fates and counts of cohort ``i`` (CELL and COHORT)."""
    net = network()
    _emit_section(w, net.cell, i)
    _emit_section(w, net.cohort, i)


def _globals(w: _Writer, k: int) -> None:
    """The sums over the cohorts and the global rates (GLOBAL)."""
    net = network()
    for n in net.outputs(net.cohort, "sum"):
        w.rule(f"sum_{n}", " + ".join(f"sum_{n}_{i}" for i in range(k)))
    _emit_section(w, net.global_, None)


def _schedule(w: _Writer, cp, used: list[int], reg: list, k: int) -> None:
    """One event per segment boundary: new medium, format, and the operation on the cells."""
    scaled = _counts(k) + [f"c{i}_{m}" for i in range(k) for m in LEVEL_MASSES]
    for s in range(1, len(cp.t) - 1):
        prev, cur = cp.u[s - 1], cp.u[s]
        assign: list[tuple[str, str]] = []
        if cur[L.U_T_CHANGE] != prev[L.U_T_CHANGE]:
            assign.append(("t_change", _num(cur[L.U_T_CHANGE])))
            for j in used:
                assign.append((f"nominal_{_sid(reg[j].name)}", _num(cur[L.U_CONC + j])))
        if cur[L.U_FORMAT] != prev[L.U_FORMAT]:
            assign.append(("fmt", _num(cur[L.U_FORMAT])))
        what = "media change" if cur[L.U_T_CHANGE] != prev[L.U_T_CHANGE] else "format change"
        op = int(cp.op[s])
        if op in (L.OP_REPLATE, L.OP_AGGREGATE):
            count = _num(cp.op_count[s])
            what = "replate" if op == L.OP_REPLATE else "aggregate"
            # all assignments see the pre-event values (useValuesFromTriggerTime)
            for v in scaled:
                assign.append((v, f"piecewise({v} * {count} / total, total > 0, {v})"))
            assign.append(("LINEAGE", f"piecewise(LINEAGE * total / {count}, total > 0, LINEAGE)"))
            assign.append(
                (
                    "CUM_REPLATED",
                    f"piecewise(CUM_REPLATED + {count} - total, total > 0, CUM_REPLATED)",
                )
            )
            assign.append(("STRESS", "piecewise(1, total > 0, STRESS)"))
        if assign:
            w.event(f"segment_{s}", float(cp.t[s]), assign, f"day {cp.t[s]:g}: {what}")
