r"""Write one protocol run of the ODE model as an SBML Level 3 Version 1 (core) document.

The document is the model the ODE engine integrates (:mod:`ipscsim.engines.kernels`, whose equations
:mod:`ipscsim.model.reference` states in numpy), written out for one protocol, one parameter set, one
genotype and ``K`` heterogeneity cohorts:

* every model parameter is a constant SBML parameter ``p_<name>``; each cohort's morphogen sensitivity
  ``phi_<i>`` and tempo ``theta_<i>`` are initial assignments from ``p_sigma_sensitivity``,
  ``p_sigma_tempo`` and the cohort's standard-normal draws ``zs_<i>``, ``zt_<i>``, so changing a
  parameter in COPASI or Tellurium changes the model as it does in ipscsim;
* the state (:func:`state_ids`: ``c<i>_<GENE>`` for the genes and progenitor count of cohort ``i``, then
  the neuron classes, dissociation stress and bookkeeping) are parameters with rate rules; every
  intermediate quantity (compound concentrations, pathway inputs, signals, per-cohort rates, births) is
  an assignment rule with the kernel's name for it;
* the protocol's schedule is piecewise in time: each compound's concentration decays from its nominal
  value at the last media change, ``conc_<compound> = nominal_<compound> * exp(-kdec_<compound> *
  (time - t_change))`` (nM), and an event at
  every segment boundary (media change, step edge, operation) sets the new nominal concentrations,
  ``t_change`` and the culture format, and applies a replating or aggregation to the state (all cell
  counts scaled to the seeded number, ``LINEAGE`` and ``CUM_REPLATED`` kept, stress set to 1), exactly
  as :func:`ipscsim.engines.ode.apply_operation` does.

SBML has no error function, so the fate gate :math:`\Phi(\ln(x/\theta)/\sigma)` uses the Chebyshev
approximation of erfc of *Numerical Recipes* (``erfcc``, fractional error below 1.2e-7 everywhere).
The right-hand side has no branches: ``max(a, b)`` is ``(a + b + |a - b|) / 2`` (Level 3 Version 1 has
no ``max``), the format switches are ``fmt``-weighted sums and divisions by a population carry
``+ 1e-300``, because ``piecewise`` defeats libRoadRunner's caching of assignment rules and made its
simulation 4 to 16 times slower (maury2015, Adams and BDF). Only the compounds the protocol uses
appear. Days are the time unit (a unit definition of 86,400 s).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..model import layout as L

__all__ = ["sbml", "state_ids"]

#: Model parameters the ODE engine reads (the agent-based ones follow them in the layout).
_ODE_PARAMS = L.PARAM_NAMES[: L.P_abm_noise]

# Numerical Recipes' erfcc: erfc(a) ~ t exp(-a^2 + P(t)), t = 1 / (1 + a / 2), a >= 0.
_ERFCC = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def erfc_approx(x: np.ndarray | float) -> np.ndarray:
    """The erfc approximation the SBML document uses, written as its ``erfc_nr`` (numpy; for tests)."""
    x = np.asarray(x, dtype=float)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = np.zeros_like(a)
    for c in reversed(_ERFCC):
        poly = c + t * poly
    v = t * np.exp(-a * a + poly)
    return v + (1.0 - x / (a + 1e-300)) * (
        1.0 - v
    )  # the document's formula, operation for operation


def _num(x: float) -> str:
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot write the non-finite number {x!r} into SBML")
    s = repr(x)
    return f"({s})" if x < 0 else s


def _sid(name: str) -> str:
    """An SBML identifier from a compound or gene name."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return s if re.match(r"[A-Za-z_]", s) else f"_{s}"


def state_ids(cohorts: int = 12) -> list[str]:
    """SBML identifiers of the state variables, in the order of the engine's state vector.

    Args:
        cohorts: Heterogeneity cohorts of the exported model.

    Returns:
        ``c<i>_<GENE>`` for each cohort ``i`` and gene of :data:`ipscsim.model.layout.GENES`, then
        :data:`ipscsim.model.layout.GLOBALS`.
    """
    return [f"c{i}_{g}" for i in range(cohorts) for g in L.GENES] + list(L.GLOBALS)


_FUNCTIONS = {
    # branch-free (piecewise would defeat libRoadRunner's caching of assignment rules)
    "fmax": "lambda(a, b, (a + b + abs(a - b)) / 2)",
    "fmin": "lambda(a, b, (a + b - abs(a - b)) / 2)",
    "hill2": "lambda(x, k, x * x / (k * k + x * x))",
    "rep2": "lambda(x, k, 1 / (1 + (x / k) * (x / k)))",
    "prep": "lambda(k, y, 1 / ((1 + k * y) * (1 + k * y)))",
    "ph": "lambda(x, x / (1 + x))",
}


def _erfcc_functions() -> dict[str, str]:
    poly = _num(_ERFCC[-1])
    for c in reversed(_ERFCC[:-1]):
        poly = f"{_num(c)} + t * ({poly})"
    return {
        "erfc_t": f"lambda(t, a, t * exp(-a * a + {poly}))",
        "erfc_pos": "lambda(a, erfc_t(1 / (1 + 0.5 * a), a))",
        # erfc(z) = v for z >= 0 and 2 - v for z < 0, v = erfc(|z|), written v + (1 - sign(z)) (1 - v)
        # so that the tail (v ~ 1e-30) keeps its relative accuracy; z / (|z| + 1e-300) is the sign
        "erfc_nr": (
            "lambda(z, erfc_pos(abs(z)) + (1 - z / (abs(z) + 1e-300)) * (1 - erfc_pos(abs(z))))"
        ),
        # x <= 0 gives ln(1e-300 / th), deep in the tail: the gate is 0 there as in the kernel
        "gate": (
            "lambda(x, th, s, "
            f"0.5 * erfc_nr(-ln((fmax(x, 0) + 1e-300) / th) / (s * {_num(math.sqrt(2.0))})))"
        ),
    }


class _Writer:
    """Collects the model's components and writes them with python-libsbml."""

    def __init__(self, libsbml: Any, model_id: str, name: str) -> None:
        self.sb = libsbml
        self.doc = libsbml.SBMLDocument(3, 1)
        m = self.doc.createModel()
        m.setId(model_id)
        m.setName(name)
        ud = m.createUnitDefinition()
        ud.setId("day")
        u = ud.createUnit()
        u.setKind(libsbml.UNIT_KIND_SECOND)
        u.setExponent(1)
        u.setScale(0)
        u.setMultiplier(86400.0)
        m.setTimeUnits("day")
        self.m = m

    def _math(self, formula: str):
        ast = self.sb.parseL3Formula(formula)
        if ast is None:  # pragma: no cover - a bug in this module, not in the user's input
            raise RuntimeError(
                f"SBML export: cannot parse {formula!r}: {self.sb.getLastParseL3Error()}"
            )
        return ast

    def function(self, fid: str, formula: str) -> None:
        f = self.m.createFunctionDefinition()
        f.setId(fid)
        f.setMath(self._math(formula))

    def param(self, pid: str, value: float | None, constant: bool, name: str | None = None) -> None:
        p = self.m.createParameter()
        p.setId(pid)
        p.setConstant(constant)
        if value is not None:
            p.setValue(float(value))
        if name:
            p.setName(name)

    def rule(self, pid: str, formula: str, name: str | None = None) -> None:
        self.param(pid, None, False, name)
        r = self.m.createAssignmentRule()
        r.setVariable(pid)
        r.setMath(self._math(formula))

    def rate(self, pid: str, formula: str) -> None:
        r = self.m.createRateRule()
        r.setVariable(pid)
        r.setMath(self._math(formula))

    def initial(self, pid: str, formula: str) -> None:
        a = self.m.createInitialAssignment()
        a.setSymbol(pid)
        a.setMath(self._math(formula))

    def event(self, eid: str, day: float, assignments: list[tuple[str, str]], name: str) -> None:
        e = self.m.createEvent()
        e.setId(eid)
        e.setName(name)
        e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger()
        t.setInitialValue(False)
        t.setPersistent(True)
        t.setMath(self._math(f"time >= {_num(day)}"))
        for var, formula in assignments:
            a = e.createEventAssignment()
            a.setVariable(var)
            a.setMath(self._math(formula))

    def write(self) -> str:
        return self.sb.writeSBMLToString(self.doc)


def _libsbml():
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ipscsim.export.sbml needs python-libsbml: pip install 'ipscsim[sbml]' "
            "(or pip install python-libsbml)"
        ) from exc
    return libsbml


def sbml(
    protocol: Any,
    params: Any = None,
    path: str | Path | None = None,
    *,
    days: float | None = None,
    genotype: str = "control",
    cohorts: int = 12,
) -> str:
    """Export one protocol run of the ODE model as SBML Level 3 Version 1.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`, preset name, protocol file or dict.
        params: Parameter overrides, as for :func:`ipscsim.simulate`.
        path: Where to write the document (``.xml`` or ``.sbml``); ``None`` writes nothing.
        days: Days the schedule covers (default: the protocol's duration; longer runs continue in
            basal medium with media changes at the protocol's rhythm, as in :func:`ipscsim.simulate`).
        genotype: MN genotype (its MN death hazard ratio becomes the constant ``mn_hazard``).
        cohorts: Heterogeneity cohorts (the ODE engine's ``cohorts``).

    Returns:
        The SBML document as a string. Simulated from day 0 to ``days`` by an SBML tool, its state
        variables (:func:`state_ids`) follow :func:`ipscsim.simulate`'s ``Result.records``.

    Raises:
        ProtocolError: for an invalid protocol. ParameterError: for invalid parameters or cohorts.
        ValueError: for a path that does not end in ``.xml`` or ``.sbml`` or whose folder is missing.
        ImportError: when python-libsbml is not installed (the message says how to install it).
    """
    from ..api import prepare_run
    from ..engines.ode import apply_operation
    from ..model.cohorts import cohort_nodes
    from ..model.pharmacology import compound_table
    from ..protocols.compounds import MODES, PATHWAYS, registry

    if path is not None:
        out = Path(path)
        if out.suffix.lower() not in (".xml", ".sbml"):
            raise ValueError(f"path: {str(path)!r} must end in .xml or .sbml (e.g. 'model.xml')")
        if not out.parent.exists():
            raise ValueError(f"path: {str(path)!r}: the folder {str(out.parent)!r} does not exist")
    run = prepare_run(protocol, params, days, genotype, cohorts)
    libsbml = _libsbml()
    cp = run.compiled
    p = run.params
    nodes = cohort_nodes(cohorts)
    comp = compound_table()
    reg = list(registry())
    k = cohorts
    y0 = run.y0.copy()
    if cp.op[0] != L.OP_NONE:  # an operation at day 0 acts on the initial state
        apply_operation(y0, cp.op[0], cp.op_count[0], k)

    from .._version import __version__

    w = _Writer(
        libsbml,
        _sid(f"ipscsim_{run.protocol.name}"),
        f"ipscsim {__version__}: {run.protocol.name}, {genotype}, {k} cohorts",
    )
    for fid, formula in {**_FUNCTIONS, **_erfcc_functions()}.items():
        w.function(fid, formula)

    # ------------------------------------------------------------------ parameters and cohorts
    for name in _ODE_PARAMS:
        w.param(f"p_{name}", p[L.PARAM_INDEX[name]], True)
    for i in range(k):
        w.param(f"zs_{i}", nodes[i, L.Z_SENS], True, f"cohort {i} sensitivity draw")
        w.param(f"zt_{i}", nodes[i, L.Z_TEMPO], True, f"cohort {i} tempo draw")
        w.param(f"phi_{i}", math.exp(p[L.P_sigma_sensitivity] * nodes[i, L.Z_SENS]), True)
        w.initial(f"phi_{i}", f"exp(p_sigma_sensitivity * zs_{i})")
        w.param(f"theta_{i}", math.exp(p[L.P_sigma_tempo] * nodes[i, L.Z_TEMPO]), True)
        w.initial(f"theta_{i}", f"exp(p_sigma_tempo * zt_{i})")
    u0 = cp.u[0]
    w.param("seeded", u0[L.U_N0], True, "cells seeded at day 0 (the count unit)")
    w.param("area", u0[L.U_AREA], True, "culture surface (cm^2)")
    w.param("mn_hazard", u0[L.U_MN_HAZARD], True, f"MN death hazard ratio of {genotype}")
    w.param("t_change", u0[L.U_T_CHANGE], False, "day of the last media change")
    w.param("fmt", u0[L.U_FORMAT], False, "culture format: 0 adherent, 1 suspension")

    # ------------------------------------------------------------------ medium and pharmacology
    used = [j for j in range(len(reg)) if np.any(cp.u[:, L.U_CONC + j] != 0.0)]
    agon: dict[int, list[str]] = {q: [] for q in range(len(PATHWAYS))}
    inhib: dict[int, list[str]] = {q: [] for q in range(len(PATHWAYS))}
    antag: dict[int, list[str]] = {q: [] for q in range(len(PATHWAYS))}
    for j in used:
        cid = _sid(reg[j].name)
        w.param(
            f"nominal_{cid}",
            u0[L.U_CONC + j],
            False,
            f"{reg[j].name} at the last media change (nM)",
        )
        w.param(f"K_{cid}", comp[j, L.C_POTENCY], True, f"{reg[j].name} potency (nM)")
        w.param(f"kdec_{cid}", comp[j, L.C_DECAY], True, f"{reg[j].name} decay rate (1/day)")
        w.rule(
            f"conc_{cid}",
            f"nominal_{cid} * exp(-kdec_{cid} * (time - t_change))",
            f"{reg[j].name} (nM)",
        )
        q = int(comp[j, L.C_PATHWAY])
        ratio = f"conc_{cid} / K_{cid}"
        mode = MODES[int(comp[j, L.C_MODE])]
        if mode == "agonist":
            agon[q].append(f"{_num(comp[j, L.C_EFFICACY])} * {ratio}")
        elif mode == "inhibitor":
            inhib[q].append(ratio)
        else:
            antag[q].append(ratio)
    for q, pw in enumerate(PATHWAYS):
        w.rule(f"A_{pw}", " + ".join(agon[q]) or "0", f"{pw} agonist input (EC50 units)")
        w.rule(f"F_{pw}", f"1 / (1 + {' + '.join(inhib[q]) or '0'})", f"{pw} free fraction")
        w.rule(f"Z_{pw}", f"1 + {' + '.join(antag[q]) or '0'}", f"{pw} antagonist divisor")

    # ------------------------------------------------------------------ state
    ids = state_ids(k)
    for sid, value in zip(ids, y0, strict=True):
        w.param(sid, value, False)

    def g(i: int, gene: int) -> str:
        return f"c{i}_{L.GENES[gene]}"

    G = L.GLOBALS

    # ------------------------------------------------------------------ mean field
    terms = range(k)
    w.rule("n_prog", " + ".join(g(i, L.G_PROG) for i in terms))
    w.rule(
        "committed_src",
        " + ".join(
            f"{g(i, L.G_PROG)} * fmin(1, fmax({g(i, L.G_OCT4)}, 0) + fmax({g(i, L.G_NEURAL)}, 0))"
            for i in terms
        ),
    )
    w.rule(
        "nodal_src",
        " + ".join(
            f"{g(i, L.G_PROG)} * (fmax({g(i, L.G_OCT4)}, 0) + "
            f"p_tgf_autocrine_offtarget * fmax({g(i, L.G_OFF)}, 0))"
            for i in terms
        ),
    )
    w.rule("delta_src", " + ".join(f"{g(i, L.G_PROG)} * fmax({g(i, L.G_NGN2)}, 0)" for i in terms))
    w.rule("mn_h", f"{G[L.X_MN]} + {G[L.X_MN_CHAT]}")
    w.rule("mn_hn", f"{G[L.X_MN_HN]} + {G[L.X_MN_CHAT_HN]}")
    w.rule("others", f"{G[L.X_V3]} + {G[L.X_V2]} + {G[L.X_RN]}")
    w.rule("total", "n_prog + mn_h + mn_hn + others", "live cells (units of the seeding)")
    w.rule("nodal", "p_tgf_autocrine * seeded / (area * p_density_ref) * nodal_src")
    w.rule("delta_mean", "delta_src / (n_prog + 1e-300)")
    w.rule("cap", "p_capacity_adherent + fmt * (p_capacity_suspension - p_capacity_adherent)")
    w.rule("growth", "fmax(0, 1 - total * seeded / (cap * area))")
    w.rule("shield", "1 + fmt * (p_aggregate_shielding - 1)")
    # (the kernel gives 0 for an empty culture, this 1; an empty culture has no cells to signal to)
    w.rule(
        "bmp_source",
        "fmax(0, 1 - (committed_src + total - n_prog) / (total + 1e-300))",
    )
    w.rule("lt", "(A_TGFB + shield * nodal) / Z_TGFB")
    w.rule("s_t", "F_TGFB * lt / (1 + lt)", "SMAD2/3 activity")
    w.rule("lb", "(A_BMP + shield * p_bmp_endogenous * bmp_source) / Z_BMP")
    w.rule("s_b", "F_BMP * lb / (1 + lb)", "SMAD1/5/8 activity")
    w.rule("lf", "(A_FGF + p_fgf_endogenous) / Z_FGF")
    w.rule("s_f", "F_FGF * lf / (1 + lf)", "FGF/ERK activity")
    w.rule("notch_in", "F_NOTCH * delta_mean")
    w.rule("dox", "A_TRANSGENE / (1 + A_TRANSGENE)")
    w.rule("trophic", "A_TROPHIC / (1 + A_TROPHIC)")
    w.rule(
        "haz",
        f"p_stress_recovery * ln(1 / p_dissociation_survival) * {G[L.X_STRESS]}"
        " * (1 - p_rock_efficacy * (1 - F_ROCK))",
        "dissociation death hazard (1/day)",
    )
    w.rule(
        "support0",
        "(1 + p_K_oct4 * p_K_oct4) * s_t * (1 - p_fgf_share_pluripotency "
        "+ p_fgf_share_pluripotency * s_f)",
    )
    w.rule("bmp_oct", "s_b / p_K_bmp_oct4")
    w.rule("permissive", "rep2(s_t, p_K_tgf_neural) * rep2(s_b, p_K_bmp_neural)")
    w.rule("hes_target", "notch_in * notch_in / (p_collier_a + notch_in * notch_in)")

    # ------------------------------------------------------------------ cohorts
    for i in terms:
        _cohort(w, i, g)

    # ------------------------------------------------------------------ neurons and bookkeeping
    def total_of(fmt: str) -> str:
        return " + ".join(fmt.format(i=i) for i in terms)

    w.rule("birth_mn", total_of("birth_mn_{i}"))
    w.rule("birth_mn_hn", total_of("birth_mn_hn_{i}"))
    w.rule("birth_v3", total_of("birth_v3_{i}"))
    w.rule("birth_v2", total_of("birth_v2_{i}"))
    w.rule("birth_rn", total_of("birth_rn_{i}"))
    w.rule("trophic_factor", "1 - p_trophic_efficacy * trophic")
    w.rule("diss_n", "haz * p_neuron_dissociation_factor")
    w.rule("mu_n", "p_death_neuron * trophic_factor + diss_n", "neuron death rate (1/day)")
    w.rule("mu_mn", "p_death_neuron * mn_hazard * trophic_factor + diss_n", "MN death rate (1/day)")
    w.rate(G[L.X_MN], f"birth_mn - (mu_mn + p_chat_rate) * {G[L.X_MN]}")
    w.rate(G[L.X_MN_CHAT], f"p_chat_rate * {G[L.X_MN]} - mu_mn * {G[L.X_MN_CHAT]}")
    w.rate(G[L.X_MN_HN], f"birth_mn_hn - (mu_mn + p_chat_rate) * {G[L.X_MN_HN]}")
    w.rate(G[L.X_MN_CHAT_HN], f"p_chat_rate * {G[L.X_MN_HN]} - mu_mn * {G[L.X_MN_CHAT_HN]}")
    w.rate(G[L.X_V3], f"birth_v3 - mu_n * {G[L.X_V3]}")
    w.rate(G[L.X_V2], f"birth_v2 - mu_n * {G[L.X_V2]}")
    w.rate(G[L.X_RN], f"birth_rn - mu_n * {G[L.X_RN]}")
    w.rate(G[L.X_STRESS], f"-p_stress_recovery * {G[L.X_STRESS]}")
    w.rate(G[L.X_CUM_DIV], total_of("c{i}_PROGENITORS * div_{i}"))
    w.rate(
        G[L.X_CUM_DEATH],
        total_of("c{i}_PROGENITORS * death_{i}") + " + mu_mn * (mn_h + mn_hn) + mu_n * others",
    )

    # ------------------------------------------------------------------ schedule
    _schedule(w, cp, used, reg, k)

    text = w.write()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def _cohort(w: _Writer, i: int, g) -> None:
    """The gene network, rates and fate split of cohort ``i`` (mirrors ``kernels.cell_derivs``)."""
    oc, ne, e, m = g(i, L.G_OCT4), g(i, L.G_NEURAL), g(i, L.G_OFF), g(i, L.G_MAT)
    hx, pax, oli, nkx = g(i, L.G_HOX), g(i, L.G_PAX6), g(i, L.G_OLIG2), g(i, L.G_NKX22)
    irx, nk6, hes, ngn = g(i, L.G_IRX3), g(i, L.G_NKX61), g(i, L.G_HES), g(i, L.G_NGN2)
    tg, prg, gli, prog = g(i, L.G_TG), g(i, L.G_PRG), g(i, L.G_GLI), g(i, L.G_PROG)
    th = f"theta_{i}"
    phi = f"phi_{i}"
    s = f"_{i}"
    # signals seen by the cohort (kernels.cell_signals)
    w.rule(f"lw{s}", f"({phi} * A_WNT + p_wnt_basal) / Z_WNT")
    w.rule(f"lwn{s}", f"pow(fmax(lw{s}, 0), p_hill_wnt)")
    w.rule(f"s_w{s}", f"F_WNT * lwn{s} / (1 + lwn{s})")
    w.rule(f"lr{s}", f"{phi} * A_RA / Z_RA")
    w.rule(f"s_ra{s}", f"F_RA * lr{s} / (1 + lr{s})")
    w.rule(f"lh{s}", f"{phi} * A_SHH / Z_SHH")
    w.rule(f"s_in{s}", f"F_SHH * lh{s} / (1 + lh{s})")
    sw, sra, sin = f"s_w{s}", f"s_ra{s}", f"s_in{s}"

    w.rate(
        oc,
        f"{th} * p_k_oct4 * (support0 * hill2({oc}, p_K_oct4) / (1 + ({ne} / p_K_ne_oct4)^2 + "
        f"({e} / p_K_off_oct4)^2 + bmp_oct * bmp_oct + ({sra} / p_K_ra_oct4)^2) - {oc})",
    )
    w.rate(
        ne,
        f"{th} * p_k_neural * ((1 + p_K_neural * p_K_neural) * (p_eps_neural * (permissive + "
        f"p_ra_neural * {sra}) + hill2({ne}, p_K_neural)) * rep2({oc}, p_K_oct4_neural) * "
        f"rep2({e}, p_K_off_neural) - {ne})",
    )
    w.rate(
        e,
        f"{th} * p_k_offtarget * ((1 + p_K_offtarget * p_K_offtarget) * (p_eps_offtarget * "
        f"(s_b + p_w_tgf_offtarget * s_t * {sw}) + hill2({e}, p_K_offtarget)) * "
        f"rep2({oc}, p_K_oct4_offtarget) * rep2({ne}, p_K_neural_offtarget) - {e})",
    )
    w.rule(f"nep{s}", f"fmin(fmax({ne}, 0), 1)")
    nep = f"nep{s}"
    w.rate(m, f"{th} * p_k_maturation * {nep} * (p_maturation_seed + {m}) * (1 - {m})")
    w.rule(
        f"caud{s}",
        f"1 - (1 - {sra}) * (1 - {sw} * (p_fgf_wnt_hox + s_f) / (1 + p_fgf_wnt_hox))",
    )
    w.rate(hx, f"{th} * p_k_hox * (1 - {m}) * caud{s} * (1 - {hx})")

    rate = f"{th} * p_lambda_poni"
    w.rate(gli, f"{rate} * p_k_gli * ({sin} * {nep} - {gli})")
    w.rule(f"gs{s}", f"fmin(fmax({gli}, 0), 1)")

    def gli_term(kg: str) -> str:
        return f"(1 + p_poni_fA * {kg} * gs{s}) / (1 + {kg})"

    cpol = "p_poni_CPol"
    w.rule(
        f"pr_pax{s}",
        f"ph(p_K_Pol_Pax * {cpol} * prep(p_K_Oli_Pax, {oli}) * prep(p_K_Nkx_Pax, {nkx}))",
    )
    w.rule(
        f"pr_oli{s}",
        f"ph(p_K_Pol_Oli * {cpol} * {gli_term('p_K_Gli_Oli')} * prep(p_K_Nkx_Oli, {nkx}) * "
        f"prep(p_K_Irx_Oli, {irx}))",
    )
    w.rule(
        f"pr_nkx{s}",
        f"ph(p_K_Pol_Nkx * {cpol} * {gli_term('p_K_Gli_Nkx')} * prep(p_K_Pax_Nkx, {pax}) * "
        f"prep(p_K_Oli_Nkx, {oli}) * prep(p_K_Irx_Nkx, {irx}))",
    )
    w.rule(
        f"pr_irx{s}",
        f"ph(p_K_Pol_Irx * {cpol} * prep(p_K_Oli_Irx, {oli}) * prep(p_K_Nkx_Irx, {nkx}))",
    )
    w.rule(f"pr_nk6{s}", f"ph(p_K_Pol_Nkx6 * {cpol} * {gli_term('p_K_Gli_Nkx6')})")
    for var, pr in ((pax, "pax"), (oli, "oli"), (nkx, "nkx"), (irx, "irx"), (nk6, "nk6")):
        w.rate(var, f"{rate} * (p_poni_alpha * {nep} * pr_{pr}{s} - p_poni_delta * {var})")

    w.rate(hes, f"{th} * p_k_hes * (hes_target - {hes})")
    w.rule(
        f"drive_ng{s}",
        f"fmax({m}, 0) * (p_ngn2_basal + p_ngn2_olig2 * {oli} + p_ngn2_ra * {sra}) * "
        f"rep2(s_f, p_K_fgf_ngn2) * rep2({sw}, p_K_wnt_ngn2) * rep2({oc}, p_K_oct4_ngn2)",
    )
    w.rate(ngn, f"{th} * p_k_ngn2 * (drive_ng{s} / (1 + p_collier_b * {hes} * {hes}) - {ngn})")
    w.rate(tg, f"p_k_transgene * (dox - {tg})")
    w.rate(prg, f"p_k_programme * ({tg} - {prg})")

    # per-cell event rates
    w.rule(f"wo{s}", f"fmin(fmax({oc}, 0), 1)")
    w.rule(f"we{s}", f"fmin(fmax({e}, 0), 1 - wo{s})")
    w.rule(f"wn{s}", f"1 - wo{s} - we{s}")
    ln2_day = _num(math.log(2.0) * 24.0)
    w.rule(
        f"div{s}",
        f"{ln2_day} * (wo{s} / p_cycle_psc + we{s} / p_cycle_offtarget + wn{s} * "
        f"(1 + p_mitogen_boost * fmax(s_f, {sw})) / p_cycle_np) * growth",
        f"cohort {i} division rate (1/day)",
    )
    w.rule(f"death{s}", f"p_death_psc * wo{s} + p_death_np * (1 - wo{s}) + haz")
    w.rule(f"lam_ng{s}", f"p_k_neurogenesis * hill2(fmax({ngn}, 0), p_K_neurogenesis)")
    w.rule(f"lam_tg{s}", f"p_k_programming * hill2(fmax({prg}, 0), p_K_transgene)")
    w.rate(prog, f"{prog} * (div{s} - death{s} - lam_ng{s} - lam_tg{s})")

    # fate split of newborn neurons (kernels.rhs)
    w.rule(f"gh{s}", f"gate({hx}, p_gate_threshold, p_sigma_fate)")
    w.rule(f"gn{s}", f"gate({nkx}, p_gate_threshold, p_sigma_fate)")
    w.rule(f"go{s}", f"gate({oli}, p_gate_threshold, p_sigma_fate)")
    w.rule(f"patterned{s}", f"{prog} * (lam_ng{s} + lam_tg{s} * (1 - p_mn_fraction_programmed))")
    w.rule(
        f"birth_mn{s}",
        f"patterned{s} * gh{s} * (1 - gn{s}) * go{s} + {prog} * lam_tg{s} * "
        f"p_mn_fraction_programmed * gh{s}",
    )
    w.rule(f"birth_mn_hn{s}", f"{prog} * lam_tg{s} * p_mn_fraction_programmed * (1 - gh{s})")
    w.rule(f"birth_v3{s}", f"patterned{s} * gh{s} * gn{s}")
    w.rule(f"birth_v2{s}", f"patterned{s} * gh{s} * (1 - gn{s}) * (1 - go{s})")
    w.rule(f"birth_rn{s}", f"patterned{s} * (1 - gh{s})")


def _schedule(w: _Writer, cp, used: list[int], reg: list, k: int) -> None:
    """One event per segment boundary: new medium, format, and the operation on the cells."""
    counted = [f"c{i}_PROGENITORS" for i in range(k)] + [L.GLOBALS[j] for j in L.NEURON_GLOBALS]
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
            for v in counted:
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
