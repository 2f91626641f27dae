"""The graft model's inputs and its cord: products, hosts, the grid, factor fields, host MN survival.

The parts of :mod:`ipscsim.studies.transplant` that its outcomes (:mod:`~ipscsim.studies.
transplant_outcomes`) share with it: the product and host tables, a transplant's inputs resolved and
checked (:class:`_Plan`), the cord's grid and injection sites, the steady factor fields per unit of
secretion, and the host MNs' survival under the graft's trophic support (the model is described in
:mod:`ipscsim.studies.transplant`).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..errors import ParameterError, check_int, suggest
from ._records import even_spacing

__all__ = ["DAYS_PER_MONTH", "hosts", "lumbar_alive", "products"]


ECS_FRACTION = 0.2  # Sykova & Nicholson 2008 Physiol Rev 88:1277


#: Grid nodes a transplant may use (about 0.8 GB of float64 work arrays).
MAX_GRID_NODES = 20_000_000


#: The most records a transplant run keeps (bounded time and memory).
MAX_RECORDS = 100_000


DAYS_PER_MONTH = 30.4375


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ipscsim.model").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def _hosts() -> dict[str, dict[str, str]]:
    return {r["host"]: r for r in _rows("hosts.csv")}


@lru_cache(maxsize=1)
def _products() -> dict[str, dict[str, str]]:
    return {r["product"]: r for r in _rows("products.csv")}


@lru_cache(maxsize=1)
def _tumour() -> dict[str, float]:
    return {r["parameter"]: float(r["value"]) for r in _rows("tumour.csv")}


def hosts():
    """The hosts' table (``model/data/hosts.csv``) as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(list(_hosts().values())).set_index("host")


def products():
    """The cell products' table (``model/data/products.csv``) as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(list(_products().values())).set_index("product")


def _pick(name: Any, table: dict, field_: str) -> dict[str, str]:
    if isinstance(name, str) and name in table:
        return table[name]
    raise ParameterError(
        f"{field_}: unknown {field_} {name!r}{suggest(str(name), table)} (choose one of "
        f"{', '.join(table)})"
    )


@dataclass(frozen=True)
class _Graft:
    name: str
    secretion: dict[str, float]  # pg per cell per day
    residual_pluripotent: float
    acute: float
    rejection: dict[str, float]  # per month: allogeneic, immunosuppressed, autologous


def _graft_from(graft: Any) -> tuple[_Graft, dict[str, str] | None]:
    from ..model.secretion import CELL_TYPE_PRODUCER, FACTORS, secretion_rate

    if isinstance(graft, str):
        row = _pick(graft, _products(), "graft")
        sec = {f: secretion_rate(row["secretes_as"], f) * 1e-6 for f in FACTORS}
        return (
            _Graft(
                graft,
                sec,
                float(row["residual_pluripotent"]),
                float(row["graft_survival_acute"]),
                {
                    "allogeneic": float(row["rejection_per_month_allogeneic"]),
                    "immunosuppressed": float(row["rejection_per_month_immunosuppressed"]),
                    "autologous": float(row["autologous_rejection_per_month"]),
                },
            ),
            row,
        )
    if hasattr(graft, "fractions") and hasattr(graft, "summary"):
        # a differentiation Result: its last day's population, as neural progenitor-like grafts
        frac = graft.fractions.iloc[-1]
        sec = dict.fromkeys(FACTORS, 0.0)
        for ty, share in frac.items():
            prod = CELL_TYPE_PRODUCER.get(str(ty))
            if prod is None:
                continue
            for f in FACTORS:
                sec[f] += float(share) * secretion_rate(prod, f) * 1e-6
        ref = _products()["NSI-566"]  # engraftment and rejection as for unmodified neural cells
        name = graft.meta.get("protocol", {}).get("name", "result")
        return (
            _Graft(
                f"{name} (day {float(graft.days[-1]):g})",
                sec,
                float(graft.summary()["residual_pluripotent"]),
                float(ref["graft_survival_acute"]),
                {
                    "allogeneic": float(ref["rejection_per_month_allogeneic"]),
                    "immunosuppressed": float(ref["rejection_per_month_immunosuppressed"]),
                    "autologous": float(ref["autologous_rejection_per_month"]),
                },
            ),
            None,
        )
    raise ParameterError(
        f"graft: {graft!r} must be a product name ({', '.join(_products())}) or a differentiation "
        "Result (ipscsim.simulate(...))"
    )


def _weibull(age: np.ndarray, start: float, end: float, left: float) -> np.ndarray:
    """Cumulative MN-loss hazard of the untreated host at ``age`` (days)."""
    tau = (end - start) / math.sqrt(-math.log(left))
    x = np.clip((np.asarray(age) - start) / tau, 0.0, None)
    return x * x


@dataclass(frozen=True)
class _Plan:
    """A transplant's inputs, resolved and checked."""

    graft: _Graft
    row: dict[str, str] | None
    host: str
    host_row: dict[str, str]
    months: float
    dose: float
    sites: int
    immunosuppression: bool
    origin: str
    rejection: float
    grid_mm: float
    secretion_scale: float
    record_every: float


@dataclass(frozen=True)
class _Cord:
    """The cord's grid, the injection sites and the horns the readouts look at."""

    shape: tuple[int, int, int]
    zc: np.ndarray  # mm along the cord, 0 at the graft's centre
    site_z: np.ndarray
    ix_ipsi: int
    ix_contra: int
    iy: int
    source: np.ndarray  # 1 pg/day per site, per mm^3
    secreted: list[str]
    decay_length: float


def _resolve(graft, host, months, dose, sites, immunosuppression, origin, grid_mm, secretion_scale,
             residual_pluripotent, record_every) -> _Plan:  # fmt: skip
    """Defaults from the product and host tables, and every input checked."""
    from ..errors import is_real

    g, row = _graft_from(graft)
    if not is_real(secretion_scale) or not 0 <= secretion_scale < math.inf:
        raise ParameterError(f"secretion_scale: {secretion_scale!r} must be a finite number >= 0")
    if residual_pluripotent is not None and (
        not is_real(residual_pluripotent) or not 0 <= residual_pluripotent <= 1
    ):
        raise ParameterError(
            f"residual_pluripotent: {residual_pluripotent!r} must be a fraction in [0, 1]"
        )
    g = _Graft(
        g.name,
        {f: v * float(secretion_scale) for f, v in g.secretion.items()},
        g.residual_pluripotent if residual_pluripotent is None else float(residual_pluripotent),
        g.acute,
        g.rejection,
    )
    if host is None:
        host = row["default_host"] if row else "rat_SOD1_G93A"
    h_row = _pick(host, _hosts(), "host")
    _check_span(months, record_every)
    dose = float(row["default_dose_per_site"]) if dose is None and row else dose
    dose = 1e5 if dose is None else dose
    if not is_real(dose) or not 0 <= dose < math.inf:
        raise ParameterError(f"dose: {dose!r} must be a finite number of cells per site >= 0")
    if sites is None:
        sites = int(row["default_sites"]) if row else 3
    sites = check_int("sites", sites, 1, 40)
    if immunosuppression is None:
        immunosuppression = (row["default_immunosuppression"] == "True") if row else True
    if not isinstance(immunosuppression, (bool, np.bool_)):
        raise ParameterError(f"immunosuppression: {immunosuppression!r} must be True or False")
    if origin is None:
        origin = row["default_origin"] if row else "allogeneic"
    if not isinstance(origin, str) or origin not in ("allogeneic", "autologous"):
        raise ParameterError(f"origin: {origin!r} must be 'allogeneic' or 'autologous'")
    if origin == "autologous":
        rejection = g.rejection["autologous"]
    else:
        rejection = g.rejection["immunosuppressed" if immunosuppression else "allogeneic"]
    h = _grid(grid_mm, h_row)
    return _Plan(
        g, row, host, h_row, float(months), float(dose), int(sites), bool(immunosuppression),
        origin, rejection, h, float(secretion_scale), float(record_every),
    )  # fmt: skip


def _check_span(months: Any, record_every: Any) -> None:
    """Raise a ParameterError for a length or a record spacing a transplant run cannot take."""
    from ..errors import is_real

    if not is_real(months) or not 0 < float(months) <= 120:
        raise ParameterError(f"months: {months!r} must be a number of months in (0, 120]")
    if (
        not is_real(record_every)
        or not 0 < float(record_every) <= float(months)
        or float(months) / float(record_every) > MAX_RECORDS
    ):
        raise ParameterError(
            f"record_every: {record_every!r} must be a number of months in (0, months] giving at "
            f"most {MAX_RECORDS} records, e.g. 0.25"
        )
    even_spacing(float(months), float(record_every), "months")


def _grid(grid_mm: Any, h_row: dict[str, str]) -> float:
    """The grid spacing (mm): the default for the host's cord, or ``grid_mm`` checked."""
    from ..errors import is_real

    width, depth = float(h_row["cord_width_mm"]), float(h_row["cord_depth_mm"])
    finest, coarsest = min(width, depth) / 200.0, min(width, depth) / 4.0
    h = grid_mm if grid_mm is not None else min(width, depth) / 24.0
    if not is_real(h) or not finest <= float(h) <= coarsest:
        raise ParameterError(
            f"grid_mm: {grid_mm!r} must be a spacing in mm in [{finest:.3g}, {coarsest:g}] for "
            f"this host (default {min(width, depth) / 24.0:.3g})"
        )
    return float(h)


def _cord(plan: _Plan) -> _Cord:
    """The grid of the cord around the sites, and the sources (grid sizes checked first)."""
    from ..model.secretion import FACTORS, factor

    hr, g, h = plan.host_row, plan.graft, plan.grid_mm
    width, depth = float(hr["cord_width_mm"]), float(hr["cord_depth_mm"])
    seg = float(hr["segment_length_mm"])
    secreted = [f for f in FACTORS if g.secretion[f] > 0]
    lam = max((factor(f).decay_length_mm for f in secreted), default=1.0)
    length = (plan.sites - 1) * seg + 12.0 * lam
    nx, ny, nz = (max(4, round(v / h)) for v in (width, depth, length))
    if nx * ny * nz > MAX_GRID_NODES:
        raise ParameterError(
            f"grid_mm: {h:g} mm makes a grid of {nx * ny * nz:.3g} nodes (more than "
            f"{MAX_GRID_NODES:.0e}); use a coarser grid, e.g. grid_mm={min(width, depth) / 24:.3g}"
        )
    zc = (np.arange(nz) + 0.5) * h - length / 2.0
    site_z = (np.arange(plan.sites) - (plan.sites - 1) / 2.0) * seg
    ix_ipsi, ix_contra = int(nx * 0.25), nx - 1 - int(nx * 0.25)
    iy = int(ny * 0.7)  # ventral horn
    src = np.zeros((nx, ny, nz))
    for z in site_z:
        src[ix_ipsi, iy, int(np.clip(round((z + length / 2.0) / h - 0.5), 0, nz - 1))] += 1.0
    src /= h**3
    return _Cord((nx, ny, nz), zc, site_z, ix_ipsi, ix_contra, iy, src, secreted, lam)


def _unit_fields(cord: _Cord, h: float, progress: bool) -> dict[str, np.ndarray]:
    """Steady factor fields in pM per (pg/day per site), per secreted factor."""
    from tqdm.auto import tqdm

    from ..engines.tissue import steady_state
    from ..model.secretion import factor

    unit = {}
    for f in tqdm(
        cord.secreted, desc="transplant: factor fields", disable=not progress, leave=False
    ):
        fa = factor(f)
        u = steady_state(cord.source, fa.tissue_diffusion_mm2_day, fa.tissue_decay_per_day, h)
        unit[f] = u / ECS_FRACTION * 1e3 / fa.pg_per_ml_per_pM()
    return unit


def _host_survival(plan, cord, unit, t_m, cells_site, age0):
    """Host MNs alive (near, far, contralateral, untreated) by month and along the cord at the end."""
    import pandas as pd

    from ..model.secretion import factor
    from ..model.survival import trophic_support_array

    hr, g = plan.host_row, plan.graft
    trophic = [f for f in cord.secreted if factor(f).compound is not None]

    def support(col_x: int) -> np.ndarray:
        doses = {
            factor(f).compound: np.outer(cells_site, unit[f][col_x, cord.iy, :])
            * g.secretion[f]
            * 1e-3
            for f in trophic
        }
        return trophic_support_array(doses) if doses else np.zeros((len(t_m), len(cord.zc)))

    end_stage, p_ex = float(hr["end_stage_day"]), float(hr["max_protection"])
    start, left = float(hr["mn_loss_start_day"]), float(hr["mn_left_at_end_stage"])
    cum0 = _weibull(age0 + t_m * DAYS_PER_MONTH, start, end_stage, left)
    dcum = np.diff(cum0)

    def alive(col_x: int) -> np.ndarray:  # hazard scaled by 1 - e T(z, t)
        sup = support(col_x)
        mid = 0.5 * (sup[1:] + sup[:-1])
        cum = np.vstack(
            [np.zeros(len(cord.zc)), np.cumsum(dcum[:, None] * (1 - p_ex * mid), axis=0)]
        )
        return np.exp(-cum0[0]) * np.exp(-cum)

    alive_i, alive_c = alive(cord.ix_ipsi), alive(cord.ix_contra)
    lumbar_mm = float(hr["lumbar_segments"]) * float(hr["segment_length_mm"])
    dist = np.min(np.abs(cord.zc[:, None] - cord.site_z[None, :]), axis=1)
    near, far = dist <= 1.0, dist >= 4.0 * cord.decay_length
    mn = pd.DataFrame(
        {
            "near graft": alive_i[:, near].mean(axis=1) if near.any() else np.nan,
            "ipsilateral far": alive_i[:, far].mean(axis=1) if far.any() else np.nan,
            "contralateral": alive_c.mean(axis=1),
            "lumbar": lumbar_alive(alive_i, alive_c, np.exp(-cum0), cord.zc, lumbar_mm),
            "untreated": np.exp(-cum0),
        },
        index=pd.Index(t_m, name="month"),
    )
    profile = pd.DataFrame(
        {"ipsilateral": alive_i[-1], "contralateral": alive_c[-1]},
        index=pd.Index(cord.zc, name="distance_mm"),
    )
    return mn, profile


def _age(plan: _Plan, age_at_transplant: Any) -> float:
    """Host age at the transplant (days; days from onset for human_ALS)."""
    from ..errors import is_real

    hr = plan.host_row
    if age_at_transplant is None:
        return float(hr["age_at_transplant_day"])
    human = hr["species"] == "human"  # days from onset, which may be before it
    end = float(hr["end_stage_day"])
    low = -36_500.0 if human else 0.0
    if is_real(age_at_transplant) and low <= float(age_at_transplant) < end:
        return float(age_at_transplant)
    raise ParameterError(
        f"age_at_transplant: {age_at_transplant!r} must be a number of days from {low:g} to before "
        f"the host's end stage on day {end:g} ({'days from onset' if human else 'host age'}; the "
        f"default is {float(hr['age_at_transplant_day']):g}); from end stage on there is nothing to run"
    )


def lumbar_alive(alive_i, alive_c, untreated, zc, lumbar_mm: float) -> np.ndarray:
    """MNs alive in the lumbar enlargement, averaged over both horns, by record.

    Args:
        alive_i: Ipsilateral MNs alive, ``(records, positions)``.
        alive_c: Contralateral MNs alive, same shape.
        untreated: The untreated host's MNs alive by record (the cord outside the box).
        zc: Positions along the cord (mm, 0 at the graft's centre), evenly spaced.
        lumbar_mm: Length of the lumbar enlargement (centred on the graft).
    """
    zc = np.asarray(zc, dtype=np.float64)
    inside = np.abs(zc) <= lumbar_mm / 2.0
    if not inside.any():
        return np.asarray(untreated, dtype=np.float64)
    h = float(zc[1] - zc[0]) if len(zc) > 1 else lumbar_mm
    covered = min(float(inside.sum()) * h, lumbar_mm)
    mean_inside = 0.5 * (alive_i[:, inside] + alive_c[:, inside]).mean(axis=1)
    return (mean_inside * covered + np.asarray(untreated) * (lumbar_mm - covered)) / lumbar_mm
