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
from pathlib import Path
from typing import Any

import numpy as np

from ..model import layout as L
from .sbml_writer import _ERFCC, _FUNCTIONS, _erfcc_functions, _libsbml, _num, _sid, _Writer

__all__ = ["sbml", "state_ids"]

#: Model parameters the ODE engine reads (the agent-based ones follow them in the layout).
_ODE_PARAMS = L.PARAM_NAMES[: L.P_abm_noise]


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


def state_ids(cohorts: int = 12) -> list[str]:
    """SBML identifiers of the state variables, in the order of the engine's state vector.

    Args:
        cohorts: Heterogeneity cohorts of the exported model.

    Returns:
        ``c<i>_<GENE>`` for each cohort ``i`` and gene of :data:`ipscsim.model.layout.GENES`, then
        :data:`ipscsim.model.layout.GLOBALS`.
    """
    return [f"c{i}_{g}" for i in range(cohorts) for g in L.GENES] + list(L.GLOBALS)


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
    from ..model.prepare import prepare_run

    _check_path(path)
    run = prepare_run(protocol, params, days, genotype, cohorts)
    text = _document(_libsbml(), run, genotype, cohorts)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def _check_path(path: str | Path | None) -> None:
    """Raise ValueError for a path that does not end in ``.xml``/``.sbml`` or has no folder."""
    if path is None:
        return
    out = Path(path)
    if out.suffix.lower() not in (".xml", ".sbml"):
        raise ValueError(f"path: {str(path)!r} must end in .xml or .sbml (e.g. 'model.xml')")
    if not out.parent.exists():
        raise ValueError(f"path: {str(path)!r}: the folder {str(out.parent)!r} does not exist")


def _document(libsbml: Any, run: Any, genotype: str, k: int) -> str:
    """The SBML text of a prepared run, written section by section in the document's order."""
    from ..model.cohorts import cohort_nodes
    from ..protocols.compounds import registry

    cp = run.compiled
    reg = list(registry())
    w = _new_writer(libsbml, run.protocol.name, genotype, k)
    _parameters(w, run.params, cohort_nodes(k), cp.u[0], genotype)
    used = _pharmacology(w, cp, reg)
    _state(w, run, k)
    _mean_field(w, k)
    for i in range(k):
        _cohort(w, i)
    _neurons(w, k)
    _schedule(w, cp, used, reg, k)
    return w.write()


def _gene(i: int, gene: int) -> str:
    """The state identifier of gene (or progenitor count) index ``gene`` of cohort ``i``."""
    return f"c{i}_{L.GENES[gene]}"


# ---------------------------------------------------------------------- units, functions, parameters


def _new_writer(libsbml: Any, protocol_name: str, genotype: str, k: int) -> _Writer:
    """A writer for a new document: the model, its day unit and the function definitions."""
    from .._version import __version__

    w = _Writer(
        libsbml,
        _sid(f"ipscsim_{protocol_name}"),
        f"ipscsim {__version__}: {protocol_name}, {genotype}, {k} cohorts",
    )
    for fid, formula in {**_FUNCTIONS, **_erfcc_functions()}.items():
        w.function(fid, formula)
    return w


def _parameters(
    w: _Writer, p: np.ndarray, nodes: np.ndarray, u0: np.ndarray, genotype: str
) -> None:
    """The model parameters, each cohort's draws and factors, and the culture's constants."""
    for name in _ODE_PARAMS:
        w.param(f"p_{name}", p[L.PARAM_INDEX[name]], True)
    for i in range(nodes.shape[0]):
        w.param(f"zs_{i}", nodes[i, L.Z_SENS], True, f"cohort {i} sensitivity draw")
        w.param(f"zt_{i}", nodes[i, L.Z_TEMPO], True, f"cohort {i} tempo draw")
        w.param(f"phi_{i}", math.exp(p[L.P_sigma_sensitivity] * nodes[i, L.Z_SENS]), True)
        w.initial(f"phi_{i}", f"exp(p_sigma_sensitivity * zs_{i})")
        w.param(f"theta_{i}", math.exp(p[L.P_sigma_tempo] * nodes[i, L.Z_TEMPO]), True)
        w.initial(f"theta_{i}", f"exp(p_sigma_tempo * zt_{i})")
    w.param("seeded", u0[L.U_N0], True, "cells seeded at day 0 (the count unit)")
    w.param("area", u0[L.U_AREA], True, "culture surface (cm^2)")
    w.param("mn_hazard", u0[L.U_MN_HAZARD], True, f"MN death hazard ratio of {genotype}")
    w.param("t_change", u0[L.U_T_CHANGE], False, "day of the last media change")
    w.param("fmt", u0[L.U_FORMAT], False, "culture format: 0 adherent, 1 suspension")


# ---------------------------------------------------------------------- medium and pharmacology


def _pharmacology(w: _Writer, cp: Any, reg: list) -> list[int]:
    """The compounds the protocol uses and the pathway inputs; returns those compounds' indices."""
    from ..model.pharmacology import compound_table
    from ..protocols.compounds import MODES, PATHWAYS

    comp = compound_table()
    u0 = cp.u[0]
    used = [j for j in range(len(reg)) if np.any(cp.u[:, L.U_CONC + j] != 0.0)]
    terms: dict[str, list[list[str]]] = {mode: [[] for _ in PATHWAYS] for mode in MODES}
    for j in used:
        q, mode, term = _compound(w, reg[j].name, u0[L.U_CONC + j], comp[j])
        terms[mode][q].append(term)
    agon, inhib, antag = terms["agonist"], terms["inhibitor"], terms["antagonist"]
    for q, pw in enumerate(PATHWAYS):
        w.rule(f"A_{pw}", " + ".join(agon[q]) or "0", f"{pw} agonist input (EC50 units)")
        w.rule(f"F_{pw}", f"1 / (1 + {' + '.join(inhib[q]) or '0'})", f"{pw} free fraction")
        w.rule(f"Z_{pw}", f"1 + {' + '.join(antag[q]) or '0'}", f"{pw} antagonist divisor")
    return used


def _compound(w: _Writer, name: str, nominal: float, row: np.ndarray) -> tuple[int, str, str]:
    """One compound's parameters and concentration; returns its pathway, mode and input term."""
    from ..protocols.compounds import MODES

    cid = _sid(name)
    w.param(f"nominal_{cid}", nominal, False, f"{name} at the last media change (nM)")
    w.param(f"K_{cid}", row[L.C_POTENCY], True, f"{name} potency (nM)")
    w.param(f"kdec_{cid}", row[L.C_DECAY], True, f"{name} decay rate (1/day)")
    w.rule(f"conc_{cid}", f"nominal_{cid} * exp(-kdec_{cid} * (time - t_change))", f"{name} (nM)")
    ratio = f"conc_{cid} / K_{cid}"
    mode = MODES[int(row[L.C_MODE])]
    if mode == "agonist":
        ratio = f"{_num(row[L.C_EFFICACY])} * {ratio}"
    return int(row[L.C_PATHWAY]), mode, ratio


# ---------------------------------------------------------------------- state and mean field


def _state(w: _Writer, run: Any, k: int) -> None:
    """The state variables at day 0 (after an operation the schedule puts at day 0)."""
    from ..engines.ode import apply_operation

    cp = run.compiled
    y0 = run.y0.copy()
    if cp.op[0] != L.OP_NONE:  # an operation at day 0 acts on the initial state
        apply_operation(y0, cp.op[0], cp.op_count[0], k)
    for sid, value in zip(state_ids(k), y0, strict=True):
        w.param(sid, value, False)


def _mean_field(w: _Writer, k: int) -> None:
    """The population sums and the signals every cohort shares."""
    _population(w, k)
    _shared_signals(w)


def _population(w: _Writer, k: int) -> None:
    """Sums over the cohorts and neuron classes, paracrine sources, capacity and growth."""
    g, G, terms = _gene, L.GLOBALS, range(k)
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


def _shared_signals(w: _Writer) -> None:
    """SMAD, FGF, Notch, transgene and trophic signals and the dissociation hazard."""
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
        f"p_stress_recovery * ln(1 / p_dissociation_survival) * {L.GLOBALS[L.X_STRESS]}"
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


# ---------------------------------------------------------------------- cohorts


def _cohort(w: _Writer, i: int) -> None:
    """The gene network, rates and fate split of cohort ``i`` (mirrors ``kernels.cell_derivs``)."""
    _cohort_signals(w, i)
    _gene_network(w, i)
    _poni(w, i)
    _neurogenesis(w, i)
    _event_rates(w, i)
    _fate_split(w, i)


def _cohort_signals(w: _Writer, i: int) -> None:
    """The WNT, RA and SHH signals cohort ``i`` sees (``kernels.cell_signals``)."""
    phi = f"phi_{i}"
    s = f"_{i}"
    w.rule(f"lw{s}", f"({phi} * A_WNT + p_wnt_basal) / Z_WNT")
    w.rule(f"lwn{s}", f"pow(fmax(lw{s}, 0), p_hill_wnt)")
    w.rule(f"s_w{s}", f"F_WNT * lwn{s} / (1 + lwn{s})")
    w.rule(f"lr{s}", f"{phi} * A_RA / Z_RA")
    w.rule(f"s_ra{s}", f"F_RA * lr{s} / (1 + lr{s})")
    w.rule(f"lh{s}", f"{phi} * A_SHH / Z_SHH")
    w.rule(f"s_in{s}", f"F_SHH * lh{s} / (1 + lh{s})")


def _gene_network(w: _Writer, i: int) -> None:
    """Cohort ``i``'s OCT4, neural, off-target, maturation and HOX genes."""
    oc, ne, e, m = _gene(i, L.G_OCT4), _gene(i, L.G_NEURAL), _gene(i, L.G_OFF), _gene(i, L.G_MAT)
    hx = _gene(i, L.G_HOX)
    th = f"theta_{i}"
    s = f"_{i}"
    sw, sra = f"s_w{s}", f"s_ra{s}"
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


def _poni(w: _Writer, i: int) -> None:
    """Cohort ``i``'s GLI and the PONI dorsoventral network (PAX6, OLIG2, NKX2.2, IRX3, NKX6.1)."""
    pax, oli, nkx = _gene(i, L.G_PAX6), _gene(i, L.G_OLIG2), _gene(i, L.G_NKX22)
    irx, nk6, gli = _gene(i, L.G_IRX3), _gene(i, L.G_NKX61), _gene(i, L.G_GLI)
    s = f"_{i}"
    nep = f"nep{s}"
    rate = f"theta_{i} * p_lambda_poni"
    w.rate(gli, f"{rate} * p_k_gli * (s_in{s} * {nep} - {gli})")
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


def _neurogenesis(w: _Writer, i: int) -> None:
    """Cohort ``i``'s HES (Notch), NGN2 and the transgene and its programme."""
    oc, m, oli = _gene(i, L.G_OCT4), _gene(i, L.G_MAT), _gene(i, L.G_OLIG2)
    hes, ngn = _gene(i, L.G_HES), _gene(i, L.G_NGN2)
    tg, prg = _gene(i, L.G_TG), _gene(i, L.G_PRG)
    th = f"theta_{i}"
    s = f"_{i}"
    w.rate(hes, f"{th} * p_k_hes * (hes_target - {hes})")
    w.rule(
        f"drive_ng{s}",
        f"fmax({m}, 0) * (p_ngn2_basal + p_ngn2_olig2 * {oli} + p_ngn2_ra * s_ra{s}) * "
        f"rep2(s_f, p_K_fgf_ngn2) * rep2(s_w{s}, p_K_wnt_ngn2) * rep2({oc}, p_K_oct4_ngn2)",
    )
    w.rate(ngn, f"{th} * p_k_ngn2 * (drive_ng{s} / (1 + p_collier_b * {hes} * {hes}) - {ngn})")
    w.rate(tg, f"p_k_transgene * (dox - {tg})")
    w.rate(prg, f"p_k_programme * ({tg} - {prg})")


def _event_rates(w: _Writer, i: int) -> None:
    """Cohort ``i``'s per-cell division, death and neurogenesis rates and its progenitor count."""
    oc, e, ngn = _gene(i, L.G_OCT4), _gene(i, L.G_OFF), _gene(i, L.G_NGN2)
    prg, prog = _gene(i, L.G_PRG), _gene(i, L.G_PROG)
    s = f"_{i}"
    w.rule(f"wo{s}", f"fmin(fmax({oc}, 0), 1)")
    w.rule(f"we{s}", f"fmin(fmax({e}, 0), 1 - wo{s})")
    w.rule(f"wn{s}", f"1 - wo{s} - we{s}")
    ln2_day = _num(math.log(2.0) * 24.0)
    w.rule(
        f"div{s}",
        f"{ln2_day} * (wo{s} / p_cycle_psc + we{s} / p_cycle_offtarget + wn{s} * "
        f"(1 + p_mitogen_boost * fmax(s_f, s_w{s})) / p_cycle_np) * growth",
        f"cohort {i} division rate (1/day)",
    )
    w.rule(f"death{s}", f"p_death_psc * wo{s} + p_death_np * (1 - wo{s}) + haz")
    w.rule(f"lam_ng{s}", f"p_k_neurogenesis * hill2(fmax({ngn}, 0), p_K_neurogenesis)")
    w.rule(f"lam_tg{s}", f"p_k_programming * hill2(fmax({prg}, 0), p_K_transgene)")
    w.rate(prog, f"{prog} * (div{s} - death{s} - lam_ng{s} - lam_tg{s})")


def _fate_split(w: _Writer, i: int) -> None:
    """The classes of cohort ``i``'s newborn neurons (``kernels.rhs``)."""
    hx, nkx, oli = _gene(i, L.G_HOX), _gene(i, L.G_NKX22), _gene(i, L.G_OLIG2)
    prog = _gene(i, L.G_PROG)
    s = f"_{i}"
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


# ---------------------------------------------------------------------- neurons and schedule


def _neurons(w: _Writer, k: int) -> None:
    """Births summed over the cohorts, neuron deaths, the neuron classes and the bookkeeping."""
    G = L.GLOBALS

    def total_of(fmt: str) -> str:
        return " + ".join(fmt.format(i=i) for i in range(k))

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
