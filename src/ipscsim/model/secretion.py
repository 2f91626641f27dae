r"""Neuroprotective factors: who secretes what, and the well-mixed medium of a culture.

The tables (``model/data/``) hold every number with its unit and source:

* ``factors.csv``: GDNF, BDNF, CNTF, IGF1, VEGF, HGF: molar mass and medium half-life (from the compound
  registry where the factor is a registered compound, so that a factor added to a protocol decays as the
  engines let it), diffusion coefficient and half-life in tissue, uptake by cells, survival EC50;
* ``secretion.csv``: secretion rates in pg per 10^6 cells per day, per producer: the model's cell
  classes (``pluripotent``, ``neural_progenitor``, ``neuron``), ``astrocyte`` and the cell products
  (``CNS10-NPC-GDNF``, ``NSI-566``, ``MSC-NTF``).

In a well the medium of volume :math:`V` is well mixed. The amount :math:`A_f` (pg) of factor
:math:`f` obeys

.. math::

    \dot A_f = \sum_j s_{j f} N_j(t) - k_f A_f - q_f \frac{N(t)}{V} A_f

with :math:`N_j` the cells of each type (from a :class:`~ipscsim.results.Result`), :math:`s_{jf}` their
secretion rate, :math:`k_f = \ln 2 / t_{1/2}` the decay in medium and :math:`q_f` the volume of medium a
cell clears a day by uptake. A media change removes the medium and supplies fresh medium with the
protocol's nominal concentration of the factor (when the factor is a protocol compound). The books
balance exactly: supplied + secreted = present + decayed + taken up + removed.

The coupling is one way: the engines' trophic support uses the protocol's compounds (with their decay in
medium); the factors the cells themselves secrete are reported here and do not feed back on survival in
a differentiation run. In the presets cells secrete far less GDNF, BDNF or CNTF than the survival EC50
(docs/neuroprotection.md gives the numbers); :func:`ipscsim.survival.assay` takes the factors as doses.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..errors import ParameterError, suggest

__all__ = [
    "CELL_TYPE_PRODUCER",
    "FACTORS",
    "PRODUCERS",
    "CultureMedium",
    "Factor",
    "culture_medium",
    "factor",
    "factors_table",
    "medium_balance",
    "secretion_provenance",
    "secretion_rate",
    "secretion_table",
    "to_picomolar",
]

#: Which producer class of ``secretion.csv`` each of the model's cell types is. ``None``: cells whose
#: secretion of these factors is not in the tables (non-neural and axial-progenitor fates), so they add
#: nothing. Floor plate and OPCs are counted as neural progenitors and glutamatergic neurons as neurons
#: (ASSUMPTION: no per-type rates were found; they are of the same lineage and proliferative state).
CELL_TYPE_PRODUCER: dict[str, str | None] = {
    "iPSC": "pluripotent",
    "NMP": None,
    "mesendoderm": None,
    "neural_crest": None,
    "non_neural_ectoderm": None,
    "neuroectoderm": "neural_progenitor",
    "rostral_progenitor": "neural_progenitor",
    "floor_plate": "neural_progenitor",
    "pMN": "neural_progenitor",
    "p3": "neural_progenitor",
    "p2": "neural_progenitor",
    "OPC": "neural_progenitor",
    "astrocyte": "astrocyte",
    "MN": "neuron",
    "interneuron": "neuron",
    "rostral_neuron": "neuron",
    "glutamatergic_neuron": "neuron",
}


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ipscsim.model").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class Factor:
    """A secreted factor's properties (``model/data/factors.csv``).

    Attributes:
        name: Factor name (``GDNF``, ``BDNF``, ``CNTF``, ``IGF1``, ``VEGF``, ``HGF``).
        compound: Its compound-registry name, or ``None``.
        molar_mass: g/mol.
        medium_half_life_h: Half-life in culture medium at 37 C, hours.
        tissue_diffusion_cm2_s: Effective diffusion coefficient in CNS tissue, cm^2/s.
        tissue_half_life_h: Half-life of clearance in tissue, hours.
        uptake_ml_per_cell_day: Medium volume one cell clears a day by uptake, ml.
        survival_ec50_pM: EC50 of MN survival, pM (``nan`` when not a survival factor).
    """

    name: str
    compound: str | None
    molar_mass: float
    medium_half_life_h: float
    tissue_diffusion_cm2_s: float
    tissue_half_life_h: float
    uptake_ml_per_cell_day: float
    survival_ec50_pM: float

    @property
    def medium_decay_per_day(self) -> float:
        """First-order decay in medium, 1/day."""
        return math.log(2.0) * 24.0 / self.medium_half_life_h

    @property
    def tissue_decay_per_day(self) -> float:
        """First-order clearance in tissue, 1/day."""
        return math.log(2.0) * 24.0 / self.tissue_half_life_h

    @property
    def tissue_diffusion_mm2_day(self) -> float:
        """Diffusion coefficient in tissue, mm^2/day."""
        return self.tissue_diffusion_cm2_s * 100.0 * 86400.0

    @property
    def decay_length_mm(self) -> float:
        r"""Tissue decay length :math:`\sqrt{D/k}`, mm."""
        return math.sqrt(self.tissue_diffusion_mm2_day / self.tissue_decay_per_day)

    def pg_per_ml_per_pM(self) -> float:
        """pg/ml in one pM of this factor."""
        return self.molar_mass * 1e-3


#: The neurotrophic receptor pathways through which a factor supports neuron survival.
SURVIVAL_RECEPTORS: tuple[str, ...] = ("RET", "TRKB", "GP130", "IGF1R")


@lru_cache(maxsize=1)
def _factors() -> dict[str, Factor]:
    from ..protocols.compounds import registry

    reg = registry()
    out = {}
    for r in _rows("factors.csv"):
        comp = r["compound"] or None
        if comp is not None:
            c = reg.get(comp)
            mass, half = c.molar_mass, c.half_life_h
            ec50 = c.potency_nm * 1e3 if c.pathway in SURVIVAL_RECEPTORS else math.nan
        else:
            mass, half = float(r["molar_mass"]), float(r["medium_half_life_h"])
            ec50 = float(r["survival_ec50_pM"]) if r["survival_ec50_pM"] else math.nan
        out[r["factor"]] = Factor(
            name=r["factor"],
            compound=comp,
            molar_mass=float(mass),
            medium_half_life_h=float(half),
            tissue_diffusion_cm2_s=float(r["tissue_diffusion_cm2_s"]),
            tissue_half_life_h=float(r["tissue_half_life_h"]),
            uptake_ml_per_cell_day=float(r["uptake_ml_per_cell_day"]),
            survival_ec50_pM=float(ec50),
        )
    return out


#: The factors the model knows, in table order.
FACTORS: tuple[str, ...] = ("GDNF", "BDNF", "CNTF", "IGF1", "VEGF", "HGF")


def factor(name: str, where: str = "factor") -> Factor:
    """A factor by name (case-insensitive).

    Raises:
        ParameterError: naming an unknown factor and the known ones.
    """
    table = _factors()
    if name in table:
        return table[name]
    lower = {k.lower().replace("-", ""): k for k in table}
    key = str(name).lower().replace("-", "")
    if key in lower:
        return table[lower[key]]
    raise ParameterError(
        f"{where}: unknown factor {name!r}{suggest(str(name), table)} (choose one of "
        f"{', '.join(table)})"
    )


@lru_cache(maxsize=1)
def _secretion() -> dict[tuple[str, str], float]:
    return {
        (r["producer"], r["factor"]): float(r["rate_pg_per_1e6_cells_day"])
        for r in _rows("secretion.csv")
    }


#: Producers with secretion rates.
PRODUCERS: tuple[str, ...] = tuple(dict.fromkeys(r["producer"] for r in _rows("secretion.csv")))


def secretion_rate(producer: str, factor_name: str) -> float:
    """Secretion rate of a factor by a producer, pg per 10^6 cells per day (0 when not listed).

    Raises:
        ParameterError: for an unknown producer or factor.
    """
    _check_producer(producer)
    f = factor(factor_name)
    return _secretion().get((producer, f.name), 0.0)


def _check_producer(producer: str) -> None:
    if producer not in PRODUCERS:
        raise ParameterError(
            f"producer: unknown producer {producer!r}{suggest(str(producer), PRODUCERS)} (choose "
            f"one of {', '.join(PRODUCERS)})"
        )


def secretion_provenance(producer: str) -> dict[str, dict[str, Any]]:
    """A producer's secretion rates with their plausible range, status and source, by factor.

    The numbers behind a graft's factor release, for the output of a run (``status`` says whether a
    rate is measured or an assumption).
    """
    _check_producer(producer)
    return {
        r["factor"]: {
            "pg_per_1e6_cells_day": float(r["rate_pg_per_1e6_cells_day"]),
            "range": (float(r["lower"]), float(r["upper"])),
            "status": r["status"],
            "source": r["source"],
        }
        for r in _rows("secretion.csv")
        if r["producer"] == producer
    }


def secretion_table():
    """``secretion.csv`` as a DataFrame (producer, factor, rate, range, source, status)."""
    import pandas as pd

    return pd.DataFrame(_rows("secretion.csv"))


def factors_table():
    """The factors' properties as a DataFrame (registry values filled in)."""
    import pandas as pd

    rows = [
        {
            **vars(f),
            "tissue_decay_length_mm": f.decay_length_mm,
        }
        for f in _factors().values()
    ]
    return pd.DataFrame(rows).set_index("name")


def to_picomolar(value: float, unit: str, factor_name: str, where: str = "factors") -> float:
    """A factor dose ``(value, unit)`` in pM (molar or mass units; mass via the factor's molar mass).

    Raises:
        ParameterError: for a negative or non-numeric value or a unit that is not a concentration.
    """
    from ..errors import ProtocolError, is_real
    from ..units import to_nanomolar

    f = factor(factor_name, where)
    if not is_real(value) or not math.isfinite(float(value)) or float(value) < 0:
        raise ParameterError(
            f"{where}: {f.name} dose {value!r} must be a number >= 0, e.g. ({f.name!r}: (10, 'pg/ml'))"
        )
    try:
        return to_nanomolar(float(value), unit, f.molar_mass) * 1e3
    except ProtocolError as exc:
        raise ParameterError(f"{where}: {f.name}: {exc}") from None


@dataclass(frozen=True)
class CultureMedium:
    """Factor concentrations in a well and the books of each factor.

    Attributes:
        days: Record days, shape ``(n,)``.
        factors: Factor names.
        pg_per_ml: Concentrations, shape ``(n, n_factors)``; on a media-change day, the conditioned
            medium collected at the change (what one would measure), except on day 0.
        balance: Per factor, cumulative pg over the run: ``supplied``, ``secreted``, ``present``,
            ``decayed``, ``taken_up``, ``removed``.
    """

    days: np.ndarray
    factors: tuple[str, ...]
    pg_per_ml: np.ndarray
    balance: dict[str, dict[str, float]]

    def frame(self):
        """Concentrations as a DataFrame: index ``day``, columns ``(factor, unit)`` for pM and ng/ml."""
        import pandas as pd

        cols, data = [], []
        for j, name in enumerate(self.factors):
            f = factor(name)
            cols += [(name, "pM"), (name, "ng/ml")]
            data += [self.pg_per_ml[:, j] / f.pg_per_ml_per_pM(), self.pg_per_ml[:, j] * 1e-3]
        out = pd.DataFrame(
            np.column_stack(data),
            index=pd.Index(self.days, name="day"),
            columns=pd.MultiIndex.from_tuples(cols, names=["factor", "unit"]),
        )
        return out

    def balance_frame(self):
        """The books as a DataFrame: one row per factor, pg per well."""
        import pandas as pd

        return pd.DataFrame(self.balance).T.rename_axis("factor")


def _interp_counts(days: np.ndarray, counts: np.ndarray, t: float) -> np.ndarray:
    """Cell counts at ``t``: log-linear between records (exponential growth), linear near zero."""
    i = int(np.searchsorted(days, t, side="right")) - 1
    i = min(max(i, 0), len(days) - 2)
    t0, t1 = days[i], days[i + 1]
    w = 0.0 if t1 <= t0 else min(max((t - t0) / (t1 - t0), 0.0), 1.0)
    a, b = counts[i], counts[i + 1]
    out = a + (b - a) * w
    pos = (a > 0) & (b > 0)
    out[pos] = a[pos] * (b[pos] / a[pos]) ** w
    return out


def _rk4(deriv: Any, s: np.ndarray, t: float, t_end: float, max_step: float) -> np.ndarray:
    """Classical Runge-Kutta from ``t`` to ``t_end`` in equal steps of at most ``max_step``."""
    span = t_end - t
    n_sub = max(1, math.ceil(span / max_step - 1e-12))
    h = span / n_sub
    for _ in range(n_sub):
        k1 = deriv(t, s)
        k2 = deriv(t + h / 2, s + h / 2 * k1)
        k3 = deriv(t + h / 2, s + h / 2 * k2)
        k4 = deriv(t + h, s + h * k3)
        s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return s


def _medium_deriv(days, counts, total, secretion, decay, uptake, volume_ml):
    """The medium's right-hand side: amount, decayed, taken up, secreted (per factor)."""

    def deriv(t: float, x: np.ndarray) -> np.ndarray:
        c = _interp_counts(days, counts, t)
        n = float(np.interp(t, days, total))
        src = c @ secretion
        dec = decay * x[0]
        upt = uptake * n / volume_ml * x[0]
        return np.stack([src - dec - upt, dec, upt, src])

    return deriv


def medium_balance(
    days: np.ndarray,
    counts: np.ndarray,
    secretion: np.ndarray,
    decay: np.ndarray,
    uptake: np.ndarray,
    volume_ml: float,
    media_days: np.ndarray,
    fresh: np.ndarray,
    max_step: float = 0.02,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate the well-mixed medium (numpy, RK4 between media changes and records).

    Args:
        days: Record days, increasing, shape ``(n,)``.
        counts: Cells of each producer column at the record days, shape ``(n, n_prod)``.
        secretion: pg per cell per day, shape ``(n_prod, n_f)``.
        decay: Decay in medium, 1/day, shape ``(n_f,)``.
        uptake: ml cleared per cell per day, shape ``(n_f,)``.
        volume_ml: Medium volume.
        media_days: Media-change days (the medium is replaced at each), including 0.
        fresh: Fresh-medium concentration at each media change, pg/ml, shape ``(len(media_days), n_f)``.
        max_step: Largest RK4 step, days.

    Returns:
        ``(pg_per_ml, books)``: concentrations at the record days ``(n, n_f)`` (on a media-change day
        after the first, the medium just before the change) and the cumulative books
        ``(6, n_f)`` in pg: supplied, secreted, present, decayed, taken up, removed.
    """
    n_f = secretion.shape[1]
    total = counts.sum(axis=1)
    # state: amount, decayed, taken up, secreted (the augmented linear system conserves exactly under RK)
    s = np.zeros((4, n_f))
    supplied = np.zeros(n_f)
    removed = np.zeros(n_f)
    out = np.zeros((len(days), n_f))
    md = np.asarray(media_days, dtype=np.float64)
    knots = np.unique(np.concatenate([days, md[(md >= days[0]) & (md <= days[-1])]]))

    deriv = _medium_deriv(days, counts, total, secretion, decay, uptake, volume_ml)
    rec = 0
    t = float(knots[0])
    for k, tk in enumerate(knots):
        if k > 0:
            s = _rk4(deriv, s, t, float(tk), max_step)
            t = float(tk)
        hit = np.nonzero(np.isclose(md, tk, rtol=0, atol=1e-9))[0]
        # a media-change day records the conditioned medium (before the change), except day 0
        while k > 0 and rec < len(days) and days[rec] <= tk + 1e-12:
            out[rec] = s[0] / volume_ml
            rec += 1
        if hit.size:
            removed += s[0]
            s[0] = fresh[hit[0]] * volume_ml
            supplied += s[0]
        while rec < len(days) and days[rec] <= tk + 1e-12:
            out[rec] = s[0] / volume_ml
            rec += 1
    books = np.stack([supplied, s[3], s[0], s[1], s[2], removed])
    return out, books


def culture_medium(
    result: Any, factors: tuple[str, ...] | list[str] | None = None
) -> CultureMedium:
    """The well-mixed medium of a differentiation run: factor concentrations and books.

    Works on a :class:`~ipscsim.results.Result` of either engine (it uses the counts per cell type and
    the protocol in ``meta``). Secretion by each cell type follows ``CELL_TYPE_PRODUCER``; a factor
    that is a protocol compound is supplied at its nominal concentration at each media change.

    Args:
        result: A Result.
        factors: Factors to report (default: all of :data:`FACTORS`).
    """
    from ..protocols.protocol import Protocol

    names = tuple(factor(f).name for f in (factors or FACTORS))
    protocol = Protocol.from_dict(result.meta["protocol"])
    days = np.asarray(result.days, dtype=np.float64)
    counts, secretion = _producers(result.counts, names)
    fs = [factor(n) for n in names]
    decay = np.array([f.medium_decay_per_day for f in fs])
    uptake = np.array([f.uptake_ml_per_cell_day for f in fs])
    media, fresh = _fresh_media(protocol, float(days[-1]), fs)
    conc, books = medium_balance(
        days, counts, secretion, decay, uptake, protocol.medium_volume, media, fresh
    )
    keys = ("supplied", "secreted", "present", "decayed", "taken_up", "removed")
    balance = {n: {k: float(books[i, j]) for i, k in enumerate(keys)} for j, n in enumerate(names)}
    return CultureMedium(days=days, factors=names, pg_per_ml=conc, balance=balance)


def _producers(counts_df: Any, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Cells per producer column (non-secreting cells last: they still take up) and secretion rates."""
    types = [c for c in counts_df.columns if c != "total"]
    producers = sorted({p for p in CELL_TYPE_PRODUCER.values() if p is not None})
    per_prod = np.zeros((len(counts_df), len(producers)))
    for ty in types:
        prod = CELL_TYPE_PRODUCER.get(ty)
        if prod is not None:
            per_prod[:, producers.index(prod)] += counts_df[ty].to_numpy()
    other = counts_df["total"].to_numpy() - per_prod.sum(axis=1)
    counts = np.column_stack([per_prod, np.maximum(other, 0.0)])
    secretion = np.zeros((len(producers) + 1, len(names)))
    for i, prod in enumerate(producers):
        for j, name in enumerate(names):
            secretion[i, j] = secretion_rate(prod, name) * 1e-6
    return counts, secretion


def _fresh_media(protocol: Any, days: float, fs: list) -> tuple[np.ndarray, np.ndarray]:
    """Media-change days and each change's fresh concentration of the factors (pg/ml)."""
    from ..protocols.compounds import registry
    from . import layout as L
    from .inputs import compile_protocol

    cp = compile_protocol(protocol, days=days)
    reg = registry()
    media: list[float] = []
    fresh = []
    for i in range(len(cp.t) - 1):
        t_change = cp.u[i, L.U_T_CHANGE]
        if media and abs(media[-1] - t_change) < 1e-9:
            continue
        media.append(float(t_change))
        row = np.zeros(len(fs))
        for j, f in enumerate(fs):
            if f.compound is not None:
                row[j] = cp.u[i, L.U_CONC + reg.index(f.compound)] * f.molar_mass  # nM -> pg/ml
        fresh.append(row)
    return np.array(media), np.array(fresh)
