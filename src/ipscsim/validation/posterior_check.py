"""Do the posterior's prediction intervals reach the data, in sample and for a publication left out?

The draws are what ``simulate(..., uncertainty=n)`` runs: the calibrated parameters from the
posterior sample, the others over their plausible ranges. For each row of the literature table the
central ``level`` band of its readout over the draws is computed, and the row is **covered** when at
least ``(1 - level) / 2`` of the draws meet it (as in :mod:`~ipscsim.validation.coverage`).

In sample, every publication helped make the posterior. Out of sample, each publication ``P`` is left
out by importance sampling: a draw's weight is ``1 / L_P`` (its likelihood of ``P``'s rows that the
posterior was fitted to: ``meta["targets"]``; rows added to the table after the fit are out of sample
as they stand, their weights equal), which
turns the posterior given every publication into (approximately) the posterior given the others,
and the weights are Pareto-smoothed (PSIS; Vehtari et al. 2024, JMLR 25(72):1-58; arviz). The
smoothing's shape estimate ``k`` says how far to trust a fold: below 0.7 the estimate is reliable;
above it, ``P`` moved the posterior so much that its draws barely cover the posterior without it,
and the report flags the fold (a fresh fit without ``P`` would be needed there).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.parameter_set import ParameterSet
from ..model.readouts import timing_kind
from .bayes import log_likelihood
from .coverage import as_days, spread, wquantile
from .crossval import _error_pp, publication
from .evaluate import evaluate
from .fitting import residuals
from .targets import Target

__all__ = ["PosteriorCheck", "fold_reliability", "posterior_check"]

#: Pareto shape above which a leave-one-publication-out estimate is not reliable.
K_RELIABLE = 0.7

#: Share of the draws below which a fold's effective sample size makes it unreliable too: the
#: Pareto fit cannot see a fold whose weight rests on a handful of equal weights (k may even be
#: negative there), as when a few draws miss the left-out rows by the failed-run penalty.
ESS_SHARE = 0.1


@dataclass(frozen=True)
class PosteriorCheck:
    """Prediction intervals of the literature table from posterior draws.

    Attributes:
        table: One row per target: ``publication``, ``lower``/``upper`` and ``covered`` in sample,
            ``lower_out``/``upper_out``/``covered_out`` with the publication left out, the weighted
            median prediction ``value_out``, ``met_out`` and ``error_out_pp``, the fold's ``k`` and
            ``unreliable``, and ``in_fit`` (whether the posterior was fitted to the row).
        folds: One row per publication: ``k`` (Pareto shape), ``ess`` (effective draws) and
            ``unreliable`` (k above :data:`K_RELIABLE` or ess below :data:`ESS_SHARE` of the draws).
        level: The intervals' probability.
        n_draws: Draws that finished.
    """

    table: Any
    folds: Any
    level: float
    n_draws: int

    def figures(self) -> dict[str, float]:
        """Coverage in and out of sample, out-of-sample share met and error, unreliable folds."""
        t = self.table
        err = t["error_out_pp"].dropna()
        return {
            "coverage_in": float(t["covered"].mean()),
            "coverage_out": float(t["covered_out"].mean()),
            "met_out": float(t["met_out"].mean()),
            "mae_out_pp": float(err.mean()) if len(err) else math.nan,
            "unreliable_folds": int(self.folds["unreliable"].sum()),
            "n": len(t),
        }


def _psis(log_w: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed normalised importance weights and the shape estimate ``k``.

    Equal weights (every draw meets the publication's rows alike) need no smoothing: ``k`` is NaN.
    """
    if np.ptp(log_w) < 1e-9:
        return np.full(log_w.shape, 1.0 / log_w.size), math.nan
    with warnings.catch_warnings():  # arviz announces its refactor on import
        warnings.simplefilter("ignore", FutureWarning)
        try:
            import arviz as az
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                'the leave-one-publication-out check needs arviz: pip install "ipscsim[bayes]"'
            ) from None

        lw, k = az.psislw(log_w - log_w.max())
    return np.exp(np.asarray(lw, dtype=np.float64)), float(k)


def _band(t: Target, v: np.ndarray, r: np.ndarray, met: np.ndarray, w: np.ndarray, tail: float):
    lo, hi = wquantile(spread(t, v, r), w, [tail, 1.0 - tail])
    frac = float(np.sum(w * met) / w.sum())
    return float(lo), float(hi), frac >= tail


def posterior_check(
    targets: Sequence[Target],
    n_draws: int = 200,
    level: float = 0.9,
    seed: int = 0,
    parameter_set: ParameterSet | None = None,
) -> PosteriorCheck:
    """Intervals over posterior draws, in sample and leaving each publication out (PSIS).

    Args:
        targets: The literature table (the rows the posterior was fitted to).
        n_draws: Draws to simulate.
        level: The intervals' probability.
        seed: Seed of the draws.
        parameter_set: What to draw from (default: the shipped posterior, plausible ranges for the
            other parameters).
    """
    import pandas as pd

    targets = list(targets)
    ps = parameter_set if parameter_set is not None else ParameterSet(ranges="posterior")
    ev = evaluate(targets, ps.sample_arrays(n_draws, seed=seed), keep_results=False)
    keep = np.isfinite(ev.values).any(axis=1)
    res = np.array([residuals(ev, s) for s in range(ev.values.shape[0])])[keep]
    vals, refs, met = ev.values[keep], ev.references[keep], ev.met[keep]
    tail = (1.0 - level) / 2.0
    pubs = [publication(t) for t in targets]
    post = ps.posterior
    fitted = set(post.meta.get("targets", ())) if post is not None else set()
    folds, rows = {}, []
    for pub in sorted(set(pubs)):
        cols = [j for j, g in enumerate(pubs) if g == pub]
        in_fit = [j for j in cols if targets[j].id in fitted]  # only these moved the posterior
        w_out, k = _psis(-log_likelihood(res[:, in_fit]) if in_fit else np.zeros(len(res)))
        ess, bad = fold_reliability(k, w_out)
        folds[pub] = (k, ess, bad)
        for j in cols:
            row = _row(targets[j], pub, k, vals[:, j], refs[:, j], met[:, j], w_out, tail)
            rows.append({**row, "unreliable": bad, "in_fit": targets[j].id in fitted})
    table = pd.DataFrame(rows).set_index("id").loc[[t.id for t in targets]]
    fold_table = pd.DataFrame.from_dict(folds, orient="index", columns=["k", "ess", "unreliable"])
    return PosteriorCheck(table, fold_table, level, int(keep.sum()))


def fold_reliability(k: float, w: np.ndarray) -> tuple[float, bool]:
    """A fold's effective sample size (of weights ``w`` summing to 1) and whether it is unreliable.

    Unreliable: the Pareto shape ``k`` above :data:`K_RELIABLE`, or the weight resting on fewer than
    :data:`ESS_SHARE` of the draws. ``k`` NaN (equal weights) alone is reliable.
    """
    ess = float(1.0 / np.sum(w**2))
    return ess, bool(k > K_RELIABLE or ess < ESS_SHARE * len(w))


def _row(t: Target, pub: str, k: float, v, r, met, w_out, tail) -> dict[str, Any]:
    """One target's in-sample and left-out bands, and its left-out median prediction."""
    ones = np.ones_like(w_out)
    lo, hi, cov = _band(t, v, r, met, ones, tail)
    lo_o, hi_o, cov_o = _band(t, v, r, met, w_out, tail)
    value = float(wquantile(as_days(t, v), w_out, [0.5])[0])
    ref = float(wquantile(r, w_out, [0.5])[0]) if t.kind == "direction" else math.nan
    return {
        "id": t.id, "publication": pub, "readout": t.readout, "relation": t.relation,
        "lower": lo, "upper": hi, "covered": cov,
        "lower_out": lo_o, "upper_out": hi_o, "covered_out": cov_o,
        "value_out": value, "met_out": bool(t.met(value, ref)),
        "error_out_pp": _error_pp(t, value), "k": k,
    }  # fmt: skip


def report_section(check: PosteriorCheck, meta: dict[str, Any], quick: bool) -> list[str]:
    """The report's section on the posterior's intervals, in sample and leaving publications out."""
    f = check.figures()
    pct = f"{check.level:.0%}"
    lines = [
        "## Posterior prediction intervals, in sample and leaving each publication out",
        "",
        f"The shipped posterior (`model/data/posterior.csv`; {meta.get('sampler', '')}, "
        f"{meta.get('walkers', '?')} walkers x {meta.get('steps', '?')} steps, acceptance "
        f"{_f(meta.get('acceptance'))}, smallest effective sample size "
        f"{_f(meta.get('min_effective_sample_size'))}, {_f(meta.get('wall_time_s'))} s; "
        "`python -m ipscsim.validation.bayes`) is the Bayesian calibration of "
        f"{', '.join(meta.get('autocorrelation_time', {}))} to the "
        f"{len(meta.get('targets', ()))} rows the literature table had when it was fitted. "
        f"{check.n_draws} draws (as `simulate(p, uncertainty=n)` makes them: these parameters from "
        "the posterior, the others over their plausible ranges"
        + ("; quick mode: fewer draws" if quick else "")
        + f") give a {pct} band per row. Out of sample, each publication is left out by "
        "Pareto-smoothed importance sampling (`ipscsim.validation.posterior_check`); a fold whose "
        f"Pareto shape k exceeds {K_RELIABLE}, or whose weight rests on fewer than "
        f"{ESS_SHARE:.0%} of the draws (effective sample size), is not reliable (marked); k is "
        "`-` where every draw fits the publication alike, so leaving it out changes nothing, and "
        "`inf` where nearly every draw does and the tail fit fails (marked too).",
        "",
        f"**{pct} bands covering the published value: {f['coverage_in']:.0%} of {f['n']} rows in "
        f"sample, {f['coverage_out']:.0%} with the row's publication left out.** Left-out median "
        f"prediction: {f['met_out']:.0%} of rows met, mean absolute error "
        f"{f['mae_out_pp']:.1f} percentage points; unreliable folds: "
        f"{f['unreliable_folds']} of {len(check.folds)}.",
        "",
        *([] if check.table["in_fit"].all() else [_held_out_note(check), ""]),
        "| id | publication | readout | band in sample | covered | band, publication left out "
        "| covered | k |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, r in check.table.iterrows():
        flag = " (unreliable)" if r["unreliable"] else ""
        b = _day if timing_kind(r["readout"]) else _f
        lines.append(
            f"| {i} | {r['publication']} | {r['readout']} | {b(r['lower'])} to {b(r['upper'])} "
            f"| {'yes' if r['covered'] else '**no**'} | {b(r['lower_out'])} to "
            f"{b(r['upper_out'])} | {'yes' if r['covered_out'] else '**no**'} | "
            f"{_f(r['k'])}{flag} |"
        )
    return [*lines, ""]


def _held_out_note(check: PosteriorCheck) -> str:
    """A table row saying which rows the posterior never saw (added to the table after the fit)."""
    t = check.table[~check.table["in_fit"]]
    f = t["covered"].mean()
    return (
        f"Rows {t.index[0]}-{t.index[-1]} ({len(t)}) were added to the table after the posterior's "
        f"fit, so both columns predict them out of sample: {f:.0%} of them are covered."
    )


def _day(v: Any) -> str:
    """A band's end for a timing readout: a day, or "never" for a run that does not get there."""
    return "never" if isinstance(v, float) and math.isinf(v) else _f(v)


def _f(v: Any) -> str:
    if isinstance(v, (int, float, np.floating)) and math.isinf(float(v)):
        return "inf"
    if not isinstance(v, (int, float, np.floating)) or not math.isfinite(float(v)):
        return "-"
    v = float(v)
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
