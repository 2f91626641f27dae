"""Leave-one-publication-out cross-validation: fit without a paper, predict that paper.

The literature table (published outcomes and further facts) is grouped by publication: the first
author and year of each row's source. For each publication, the calibration parameters
(:data:`CV_PARAMS`) are fitted (:func:`~ipscsim.validation.calibrate.calibrate`, least squares from the
defaults over their prior ranges) to every row of the *other* publications, and the left-out
publication's rows are then predicted with the fitted set. Three figures summarise the predictions:

* the out-of-sample share of rows met;
* the mean absolute error, in percentage points, over the rows that give a fraction (for an interval,
  the distance to it; for ``~``, to the value; one-sided rows count their shortfall);
* Spearman's rank correlation between the published MN fractions of the protocols and their
  out-of-sample predictions (does the model order protocols as the papers do?).

The same figures for the fit to every row (in sample) show how much of the fit is memory.
``python -m ipscsim.validation`` reports them (``--quick``: three publications, a short fit), and the
committed baseline holds CI to them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, check_names, suggest
from .calibrate import calibrate
from .evaluate import evaluate
from .fitting import CV_PARAMS
from .targets import Target, fact_targets, outcome_targets, resolve_targets

__all__ = ["CV_PARAMS", "CrossValidation", "cross_validate", "publication"]

#: Publications left out in the quick mode (one monolayer, one aggregate and one programming paper).
QUICK_PUBLICATIONS: tuple[str, ...] = ("Qu 2014", "Maury 2015", "Hester 2011")


def publication(t: Target) -> str:
    """The publication a row comes from: the first author and year of its source (``"Du 2015"``).

    A letter after the year tells apart two papers of one first author and year (``"Hu 2009b"``).
    """
    m = re.search(
        r"([A-Z][A-Za-z'-]+)(?: et al\.?| and [A-Z][A-Za-z'-]+)?,? \(?(\d{4}[a-z]?)\b", t.source
    )
    return f"{m.group(1)} {m.group(2)}" if m else (t.source.split(";")[0].strip() or t.id)


def _error_pp(t: Target, v: float) -> float:
    """Distance from the published value or interval in percentage points (NaN if not a fraction)."""
    if t.kind != "outcome" or not t.is_fraction or not math.isfinite(v):
        return math.nan
    if t.relation == "in":
        d = max(0.0, t.low - v, v - t.high)
    elif t.relation == ">=":
        d = max(0.0, t.value - v)
    elif t.relation == "<=":
        d = max(0.0, v - t.value)
    else:
        d = abs(v - t.value)
    return 100.0 * d


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-sample and in-sample predictions of the literature table.

    Attributes:
        table: One row per target: publication, ``met_out`` and ``value_out`` (predicted by the fit
            that left its publication out), ``met_in`` and ``value_in`` (fit to every row),
            ``error_out_pp`` and ``error_in_pp``.
        fits: The fitted values of :data:`CV_PARAMS` per left-out publication (and ``"all"``).
        wall_time_s: Seconds taken.
    """

    table: Any
    fits: dict[str, dict[str, float]]
    wall_time_s: float

    def figures(self, which: str = "out") -> dict[str, float]:
        """Share met, mean absolute error (percentage points) and MN rank correlation."""
        t = self.table
        err = t[f"error_{which}_pp"].dropna()
        mn = t[(t["readout"] == "MN") & t["published"].notna()]
        rho = math.nan
        if len(mn) >= 3:
            from scipy.stats import spearmanr

            rho = float(spearmanr(mn["published"], mn[f"value_{which}"]).statistic)
        return {
            "met": float(t[f"met_{which}"].mean()),
            "mae_pp": float(err.mean()) if len(err) else math.nan,
            "mn_rank_correlation": rho,
            "n": len(t),
        }


def cross_validate(
    targets: Sequence[Target] | None = None,
    params: Sequence[str] = CV_PARAMS,
    publications: Sequence[str] | None = None,
    max_nfev: int = 8,
) -> CrossValidation:
    """Leave each publication out, fit ``params`` to the rest, predict it.

    Args:
        targets: The literature table (default: published outcomes and further facts).
        params: Parameters refitted in every fold.
        publications: Publications to leave out (default: every one; the others are always in the
            training set).
        max_nfev: Least-squares evaluations per fit (one start, from the defaults).
    """
    import time

    import pandas as pd

    t0 = time.perf_counter()
    targets = (
        resolve_targets(targets) if targets is not None else [*outcome_targets(), *fact_targets()]
    )
    params = check_names("params", params, "parameter names")
    groups = [publication(t) for t in targets]
    chosen = _chosen(publications, groups)
    fits: dict[str, dict[str, float]] = {}
    everything = calibrate(targets, list(params), n_starts=1, max_nfev=max_nfev)
    fits["all"] = everything.params
    ev_in = evaluate(targets, everything.parameter_set.to_array(), keep_results=False)
    rows = []
    for pub in chosen:
        test = [k for k, g in enumerate(groups) if g == pub]
        train = [t for t, g in zip(targets, groups, strict=True) if g != pub]
        if not test or not train:
            continue
        fit = calibrate(train, list(params), n_starts=1, max_nfev=max_nfev)
        fits[pub] = fit.params
        ev = evaluate([targets[k] for k in test], fit.parameter_set.to_array(), keep_results=False)
        for j, k in enumerate(test):
            rows.append(_row(targets[k], pub, ev.values[0, j], bool(ev.met[0, j]), ev_in, k))
    return CrossValidation(pd.DataFrame(rows), fits, time.perf_counter() - t0)


def _chosen(publications: Any, groups: list[str]) -> list[str]:
    """The publications to leave out, each one the targets cite (checked before any fit)."""
    known = sorted(set(groups))
    if publications is None:
        return known
    if isinstance(publications, str):
        raise ParameterError(
            f"publications: {publications!r} must be a list of publications, e.g. [{publications!r}]"
        )
    chosen = check_names("publications", list(publications), "publications")
    for pub in chosen:
        if pub not in known:
            raise ParameterError(
                f"publications: {pub!r} is cited by no target{suggest(pub, known)}; the targets "
                f"cite {', '.join(known)}"
            )
    return chosen


def _row(t: Target, pub: str, v_out: float, met_out: bool, ev_in: Any, k: int) -> dict[str, Any]:
    v_in = float(ev_in.values[0, k])
    published = t.value if t.kind == "outcome" and t.relation in ("in", "~") else math.nan
    return {
        "id": t.id,
        "publication": pub,
        "protocol": t.protocol,
        "readout": t.readout if not t.perturbation else f"{t.readout} ({t.perturbation})",
        "published": published,
        "value_out": float(v_out),
        "met_out": met_out,
        "error_out_pp": _error_pp(t, float(v_out)),
        "value_in": v_in,
        "met_in": bool(ev_in.met[0, k]),
        "error_in_pp": _error_pp(t, v_in),
    }


def _figures_line(cv: CrossValidation) -> list[str]:
    out, inn = cv.figures("out"), cv.figures("in")
    return [
        "| | rows met | MAE (percentage points) | MN rank correlation |",
        "|---|---|---|---|",
        f"| out of sample (publication left out) | {out['met']:.2f} | {out['mae_pp']:.1f} | "
        f"{out['mn_rank_correlation']:.2f} |",
        f"| in sample (fit to every row) | {inn['met']:.2f} | {inn['mae_pp']:.1f} | "
        f"{inn['mn_rank_correlation']:.2f} |",
    ]


def report_section(cv: CrossValidation, quick: bool) -> list[str]:
    """The report's section on leave-one-publication-out prediction."""
    pubs = sorted(set(cv.table["publication"])) if len(cv.table) else []
    lines = [
        "## Prediction of left-out publications",
        "",
        f"Leave-one-publication-out cross-validation (`ipscsim.validation.crossval`): "
        f"{', '.join(CV_PARAMS)} refitted (least squares from the defaults) to every published "
        f"outcome and fact of the other publications, then the left-out publication predicted; "
        f"{len(pubs)} publications left out in turn"
        + (" (quick mode: three of them, a short fit)" if quick else "")
        + f", {cv.wall_time_s:.0f} s. The rank correlation compares the published MN fractions of "
        "the protocols with the predicted ones. The rows met in sample are met by a fit that saw "
        "them.",
        "",
        *_figures_line(cv),
        "",
        "| id | publication | protocol | readout | published | predicted (left out) | met | "
        "fit to all | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in cv.table.iterrows():
        lines.append(
            f"| {r['id']} | {r['publication']} | {r['protocol']} | {r['readout']} | "
            f"{_num(r['published'])} | {_num(r['value_out'])} | {'yes' if r['met_out'] else '**no**'} "
            f"| {_num(r['value_in'])} | {'yes' if r['met_in'] else '**no**'} |"
        )
    return [*lines, ""]


def _num(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
