"""The validation report: every target, the model's value, whether it is met; figures; robustness.

``python -m ipscsim.validation --out docs/validation.md`` regenerates the report (figures next to it in
``validation/``); ``--quick`` uses fewer draws for robustness and lines; ``--check BASELINE`` exits with
status 1 when a target that the baseline records as met is no longer met (CI runs it through the tests),
and ``--write-baseline BASELINE`` records the targets met now.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..model.posterior import shipped_posterior
from ..model.readouts import group_fraction
from .baseline import check_baseline as _check_baseline
from .baseline import check_paths as _check_paths
from .baseline import write_baseline as _write_baseline
from .bayes import literature_targets
from .crossval import QUICK_PUBLICATIONS, cross_validate, report_section
from .evaluate import evaluate
from .posterior_check import posterior_check
from .posterior_check import report_section as posterior_section
from .targets import Target, fact_targets, outcome_targets, phenotype_targets
from .timing import timing_section

__all__ = ["build_report", "fraction_met", "main", "robustness"]

#: Presets drawn with their published points.
FIGURE_PRESETS = (
    "maury2015",
    "du2015",
    "chambers2009",
    "qu2014",
    "hester2011",
    "li2008",
    "amoroso2013",
)


#: Seed of the report's draws over the plausible box (not the seed that sized the box).
ROBUSTNESS_SEED = 2026


def robustness(
    targets: list[Target], n: int = 200, seed: int = ROBUSTNESS_SEED, ranges: str = "plausible"
) -> dict[str, float]:
    """Fraction of ``n`` parameter sets, drawn over the table's ranges, for which each target holds.

    Args:
        targets: Targets to check.
        n: Parameter sets (a Latin hypercube over every parameter not fixed).
        seed: Seed of the draws (not the seed that sized the plausible box).
        ranges: ``"plausible"``, ``"profile"`` or ``"prior"``.
    """
    from ..model.parameter_set import ParameterSet

    return fraction_met(targets, ParameterSet(ranges=ranges).sample_arrays(n, seed=seed))


def fraction_met(targets: list[Target], draws: np.ndarray) -> dict[str, float]:
    """Fraction of the parameter sets ``draws`` (rows) for which each target holds."""
    ev = evaluate(targets, draws, keep_results=False)
    return {t.id: float(ev.met[:, j].mean()) for j, t in enumerate(targets)}


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _table(ev, extra: dict[str, str] | None = None) -> list[str]:
    lines = [
        "| id | protocol | perturbation | readout | day | relation | published or reference | model "
        "| met | source |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for j, t in enumerate(ev.targets):
        ref = _fmt(t.value) if t.kind == "outcome" else f"{_fmt(ev.references[0, j])} (reference)"
        if t.relation == "in":
            ref = f"{_fmt(t.value)} ({_fmt(t.low)}-{_fmt(t.high)})"
        met = "yes" if ev.met[0, j] else "**no**"
        note = (extra or {}).get(t.id, "")
        lines.append(
            f"| {t.id} | {t.protocol} | {t.perturbation or '-'} | {t.readout} | "
            f"{_fmt(t.day)} | {t.relation} | {ref} | {_fmt(ev.values[0, j])} | {met} | "
            f"{t.source}{'; ' + note if note else ''} |"
        )
    return lines


def _figure(name: str, ev_all, targets: list[Target], folder: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot.compare import overlay_published
    from ..plot.palette import CELL_TYPE_COLORS, MARKER_COLORS

    result = ev_all.results.get((name, ""))
    if result is None:
        return ""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    fr, mk = result.fractions, result.markers
    for col in ("iPSC", "neuroectoderm", "pMN", "p3", "p2", "MN", "interneuron"):
        axes[0].plot(fr.index, fr[col], color=CELL_TYPE_COLORS[col], label=col)
    off = group_fraction(fr, "offtarget")
    axes[0].plot(fr.index, off, color="0.45", ls="--", label="off-target (non-neural)")
    for col in ("OCT4", "PAX6", "SOX1", "HOX", "OLIG2", "NKX2.2", "MNX1", "CHAT"):
        axes[1].plot(mk.index, mk[col], color=MARKER_COLORS[col], label=col)
    overlay_published(axes[0], name, list(fr.columns), targets, known_only=False)
    overlay_published(axes[1], name, list(mk.columns), targets, known_only=False)
    for ax, title in ((axes[0], "cell types"), (axes[1], "markers")):
        ax.set_xlabel("day of differentiation (day)")
        ax.set_ylabel("fraction of live cells" + (" positive" if title == "markers" else ""))
        ax.set_ylim(0, 1.05)
        ax.set_title(
            f"{name}: {title} (black: published; ^ at least, v at most, o about)", fontsize=8
        )
        ax.legend(fontsize=6, frameon=False, ncol=2)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def build_report(out: Path, quick: bool = False, figures: bool = True) -> dict[str, Any]:
    """Write the report to ``out`` and return what was measured."""
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    bar = tqdm(total=6, desc="validation", unit="stage", postfix="targets")

    def advance(stage: str) -> None:
        bar.update(1)
        bar.set_postfix_str(stage)

    groups = _evaluate_targets()
    ev = groups.ev
    advance("robustness and coverage")
    rob = _robustness_checks(groups.outcomes, groups.phenos, quick, groups.facts)
    advance("cell lines")
    n_lines, line_rows = _line_checks(quick)
    advance("leave one publication out")
    cv = cross_validate(
        publications=QUICK_PUBLICATIONS if quick else None, max_nfev=2 if quick else 8
    )
    advance("posterior intervals")
    pc = posterior_check(
        literature_targets(), n_draws=40 if quick else 200, match_moments=not quick
    )
    advance("figures")
    figs = {}
    if figures:
        for p in FIGURE_PRESETS:
            figs[p] = _figure(p, ev, groups.everything, out.parent / "validation")
    bar.update(1)
    bar.close()
    notes = _fact_notes()
    met = {
        t.id: bool(ev.met[0, j]) for j, t in enumerate(ev.targets) if not t.id.startswith("fig-")
    }
    lines = [
        *_header(quick, t0),
        *_summary_section(groups, rob, pc.figures()),
        *_target_sections(groups, notes),
        *timing_section(groups.ev_fx),
        *_figure_section(figs),
        *_robustness_section(rob),
        *_coverage_section(rob, groups.facts),
        *report_section(cv, quick),
        *posterior_section(pc, shipped_posterior().meta, quick),
        *_lines_section(n_lines, line_rows),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    covered = rob.coverage.loc[[t.id for t in groups.facts], "covered"]
    return {
        "met": met,
        "robustness": rob.robust,
        "lines": line_rows,
        "coverage": float(covered.mean()) if len(covered) else math.nan,
        "prediction": {"out_of_sample": cv.figures("out"), "in_sample": cv.figures("in")},
        "posterior": pc.figures(),
    }


@dataclass(frozen=True)
class _Groups:
    """The report's targets in their groups and their evaluation with the default parameters.

    Attributes:
        outcomes: Published outcomes.
        phenos: Phenotype checks.
        facts: Further published facts.
        ev: Evaluation of every target and of the figure presets' runs (results kept).
        ev_out: The outcomes' part of ``ev``.
        ev_ph: The phenotypes' part of ``ev``.
        ev_fx: The facts' part of ``ev``.
    """

    outcomes: list[Target]
    phenos: list[Target]
    facts: list[Target]
    ev: Any
    ev_out: Any
    ev_ph: Any
    ev_fx: Any

    @property
    def everything(self) -> list[Target]:
        """Every target: outcomes, phenotypes, facts."""
        return self.outcomes + self.phenos + self.facts


def _evaluate_targets() -> _Groups:
    """Evaluate every target, plus a run of each figure preset, with the default parameters."""
    outcomes, phenos, facts = outcome_targets(), phenotype_targets(), fact_targets()
    everything = outcomes + phenos + facts
    extra_runs = [
        Target(f"fig-{p}", "outcome", p, "", "mn_fraction", math.nan, ">=", 0.0)
        for p in FIGURE_PRESETS
    ]
    ev = evaluate(everything + extra_runs, keep_results=True)
    return _Groups(
        outcomes,
        phenos,
        facts,
        ev,
        _subset(ev, outcomes),
        _subset(ev, phenos),
        _subset(ev, facts),
    )


@dataclass(frozen=True)
class _Robustness:
    """How the targets fare over parameter uncertainty.

    Attributes:
        n_draws: Parameter sets drawn per box.
        robust: Fraction meeting each phenotype over the plausible box.
        box_outcomes: Fraction meeting each published outcome over the plausible box.
        wide: Fraction meeting each phenotype and outcome over the profile box.
        consistent: Fraction meeting each phenotype in the data-consistent sample (``None`` if quick).
        n_tried: Uniform draws tried for the data-consistent sample.
        n_consistent: Draws kept in the data-consistent sample.
        coverage: Prediction bands of the phenotypes and facts over the plausible box
            (:func:`~ipscsim.validation.coverage.prediction_intervals`).
    """

    n_draws: int
    robust: dict[str, float]
    box_outcomes: dict[str, float]
    wide: dict[str, float]
    consistent: dict[str, float] | None
    n_tried: int
    n_consistent: int
    coverage: Any = None


def _robustness_checks(
    outcomes: list[Target], phenos: list[Target], quick: bool, facts: list[Target] = ()
) -> _Robustness:
    """Check the targets over the plausible and profile boxes and (unless quick) the data."""
    from ..model.parameter_set import ParameterSet
    from .coverage import prediction_intervals

    n_draws = 40 if quick else 200
    draws = ParameterSet().sample_arrays(n_draws, seed=ROBUSTNESS_SEED)  # robustness()'s draws
    coverage = prediction_intervals([*phenos, *facts], draws)
    robust = {t.id: float(coverage.loc[t.id, "fraction_met"]) for t in phenos}
    box_outcomes = robustness(outcomes, n_draws)
    wide = robustness(phenos + outcomes, n_draws, ranges="profile")
    if quick:
        consistent, n_tried, n_consistent = None, 0, 0
    else:
        from .ranges import consistent_draws

        sets, n_tried = consistent_draws(  # the outcomes alone: what they leave unpinned
            100, seed=1, max_draws=60_000, targets=outcome_targets(known_misses=False)
        )
        consistent = fraction_met(phenos, sets) if len(sets) else None
        n_consistent = len(sets)
    return _Robustness(
        n_draws, robust, box_outcomes, wide, consistent, n_tried, n_consistent, coverage
    )


def _line_checks(quick: bool) -> tuple[int, list[tuple[str, float, float, float, float]]]:
    """Run a panel of cell lines through three protocols.

    Returns:
        The number of lines and, per protocol, ``(protocol, day, share of lines with a neural fraction
        under 0.5 at the day, mean MN fraction at the end, its SD)``.
    """
    from ..api import simulate_batch
    from ..model.lines import draw

    n_lines = 16 if quick else 64
    panel = draw(n_lines, seed=0)
    line_rows = []
    for proto, day in (("li2008", 10.0), ("chambers2009", 11.0), ("maury2015", 10.0)):
        rs = simulate_batch([proto] * n_lines, lines=panel)
        # neural: every identity but pluripotent and off-target (PAX6 alone would miss pMN and MNs)
        neural = np.array(
            [
                1.0
                - np.interp(day, r.days, r.fractions["iPSC"])
                - np.interp(day, r.days, group_fraction(r.fractions, "offtarget"))
                for r in rs
            ]
        )
        mn = np.array([r.fractions["MN"].iloc[-1] for r in rs])
        line_rows.append(
            (proto, day, float(np.mean(neural < 0.5)), float(mn.mean()), float(mn.std()))
        )
    return n_lines, line_rows


def _header(quick: bool, t0: float) -> list[str]:
    """Title and provenance of the report (``t0``: when the report started)."""
    return [
        "# Validation report",
        "",
        f"Generated by `python -m ipscsim.validation{' --quick' if quick else ''}` with ipscsim "
        f"{__version__} on {time.strftime('%Y-%m-%d')} (default parameters; "
        f"{time.perf_counter() - t0:.0f} s).",
        "Do not edit by hand: rerun the command.",
        "",
    ]


def _summary_section(groups: _Groups, rob: _Robustness, post: dict[str, float]) -> list[str]:
    """The summary: targets met per group, phenotypes robust, the bands' coverage."""
    return [
        "## Summary",
        "",
        f"* published outcomes met: {int(groups.ev_out.met.sum())} of {len(groups.outcomes)}",
        f"* phenotype checks met: {int(groups.ev_ph.met.sum())} of {len(groups.phenos)} (T1-T8; T2 "
        "and T7 are checked in parts; T7's half-maximal dose is a property of the survival assay, "
        "not checked here)",
        f"* further published facts met: {int(groups.ev_fx.met.sum())} of {len(groups.facts)}",
        f"* phenotypes holding in at least 90% of {rob.n_draws} parameter sets drawn over the "
        f"plausible ranges: {sum(f >= 0.9 for f in rob.robust.values())} of {len(rob.robust)}",
        f"* further facts reached by the 90% prediction band (out of sample): "
        f"{int(rob.coverage.loc[[t.id for t in groups.facts], 'covered'].sum())} of "
        f"{len(groups.facts)}",
        f"* rows of the literature table whose posterior 90% band reaches the published value: "
        f"{post['coverage_in']:.0%} of {post['n']} in sample, {post['coverage_out']:.0%} with each "
        "row's publication left out (see the posterior section)",
        "",
    ]


def _target_sections(groups: _Groups, notes: dict[str, str]) -> list[str]:
    """The tables of published outcomes, phenotypes and further facts (``notes`` explain misses)."""
    return [
        "## Published outcomes (`data/published_outcomes.csv`)",
        "",
        "`in` means within the published value's interval (in brackets: the reported spread, or "
        "a stated default where the paper gives only a floor; the `evidence` column says which); "
        "`~` means within 0.10 of the value (10% for non-fractions).",
        "",
        *_table(groups.ev_out),
        "",
        "## Phenotypes (`data/phenotypes.csv`, checked as `validation/data/phenotype_checks.csv`)",
        "",
        "A direction compares the perturbed protocol with its reference (`<`, `>`, by more than the "
        "margin; `=`, within it).",
        "",
        *_table(groups.ev_ph),
        "",
        "## Further published facts (`validation/data/validation_facts.csv`)",
        "",
        "Quotes and sources are in the table's `note` and `source` columns; misses are explained.",
        "",
        *_table(groups.ev_fx, notes),
        "",
    ]


def _figure_section(figs: dict[str, str]) -> list[str]:
    """The time courses with the published points (``figs``: preset to figure file, or ``""``)."""
    lines = ["## Time courses with the published points", ""]
    for p, fname in figs.items():
        if fname:
            lines += [f"### {p}", "", f"![{p}](validation/{fname})", ""]
    return lines


def _robustness_section(rob: _Robustness) -> list[str]:
    """Robustness of the phenotypes (and the outcomes) to parameter uncertainty."""
    return [
        "## Robustness of the phenotypes to parameter uncertainty",
        "",
        f"{rob.n_draws} parameter sets drawn (Latin hypercube, seed 2026) jointly over every "
        "parameter's plausible range (`lower`-`upper` in `model/data/parameters.csv`): the profile "
        "ranges shrunk towards the defaults by one common factor until 90% of joint draws (another "
        "seed) meet every published outcome and phenotype together; see "
        "`ipscsim.validation.ranges`. The phenotypes are part of the data that set the ranges (the "
        "further facts are not: they measure prediction, next section). The requirement is 90% for "
        "each.",
        "",
        "For comparison, the same number of draws over the wider profile ranges (how far each "
        "parameter alone may move; drawn jointly, most such sets contradict the published outcomes)"
        + (
            f", and {rob.n_consistent} parameter sets that meet every published outcome, kept from "
            f"{rob.n_tried:,} uniform draws over the profile box (a rejection sample of the region "
            "consistent with the outcomes alone, which reaches well beyond the plausible box)."
            if rob.consistent is not None
            else " (the full report adds a rejection sample of the data-consistent region)."
        ),
        "",
        "| phenotype | plausible box | 90% met | profile box | outcome-consistent sample |",
        "|---|---|---|---|---|",
        *[
            f"| {k} | {v:.3f} | {'yes' if v >= 0.9 else '**no**'} | {rob.wide[k]:.3f} | "
            f"{'-' if rob.consistent is None else f'{rob.consistent[k]:.3f}'} |"
            for k, v in rob.robust.items()
        ],
        "",
        "How the draws fare on the published outcomes themselves (fraction meeting each):",
        "",
        "| outcome | plausible box | profile box |",
        "|---|---|---|",
        *[f"| {k} | {v:.3f} | {rob.wide[k]:.3f} |" for k, v in rob.box_outcomes.items()],
        "",
        "Why the phenotypes are among the data that set the box: the published outcomes alone do not "
        "pin the parameters they depend on. In the outcome-consistent sample, sets with weak "
        "endogenous BMP or Nodal signalling still meet chambers2009's PAX6 yet no longer need Noggin "
        "or SB431542 (T4, T5), and in some sets ten times SAG has not turned pMN into p3 by day 9 "
        "(NKX2.2 rises, but too little to lower OLIG2: T2b). A fit to a lab's own data should "
        "include them too (`ipscsim.calibrate` takes phenotype rows as targets).",
        "",
    ]


def _coverage_section(rob: _Robustness, facts: list[Target]) -> list[str]:
    """How often the 90% prediction band reaches the further facts (out of sample)."""
    cov = rob.coverage.loc[[t.id for t in facts]]
    n_cov = int(cov["covered"].sum())
    return [
        "## Prediction intervals against the further facts (out of sample)",
        "",
        f"The {rob.n_draws} parameter sets of the plausible box (as above) make a 90% prediction band "
        "for every fact, as `ips.simulate(p, uncertainty=n)` shows a user. The further facts play no "
        "part in setting the box, so this is prediction, not fit. A fact is covered when the band "
        "reaches the published value (at least 5% of the draws meet it; "
        "`ipscsim.validation.coverage`). For directions the band is of the readout minus its "
        "reference.",
        "",
        f"**Covered: {n_cov} of {len(cov)} facts ({n_cov / max(len(cov), 1):.0%}).**",
        "",
        "| fact | 5% | 95% | draws meeting it | covered |",
        "|---|---|---|---|---|",
        *[
            f"| {k} | {_fmt(r.lower)} | {_fmt(r.upper)} | {r.fraction_met:.3f} | "
            f"{'yes' if r.covered else '**no**'} |"
            for k, r in cov.iterrows()
        ],
        "",
    ]


def _lines_section(
    n_lines: int, line_rows: list[tuple[str, float, float, float, float]]
) -> list[str]:
    """The cell lines: share resistant to neural induction and MN fraction per protocol."""
    return [
        "## Cell lines",
        "",
        f"{n_lines} lines drawn from the between-line distribution (`model/data/lines.csv`). Boulting et "
        "al. 2011 found 3 of 16 iPSC lines (19%) resistant to neural induction, rescued by earlier "
        "neuralization. Neural fraction: every identity but pluripotent and off-target.",
        "",
        "| protocol | day | lines with neural fraction < 0.5 | MN fraction at the end (mean +- SD) |",
        "|---|---|---|---|",
        *[f"| {p} | {d:g} | {fr:.2f} | {m:.2f} +- {s:.2f} |" for p, d, fr, m, s in line_rows],
        "",
    ]


def _subset(ev, targets: list[Target]):
    from .evaluate import Evaluation

    idx = [j for j, t in enumerate(ev.targets) if any(t is u for u in targets)]
    return Evaluation(
        [ev.targets[j] for j in idx],
        ev.values[:, idx],
        ev.references[:, idx],
        ev.met[:, idx],
        ev.results,
    )


def _fact_notes() -> dict[str, str]:
    import csv
    from importlib import resources

    text = (
        resources.files("ipscsim.validation")
        .joinpath("data/validation_facts.csv")
        .read_text("utf-8")
    )
    return {
        r["id"]: r.get("known_limitation", "")
        for r in csv.DictReader(text.splitlines())
        if r.get("known_limitation")
    }


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m ipscsim.validation``."""
    parser = argparse.ArgumentParser(
        prog="python -m ipscsim.validation", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", default="docs/validation.md", help="report path (default %(default)s)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer robustness draws and lines")
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    parser.add_argument(
        "--check", metavar="BASELINE", help="fail if a target met in BASELINE is not met"
    )
    parser.add_argument("--write-baseline", metavar="BASELINE", help="record the targets met now")
    args = parser.parse_args(argv)
    problem = _check_paths(args)  # before the report's half hour, not after it
    if problem:
        print(f"python -m ipscsim.validation: {problem}", file=sys.stderr)
        return 2
    measured = build_report(Path(args.out), quick=args.quick, figures=not args.no_figures)
    met = measured["met"]
    print(f"wrote {args.out}: {sum(met.values())} of {len(met)} targets met")
    mode = "quick" if args.quick else "full"
    if args.write_baseline:
        _write_baseline(Path(args.write_baseline), met, mode, measured)
    if args.check:
        return _check_baseline(Path(args.check), met, mode, measured)
    return 0
