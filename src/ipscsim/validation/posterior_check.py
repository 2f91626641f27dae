"""Do the posterior's prediction intervals reach the data, in sample and for a publication left out?

The draws are what ``simulate(..., uncertainty=n)`` runs: the calibrated parameters from the
posterior sample, the others over their plausible ranges. For each row of the literature table the
central ``level`` band of its readout over the draws is computed, and the row is **covered** when at
least ``(1 - level) / 2`` of the draws meet it (as in :mod:`~ipscsim.validation.coverage`).

In sample, every publication helped make the posterior. Out of sample, each publication ``P`` is left
out by importance sampling: a draw's weight is ``1 / L_P`` (its likelihood of ``P``'s rows that the
posterior was fitted to: ``meta["targets"]``, computed as in the fit, with the parameters outside
the posterior at their values; rows added to the table after the fit are out of sample as they
stand, their weights equal), which turns the posterior given every publication into
(approximately) the posterior given the others, and the weights are Pareto-smoothed (PSIS; Vehtari
et al. 2024, JMLR 25(72):1-58; arviz). The smoothing's shape estimate ``k`` says how far to trust a
fold: below 0.7 the estimate is reliable; above it, ``P`` moved the posterior so much that its
draws barely cover the posterior without it. With ``match_moments`` such a fold's draws are moved
towards the posterior without ``P`` (:mod:`~ipscsim.validation.moment_match`; Paananen et al.
2021) and simulated again; a fold still above 0.7 is flagged (a fresh fit without ``P`` would be
needed there).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.parameter_set import ParameterSet
from ..model.parameters import PARAM_INDEX
from ..model.readouts import timing_kind
from .bayes import literature_targets, log_likelihood_terms
from .coverage import as_days, spread, wquantile
from .crossval import _error_pp, publication
from .evaluate import evaluate
from .fitting import residuals, search_space
from .moment_match import K_RELIABLE, moment_match, psis
from .targets import Target

__all__ = ["PosteriorCheck", "fold_reliability", "posterior_check"]

log = logging.getLogger(__name__)

#: Share of the draws below which a fold's effective sample size makes it unreliable too: the
#: Pareto fit cannot see a fold whose weight rests on a handful of equal weights (k may even be
#: negative there), as when a few draws miss the left-out rows by the failed-run penalty.
ESS_SHARE = 0.1


#: Rounds of moment matching per fold (each up to three simulations of every draw over the
#: literature table, about 35 s at 200 draws on two cores).
MM_ROUNDS = 3


@dataclass(frozen=True)
class PosteriorCheck:
    """Prediction intervals of the literature table from posterior draws.

    Attributes:
        table: One row per target: ``publication``, ``lower``/``upper`` and ``covered`` in sample,
            ``lower_out``/``upper_out``/``covered_out`` with the publication left out, the weighted
            median prediction ``value_out``, ``met_out`` and ``error_out_pp``, the fold's ``k`` and
            ``unreliable``, and ``in_fit`` (whether the posterior was fitted to the row).
        folds: One row per publication: ``k`` (Pareto shape), ``ess`` (effective draws),
            ``unreliable`` (k above :data:`K_RELIABLE` or ess below :data:`ESS_SHARE` of the draws),
            ``k_psis`` (the shape before moment matching) and ``maps`` (the maps kept, ``""``: none).
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
            "matched_folds": int((self.folds["maps"] != "").sum()),
            "n": len(t),
        }


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
    match_moments: bool = False,
) -> PosteriorCheck:
    """Intervals over posterior draws, in sample and leaving each publication out (PSIS).

    Args:
        targets: The literature table (the rows the posterior was fitted to).
        n_draws: Draws to simulate.
        level: The intervals' probability.
        seed: Seed of the draws.
        parameter_set: What to draw from (default: the shipped posterior, plausible ranges for the
            other parameters).
        match_moments: Move the draws of each unreliable fold towards the posterior without its
            publication (:func:`~ipscsim.validation.moment_match.moment_match`; a few hundred
            more simulations per draw and fold) instead of only flagging it.
    """
    import pandas as pd

    targets = list(targets)
    ps = parameter_set if parameter_set is not None else ParameterSet(ranges="posterior")
    arrays = ps.sample_arrays(n_draws, seed=seed)
    ev = evaluate(targets, arrays, keep_results=False)
    keep = np.isfinite(ev.values).any(axis=1)
    pred = (ev.values[keep], ev.references[keep], ev.met[keep])
    loo = _LeaveOut.build(targets, ps, arrays[keep])
    fitted = loo.fitted_ids
    tail = (1.0 - level) / 2.0
    pubs = [publication(t) for t in targets]
    folds, rows = {}, []
    for pub in sorted(set(pubs)):
        cols = [j for j, g in enumerate(pubs) if g == pub]
        fold = loo.fold(cols, match_moments)
        folds[pub] = (fold.k, *fold_reliability(fold.k, fold.weights), fold.k_start, fold.maps)
        for i, j in enumerate(cols):
            ins = tuple(a[:, j] for a in pred)
            out = ins if fold.pred is None else tuple(a[:, i] for a in fold.pred)
            row = _row(targets[j], pub, fold.k, ins, out, fold.weights, tail)
            rows.append({**row, "unreliable": folds[pub][2], "in_fit": targets[j].id in fitted})
    table = pd.DataFrame(rows).set_index("id").loc[[t.id for t in targets]]
    fold_table = pd.DataFrame.from_dict(
        folds, orient="index", columns=["k", "ess", "unreliable", "k_psis", "maps"]
    )
    return PosteriorCheck(table, fold_table, level, int(keep.sum()))


@dataclass(frozen=True)
class _Fold:
    """A publication left out: weights of the draws and their Pareto shape.

    ``k_start`` is the shape before moment matching, ``maps`` the maps it kept, and ``pred`` the
    left-out rows' predictions for moved draws (``None``: the draws as sampled).
    """

    weights: np.ndarray
    k: float
    k_start: float
    maps: str
    pred: tuple[np.ndarray, np.ndarray, np.ndarray] | None


def _loglik_terms(ev: Any) -> np.ndarray:
    """Student-t log-likelihood of each target for each parameter set: ``(n_sets, n_targets)``."""
    return log_likelihood_terms(np.array([residuals(ev, s) for s in range(ev.values.shape[0])]))


@dataclass(frozen=True)
class _LeaveOut:
    """What leaving publications out needs: the posterior's density at the draws.

    The density is the likelihood of every row the posterior was fitted to (``fit_targets``,
    whichever rows the check itself reports), with the parameters outside the posterior at their
    values (``base``), as in the fit; the predictions use the draws as sampled (``arrays``: those
    parameters over their plausible ranges).
    """

    targets: list[Target]
    fit_targets: list[Target]
    arrays: np.ndarray
    base: np.ndarray
    columns: np.ndarray
    space: Any
    ll: np.ndarray

    @classmethod
    def build(cls, targets: list[Target], ps: ParameterSet, arrays: np.ndarray) -> _LeaveOut:
        post = ps.posterior
        fitted = set(post.meta.get("targets", ())) if post is not None else set()
        fit_targets = [t for t in literature_targets() if t.id in fitted]
        names = list(post.names) if post is not None else []
        columns = np.array([PARAM_INDEX[n] for n in names], dtype=np.int64)
        base = np.tile(ps.to_array(), (arrays.shape[0], 1))
        base[:, columns] = arrays[:, columns]
        ll = np.zeros((arrays.shape[0], 0))
        if fit_targets:
            ll = _loglik_terms(evaluate(fit_targets, base, keep_results=False))
        space = search_space(names) if names else None
        return cls(targets, fit_targets, arrays, base, columns, space, ll)

    @property
    def fitted_ids(self) -> set[str]:
        """Ids of the rows the posterior was fitted to."""
        return {t.id for t in self.fit_targets}

    def fold(self, cols: list[int], match_moments: bool) -> _Fold:
        """Leave the rows ``cols`` (one publication) out: PSIS, then moment matching if asked."""
        ids = {self.targets[j].id for j in cols}
        out = [i for i, t in enumerate(self.fit_targets) if t.id in ids]  # these moved it
        n = self.arrays.shape[0]
        if not out:
            return _Fold(np.full(n, 1.0 / n), math.nan, math.nan, "", None)
        w, k = psis(-self.ll[:, out].sum(axis=1))
        if not (fold_reliability(k, w)[1] and match_moments and self.space is not None):
            return _Fold(w, k, k, "", None)
        log.info("fold %s: k %.3g, moment matching", self.targets[cols[0]].id, k)
        others = [i for i in range(len(self.fit_targets)) if i not in out]
        x = self.space.to_x(self.base[:, self.columns])
        start = (self.ll[:, others].sum(axis=1), None)
        mm = moment_match(
            x, self.ll.sum(axis=1), lambda z: self._target(z, others, cols), max_iters=MM_ROUNDS,
            initial=start,
        )  # fmt: skip
        if mm.transforms and (math.isnan(mm.k) or mm.k < k):  # better than plain PSIS
            return _Fold(mm.weights, mm.k, k, "+".join(mm.transforms), mm.aux)
        return _Fold(w, k, k, "", None)

    def _predict(self, cols: list[int], values: np.ndarray):
        """The rows ``cols`` for the draws, with the posterior's parameters set to ``values``."""
        arrays = self.arrays.copy()
        arrays[:, self.columns] = values
        ev = evaluate([self.targets[j] for j in cols], arrays, keep_results=False)
        return ev.values, ev.references, ev.met

    def _target(self, x: np.ndarray, others: list[int], cols: list[int]):
        """Log posterior without the fold at search coordinates ``x``, and the fold's predictions."""
        inside = np.all((self.space.lo <= x) & (x <= self.space.hi), axis=1)
        values = self.space.to_values(np.clip(x, self.space.lo, self.space.hi))
        base = self.base.copy()
        base[:, self.columns] = values
        ev = evaluate([self.fit_targets[i] for i in others], base, keep_results=False)
        lt = np.where(inside, _loglik_terms(ev).sum(axis=1), -np.inf)
        return lt, self._predict(cols, values)


def fold_reliability(k: float, w: np.ndarray) -> tuple[float, bool]:
    """A fold's effective sample size (of weights ``w`` summing to 1) and whether it is unreliable.

    Unreliable: the Pareto shape ``k`` above :data:`K_RELIABLE`, or the weight resting on fewer than
    :data:`ESS_SHARE` of the draws. ``k`` NaN (bounded ratios, no tail to fit: see
    :func:`~ipscsim.validation.moment_match.psis`) leaves the effective sample size to judge.
    """
    ess = float(1.0 / np.sum(w**2))
    return ess, bool(k > K_RELIABLE or ess < ESS_SHARE * len(w))


def _row(t: Target, pub: str, k: float, ins, out, w_out, tail) -> dict[str, Any]:
    """One target's in-sample and left-out bands, and its left-out median prediction.

    ``ins`` and ``out`` are the (values, references, met) of the draws in sample and of the draws
    weighted by ``w_out`` (the same draws, or the draws moved by moment matching).
    """
    (v, r, met), (v_o, r_o, met_o) = ins, out
    lo, hi, cov = _band(t, v, r, met, np.ones(len(v)), tail)
    lo_o, hi_o, cov_o = _band(t, v_o, r_o, met_o, w_out, tail)
    value = float(wquantile(as_days(t, v_o), w_out, [0.5])[0])
    ref = float(wquantile(r_o, w_out, [0.5])[0]) if t.kind == "direction" else math.nan
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
        _method(check, meta, quick),
        "",
        f"**{pct} bands covering the published value: {f['coverage_in']:.0%} of {f['n']} rows in "
        f"sample, {f['coverage_out']:.0%} with the row's publication left out.** Left-out median "
        f"prediction: {f['met_out']:.0%} of rows met, mean absolute error "
        f"{f['mae_out_pp']:.1f} percentage points; unreliable folds: "
        f"{f['unreliable_folds']} of {len(check.folds)}"
        + (
            f", after moment matching moved the draws of {f['matched_folds']}."
            if f["matched_folds"]
            else "."
        ),
        "",
        *([] if check.table["in_fit"].all() else [_held_out_note(check), ""]),
        "| id | publication | readout | band in sample | covered | band, publication left out "
        "| covered | k |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, r in check.table.iterrows():
        flag = " (unreliable)" if r["unreliable"] else ""
        fold = check.folds.loc[r["publication"]]
        k = f"{_f(fold['k_psis'])} -> {_f(r['k'])} ({fold['maps']})" if fold["maps"] else _f(r["k"])
        b = _day if timing_kind(r["readout"]) else _f
        lines.append(
            f"| {i} | {r['publication']} | {r['readout']} | {b(r['lower'])} to {b(r['upper'])} "
            f"| {'yes' if r['covered'] else '**no**'} | {b(r['lower_out'])} to "
            f"{b(r['upper_out'])} | {'yes' if r['covered_out'] else '**no**'} | {k}{flag} |"
        )
    return [*lines, ""]


def _method(check: PosteriorCheck, meta: dict[str, Any], quick: bool) -> str:
    """The paragraph saying how the bands and the left-out folds were made."""
    pct = f"{check.level:.0%}"
    return (
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
        "Pareto-smoothed importance sampling (`ipscsim.validation.posterior_check`: a draw's "
        "weight is one over its likelihood of the publication's rows, with the other parameters "
        "at their values, as in the fit); a fold whose "
        f"Pareto shape k exceeds {K_RELIABLE}, or whose weight rests on fewer than "
        f"{ESS_SHARE:.0%} of the draws (effective sample size), is not reliable (marked); k is "
        "`-` where the largest weights take fewer than five distinct values (every draw fits the "
        "publication's rows alike, or a few groups of draws do: the likelihood is flat inside a "
        "published interval), so that the weights are bounded and there is no tail to fit; the "
        "effective sample size then judges the fold. Where every draw fits them alike, "
        "importance sampling leaves the posterior as it is: "
        "it cannot see where the parameters would go without the publication, outside the "
        "draws; the refits of the cross-validation above measure that."
        + (
            ""
            if quick
            else " For a fold that is not reliable, the draws are moved towards the posterior "
            "without the publication by moment matching (affine maps to the weighted mean, spreads and "
            "covariance, each kept if it lowers k; Paananen et al. 2021, Stat Comput 31:16; "
            "`ipscsim.validation.moment_match`): the k column shows k before and after, and the "
            "left-out band is made of the moved draws, simulated again."
        )
    )


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
