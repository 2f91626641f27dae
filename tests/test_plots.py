"""What each figure shows: its data, its colours, its labels (with units); and the HTML displays.

Figures are drawn with the Agg backend (conftest) and checked artist by artist against the tables they
come from; a figure that merely draws passes nothing here.
"""

from __future__ import annotations

from html.parser import HTMLParser

import matplotlib
import matplotlib.colors as mc
import numpy as np
import pytest

import ipscsim as ips
from ipscsim import plot as P
from ipscsim.model.readouts import CELL_TYPES, MARKERS
from ipscsim.plot.palette import (
    CELL_TYPE_COLORS,
    FACTOR_COLORS,
    MARKER_COLORS,
    PATHWAY_COLORS,
    compound_color,
)
from ipscsim.protocols.compounds import registry
from ipscsim.validation import outcome_targets

matplotlib.use("Agg")


def hexes(colors) -> list[str]:
    return [mc.to_hex(c) for c in colors]


def top_and_bottom(collection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days, lower and upper edge of a filled band (a stackplot layer or a fill_between)."""
    v = collection.get_paths()[0].vertices
    days = np.unique(v[:, 0])
    lo = np.array([v[v[:, 0] == d, 1].min() for d in days])
    hi = np.array([v[v[:, 0] == d, 1].max() for d in days])
    return days, lo, hi


@pytest.fixture(scope="module")
def maury():
    return ips.simulate("maury2015")


@pytest.fixture(scope="module")
def abm():
    return ips.simulate(
        "chambers2009",
        engine=ips.ABM(n_cells=1000),
        seed=3,
        days=4,
        record=ips.Record(snapshots=[2]),
    )


# ---------------------------------------------------------------------- palette and labels
def test_palette_gives_every_cell_type_marker_and_pathway_one_distinct_colour():
    assert set(CELL_TYPE_COLORS) == set(CELL_TYPES)
    assert set(MARKER_COLORS) == set(MARKERS)
    assert len(set(CELL_TYPE_COLORS.values())) == len(CELL_TYPES)
    assert len(set(MARKER_COLORS.values())) == len(MARKERS)
    assert len(set(FACTOR_COLORS.values())) == len(FACTOR_COLORS)
    for c in registry().compounds:  # every compound's pathway has its colour
        assert compound_color(c.name) == PATHWAY_COLORS[c.pathway]
    assert compound_color("retinoic acid") == PATHWAY_COLORS["RA"]  # aliases too
    assert P.readout_color("mn_fraction") == P.readout_color("MN@14") == CELL_TYPE_COLORS["MN"]
    assert P.readout_color("OLIG2@9") == MARKER_COLORS["OLIG2"]


def _lab(hex_colour: str) -> np.ndarray:
    """CIELAB coordinates of an sRGB colour (D65)."""
    rgb = np.array(mc.to_rgb(hex_colour))
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = xyz @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize(
    ("palette", "names", "floor"),
    [
        (MARKER_COLORS, P.timecourse.DEFAULT_MARKERS, 30.0),
        (MARKER_COLORS, MARKERS, 20.0),
        (CELL_TYPE_COLORS, CELL_TYPES, 20.0),
    ],
    ids=["default markers", "every marker", "cell types"],
)
def test_colours_drawn_together_are_far_apart(palette, names, floor):
    """Every pair drawn together differs by at least ``floor`` CIELAB units (about 2.3 is just
    noticeable): ISL1 and MNX1 are no longer two near-identical pinks."""
    import itertools

    gaps = {
        (a, b): float(np.linalg.norm(_lab(palette[a]) - _lab(palette[b])))
        for a, b in itertools.combinations(names, 2)
    }
    closest = min(gaps, key=gaps.get)
    assert gaps[closest] >= floor, f"{closest} are {gaps[closest]:.1f} CIELAB units apart"


def test_labels_carry_units():
    assert P.readout_label("MN@14") == "MN@14 (fraction of live cells)"
    assert P.readout_label("OLIG2@9") == "OLIG2@9 (fraction of live cells positive)"
    assert P.readout_label("mn_yield") == "mn_yield (MNs per seeded cell)"
    assert P.readout_label("day_mn_half") == "day_mn_half (day)"
    assert P.readout_label("onset:OLIG2") == "onset:OLIG2 (day)"
    assert P.input_label("DAPT.start") == "DAPT.start (day)"
    assert P.input_label("RA.shift") == "RA.shift (days)"
    assert "concentration" in P.input_label("SAG.scale")
    assert P.input_label("k_neurogenesis") == "k_neurogenesis (1/day)"  # from parameters.csv


# ---------------------------------------------------------------------- protocol timeline
def test_timeline_bars_are_the_steps_in_their_pathway_colours():
    p = ips.protocols.get("maury2015")
    fig = P.plot_protocol(p)
    ax = fig.axes[0]
    bars = [b for b in ax.patches if b.get_height() == pytest.approx(0.6)]
    expected = [(c, s) for c in p.compounds for s in p.steps_of(c)]
    assert len(bars) == len(expected)
    for bar, (name, step) in zip(bars, expected, strict=True):
        assert bar.get_x() == pytest.approx(step.start)
        assert bar.get_x() + bar.get_width() == pytest.approx(step.end)
        assert bar.get_y() + bar.get_height() / 2 == pytest.approx(p.compounds.index(name))
        assert mc.to_hex(bar.get_facecolor()) == compound_color(name).lower()
    # media-change ticks, one per media-change day, below the rows
    ticks = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_ydata()[0] == -0.9]
    assert ticks == list(p.media_change_days())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"SMO", "RA", "NOTCH", "media change", "operation"} <= set(legend)  # SAG acts at Smo
    assert ax.get_xlabel() == "day of differentiation (day)"
    # SHH protein (on Patched) and purmorphamine (on Smoothened) share a colour, so one entry
    both = ips.protocols.get("li2008").with_step("purmorphamine", 1, "uM", start=14, end=24)
    labels = [t.get_text() for t in P.plot_protocol(both).axes[0].get_legend().get_texts()]
    assert "SHH / SMO" in labels
    assert "SHH" not in labels


def test_shaded_windows_lie_beneath_the_markers_at_the_step_days(maury):
    p = ips.protocols.get("maury2015")
    fig = P.plot_markers(maury)
    ax = fig.axes[0]
    windows = [r for r in ax.patches if r.get_label().startswith("_window")]
    expected = [(c, s) for c in p.compounds for s in p.steps_of(c)]
    assert len(windows) == len(expected)
    lines = [ln for ln in ax.get_lines()]
    for r, (name, step) in zip(windows, expected, strict=True):
        assert r.get_label() == f"_window {name}"
        assert (r.get_x(), r.get_x() + r.get_width()) == pytest.approx((step.start, step.end))
        assert mc.to_hex(r.get_facecolor()[:3]) == compound_color(name).lower()
        assert r.get_zorder() < min(ln.get_zorder() for ln in lines)
    # one lane per compound, the first on top, together filling the height
    k = len(p.compounds)
    lanes = {r.get_label(): (r.get_y(), r.get_height()) for r in windows}
    assert lanes["_window Y27632"] == pytest.approx((1 - 1 / k, 1 / k))
    assert sum(h for _, h in lanes.values()) == pytest.approx(1.0)
    assert not P.plot_markers(maury, shade=False).axes[0].patches


# ---------------------------------------------------------------------- time courses
def test_stacked_fractions_hold_the_fractions_and_top_out_at_one(maury):
    fig = P.plot_fractions(maury)
    layers = fig.axes[0].collections
    fr = maury.fractions
    assert [c.get_label() for c in layers] == list(CELL_TYPES)
    for layer, name in zip(layers, CELL_TYPES, strict=True):
        days, lo, hi = top_and_bottom(layer)
        np.testing.assert_allclose(days, fr.index.to_numpy())
        np.testing.assert_allclose(hi - lo, fr[name].to_numpy(), atol=1e-12)
    days, _, top = top_and_bottom(layers[-1])
    np.testing.assert_allclose(top, 1.0, rtol=0, atol=1e-12)


def test_marker_lines_are_the_result_markers(maury):
    ax = P.plot_markers(maury, markers=["OLIG2", "MNX1"]).axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"OLIG2", "MNX1"}
    for name, ln in lines.items():
        np.testing.assert_array_equal(ln.get_xdata(), maury.markers.index.to_numpy())
        np.testing.assert_array_equal(ln.get_ydata(), maury.markers[name].to_numpy())
        assert mc.to_hex(ln.get_color()) == MARKER_COLORS[name].lower()
    assert ax.get_ylabel() == "fraction of live cells positive"


def test_counts_are_cells_per_well_on_a_log_axis(maury):
    ax = P.plot_counts(maury).axes[0]
    counts = maury.counts
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert "total" in lines
    assert set(lines) - {"total"} == {c for c in CELL_TYPES if counts[c].max() >= 1}
    for name, ln in lines.items():
        np.testing.assert_array_equal(ln.get_ydata(), counts[name].to_numpy())
        if name != "total":
            assert mc.to_hex(ln.get_color()) == CELL_TYPE_COLORS[name].lower()
    assert ax.get_yscale() == "log"
    assert ax.get_ylim()[0] == 1.0
    assert ax.get_ylim()[1] >= counts["total"].max()
    assert ax.get_ylabel() == "cells per well"


def test_factor_lines_are_result_factors_in_the_unit_asked(maury):
    for unit in ("pM", "ng/ml"):
        ax = P.plot_factors(maury, unit=unit).axes[0]
        table = maury.factors.xs(unit, axis=1, level="unit")
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        assert set(lines) == {f for f in table.columns if table[f].max() > 0}
        assert {"GDNF", "BDNF"} <= set(lines)  # added from day 7 in maury2015
        for name, ln in lines.items():
            np.testing.assert_array_equal(ln.get_ydata(), table[name].to_numpy())
            assert mc.to_hex(ln.get_color()) == FACTOR_COLORS[name].lower()
        assert ax.get_ylabel() == f"concentration in the medium ({unit})"
    with pytest.raises(ValueError, match="unit"):
        P.plot_factors(maury, unit="nM")


def test_result_plot_panels_share_the_day_axis(maury):
    fig = maury.plot(panels=("factors", "counts", "timeline", "markers", "fractions"))
    axes = fig.axes[:5]
    assert [a.get_ylabel() for a in axes[1:]] == [
        "fraction of live cells",
        "fraction of live cells positive",
        "cells per well",
        "concentration in the medium (pM)",
    ]
    assert axes[-1].get_xlabel() == "day of differentiation (day)"
    assert all(a.get_xlabel() == "" for a in axes[:-1])
    assert axes[-1].get_xlim() == (0.0, 14.0)
    # windows shaded beneath the line panels, not under the stack (it fills its panel)
    assert not any(p.get_label().startswith("_window") for p in axes[1].patches)
    assert any(p.get_label().startswith("_window") for p in axes[2].patches)
    with pytest.raises(ValueError, match="panels"):
        maury.plot(panels=("fractions", "heatmap"))


def test_result_plot_explains_its_boxes_and_shows_the_final_composition(maury):
    fig = maury.plot()
    _timeline, fractions, markers, bar = fig.axes[:4]
    assert "shaded boxes: the protocol's compound windows" in markers.get_title(loc="left")
    assert [ln.get_label() for ln in markers.get_lines()] == list(P.timecourse.DEFAULT_MARKERS)
    last = maury.fractions.iloc[-1]
    shown = last[last >= P.timecourse.COMPOSITION_FLOOR].sort_values()
    labels = [t.get_text() for t in bar.get_yticklabels()]
    assert labels[1:] == list(shown.index)
    assert labels[0] == f"{int((last < P.timecourse.COMPOSITION_FLOOR).sum())} others"
    widths = [p.get_width() for p in bar.patches]
    assert sum(widths) == pytest.approx(1.0, abs=1e-9)
    assert widths[-1] == pytest.approx(last["MN"])
    (t,) = [t for t in outcome_targets() if t.protocol == "maury2015" and t.readout == "MN"]
    spans = [ln.get_xdata() for ln in bar.get_lines() if len(ln.get_xdata()) == 2]
    assert [list(x) for x in spans] == [[t.low, t.high]]  # the published interval over MN's bar
    named = {t.get_text() for t in fractions.texts}
    assert {"pMN", "neuroectoderm"} <= named  # the areas carry their names


def test_result_plot_marks_published_marker_outcomes():
    r = ips.simulate("du2015")
    ax = r.plot().axes[2]
    (t,) = [t for t in outcome_targets() if t.protocol == "du2015" and t.readout == "OLIG2"]
    (pt,) = [ln for ln in ax.get_lines() if ln.get_gid() == f"published {t.id}"]
    assert (pt.get_xdata()[0], pt.get_ydata()[0]) == (t.day, t.value) == (12.0, 0.95)
    assert "published (with its interval)" in [x.get_text() for x in ax.get_legend().get_texts()]


# ---------------------------------------------------------------------- comparisons
def test_comparison_draws_each_result_and_the_published_points():
    names = ("maury2015", "qu2014", "du2015")
    runs = [ips.simulate(n) for n in names]
    fig = P.plot_comparison(runs, "MN")
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    for name, r in zip(names, runs, strict=True):
        np.testing.assert_array_equal(lines[name].get_ydata(), r.fractions["MN"].to_numpy())
        assert mc.to_hex(lines[name].get_color()) == CELL_TYPE_COLORS["MN"].lower()
    assert len({lines[n].get_linestyle() for n in names}) == 3  # style tells the runs apart
    # every published MN outcome of these protocols sits at the table's day and value
    wanted = [
        t
        for t in outcome_targets()
        if t.protocol in names and t.readout == "MN" and not t.perturbation
    ]
    assert len(wanted) == 3
    points = {ln.get_gid(): ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("pub")}
    assert set(points) == {f"published {t.id}" for t in wanted}
    for t in wanted:
        pt = points[f"published {t.id}"]
        assert (pt.get_xdata()[0], pt.get_ydata()[0]) == (t.day, t.value)
        assert pt.get_marker() == {">=": "^", "<=": "v", "~": "o", "in": "s"}[t.relation]
    # a two-sided target carries its published interval (not centred on the value) as an error bar
    qu = next(t for t in wanted if t.protocol == "qu2014")
    bars = [c for c in ax.collections if len(c.get_segments()) == 1]
    assert any(
        np.allclose(c.get_segments()[0], [[qu.day, qu.low], [qu.day, qu.high]]) for c in bars
    )
    assert ax.get_ylabel() == "MN (fraction of live cells)"
    assert ax.get_xlabel() == "day of differentiation (day)"


def test_comparison_of_many_lines_draws_their_median():
    runs = [ips.simulate("maury2015", line=k) for k in range(7)]
    ax = P.plot_comparison(runs, ["OLIG2"], published=False).axes[0]
    thin = [ln for ln in ax.get_lines() if ln.get_linewidth() < 1]
    median = [ln for ln in ax.get_lines() if ln.get_label() == "OLIG2: median of 7"]
    assert len(thin) == 7
    assert len(median) == 1
    stack = np.vstack([r.markers["OLIG2"].to_numpy() for r in runs])
    np.testing.assert_allclose(median[0].get_ydata(), np.median(stack, axis=0))
    assert ax.get_ylabel() == "OLIG2 (fraction of live cells positive)"


def test_overlay_takes_any_validation_table():
    from ipscsim.validation import fact_targets

    facts = [t for t in fact_targets() if t.protocol == "du2015" and t.kind == "outcome"]
    _, ax = matplotlib.pyplot.subplots()
    drawn = P.overlay_published(ax, "du2015", ["PAX6", "SOX1"], facts)
    assert drawn
    assert all(t.readout in ("PAX6", "SOX1") for t in drawn)
    xy = sorted((ln.get_xdata()[0], ln.get_ydata()[0]) for ln in ax.get_lines())
    assert xy == sorted((t.day, t.value) for t in drawn)


def test_overlay_draws_an_onset_window_as_a_bar_over_its_days():
    """F52 (li2008: SOX1 comes on between day 8 and day 17) is a bar at the onset level, 0.10."""
    from ipscsim.validation import fact_targets

    (f52,) = [t for t in fact_targets() if t.id == "F52"]
    _, ax = matplotlib.pyplot.subplots()
    assert P.overlay_published(ax, "li2008", ["SOX1"], [f52]) == [f52]
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "published F52"]
    assert (line.get_xdata()[0], line.get_ydata()[0]) == (12.5, 0.10)
    segments = ax.collections[0].get_segments()  # the window, day 8 to day 17
    assert [tuple(seg[:, 0]) for seg in segments] == [(8.0, 17.0)]
    assert P.overlay_published(ax, "li2008", ["PAX6"], [f52]) == []


# ---------------------------------------------------------------------- sweeps
@pytest.fixture(scope="module")
def grid2():
    space = {"SAG.scale": [0.5, 1.0, 2.0], "DAPT.start": [8.0, 9.0]}
    return ips.Sweep("maury2015", space, readouts=["mn_fraction", "MN@12"]).run(progress=False)


def test_heatmap_is_the_sweep_table_pivot(grid2):
    fig = grid2.plot("MN@12")
    ax = fig.axes[0]
    table = grid2.to_dataframe()
    pivot = table.pivot(index="DAPT.start", columns="SAG.scale", values="MN@12")
    np.testing.assert_array_equal(
        np.asarray(ax.collections[0].get_array()).reshape(pivot.shape), pivot.to_numpy()
    )
    np.testing.assert_array_equal(P.sweep_grid(grid2, "MN@12").to_numpy(), pivot.to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "1", "2"]
    # each cell carries its value, at its centre
    written = {(t.get_position()[0], t.get_position()[1]): t.get_text() for t in ax.texts}
    for (i, j), v in np.ndenumerate(pivot.to_numpy()):
        assert written[(j + 0.5, i + 0.5)] == f"{v:.3g}"
    assert fig.axes[1].get_ylabel() == "MN@12 (fraction of live cells)"  # the colour bar
    assert ax.get_ylabel() == "DAPT.start (day)"


def test_one_input_draws_the_mean_with_its_band_and_units():
    s = ips.Sweep(
        "maury2015", {"RA.scale": [0.5, 1.0, 2.0]}, design="grid", readouts=["mn_yield"]
    ).run(progress=False)
    ax = s.plot("mn_yield").axes[0]
    df = s.to_dataframe().sort_values("RA.scale")
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), df["RA.scale"].to_numpy())
    _, lo, hi = top_and_bottom(ax.collections[0])
    np.testing.assert_allclose(lo, df["mn_yield"].to_numpy())  # one run per value: no spread
    np.testing.assert_allclose(hi, df["mn_yield"].to_numpy())
    assert ax.get_xlabel() == "RA.scale (× the protocol's concentration)"
    assert ax.get_ylabel() == "mn_yield (MNs per seeded cell)"


def test_parallel_coordinates_run_through_every_input_and_the_readout():
    space = {"SAG.scale": [0.5, 2.0], "DAPT.start": [8.0, 9.0], "k_neurogenesis": [1.2, 1.8]}
    s = ips.Sweep("maury2015", space, readouts=["mn_fraction"]).run(progress=False)
    ax = s.plot("mn_fraction").axes[0]
    df = s.ok
    lines = ax.get_lines()
    assert len(lines) == len(df)
    y = df["mn_fraction"].to_numpy()
    scaled = (y - y.min()) / (y.max() - y.min())
    np.testing.assert_allclose(sorted(ln.get_ydata()[-1] for ln in lines), np.sort(scaled))
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "SAG.scale\n(× the protocol's concentration)",
        "DAPT.start\n(day)",
        "k_neurogenesis\n(1/day)",
        "mn_fraction\n(fraction of live cells)",
    ]
    texts = {t.get_text() for t in ax.texts}
    assert {"0.5", "2", "8", "9", f"{y.min():.3g}", f"{y.max():.3g}"} <= texts


# ---------------------------------------------------------------------- sensitivity
def linear(X):
    """y = 4 x0 + x1 on [0, 1]^2: Sobol S1 = ST = 16/17 and 1/17; the second output is -y."""
    y = 4.0 * X[:, 0] + X[:, 1]
    return np.column_stack([y, -2.0 * y])


def test_sobol_bars_are_the_indices_with_their_intervals():
    space = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    r = ips.sensitivity.sobol(linear, space, readouts=["y@10", "y@14"], n=256, seed=1)
    ax = r.plot(kind="bars").axes[0]
    df = r.indices[r.indices["day"] == 10]
    s1, st = ax.containers[1], ax.containers[3]  # bar containers follow their error bars
    np.testing.assert_allclose([b.get_height() for b in s1], df["S1"])
    np.testing.assert_allclose([b.get_height() for b in st], df["ST"])
    np.testing.assert_allclose(df["ST"], [16 / 17, 1 / 17], atol=0.05)
    err = ax.containers[0].lines[2][0].get_segments()
    np.testing.assert_allclose([seg[1, 1] - seg[0, 1] for seg in err], 2 * df["S1_conf"])
    assert ax.get_ylabel() == "Sobol index (share of the readout's variance)"
    assert "at day 10" in ax.get_title()


def test_time_resolved_indices_are_lines_over_days():
    space = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    r = ips.sensitivity.sobol(linear, space, readouts=["y@10", "y@14"], n=64, seed=1)
    ax = r.plot().axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"a ST", "a S1", "b ST", "b S1"}
    a = r.indices[r.indices["parameter"] == "a"].sort_values("day")
    np.testing.assert_array_equal(lines["a ST"].get_xdata(), [10.0, 14.0])
    np.testing.assert_allclose(lines["a ST"].get_ydata(), a["ST"])
    assert lines["a ST"].get_color() == lines["a S1"].get_color()
    assert lines["a ST"].get_color() != lines["b ST"].get_color()
    assert ax.get_xlabel() == "day of differentiation (day)"


def test_morris_bars_and_scatter():
    space = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    r = ips.sensitivity.morris(linear, space, readouts=["y", "z"], trajectories=10, seed=2)
    ax = r.plot("y").axes[0]
    df = r.indices[r.indices["readout"] == "y"]
    mu_star = df["mu_star"].to_numpy(dtype=float)  # SALib hands back masked arrays
    np.testing.assert_allclose([b.get_height() for b in ax.containers[1]], mu_star)
    np.testing.assert_allclose(mu_star, [4.0, 1.0], rtol=1e-9)  # linear: exact effects
    ax2 = r.plot("y", kind="scatter").axes[0]
    pts = ax2.get_lines()[0]
    np.testing.assert_allclose(pts.get_xdata(), mu_star)
    with pytest.raises(ValueError, match="readout"):
        r.plot("w")


# ---------------------------------------------------------------------- agent-based pictures
def test_a_cell_type_has_one_colour_in_fractions_and_cells(abm):
    frac = {
        c.get_label(): mc.to_hex(c.get_facecolor()[0])
        for c in P.plot_fractions(abm).axes[0].collections
    }
    cells = P.plot_cells(abm, 2.0).axes[0]
    snap = abm.snapshot(2.0)
    drawn = {c.get_label(): c for c in cells.collections}
    assert set(drawn) == set(snap["identity"].astype(str))
    for name, c in drawn.items():
        assert mc.to_hex(c.get_facecolor()[0]) == frac[name] == CELL_TYPE_COLORS[name].lower()
        sel = (snap["identity"] == name).to_numpy()
        np.testing.assert_array_equal(c.get_offsets(), snap.loc[sel, ["x", "y"]].to_numpy())


def test_cells_by_kind_and_by_property_have_units(abm):
    from ipscsim.plot.palette import KIND_COLORS

    ax = P.plot_cells(abm, color="kind").axes[0]
    for c in ax.collections:
        assert mc.to_hex(c.get_facecolor()[0]) == KIND_COLORS[c.get_label()].lower()
    fig = P.plot_cells(abm, color="born")
    np.testing.assert_array_equal(fig.axes[0].collections[0].get_array(), abm.snapshot()["born"])
    assert fig.axes[1].get_ylabel() == "born (day)"
    assert P.plot_cells(abm, color="OLIG2").axes[1].get_ylabel() == (
        "OLIG2 level (normalised; 1 = on)"
    )
    with pytest.raises(ValueError, match="not a column"):
        P.plot_cells(abm, color="ISL1")


def test_animation_draws_each_snapshot_day_without_ffmpeg(abm, tmp_path):
    from matplotlib.animation import FuncAnimation

    with matplotlib.rc_context({"animation.ffmpeg_path": str(tmp_path / "no-ffmpeg")}):
        anim = abm.animate_cells(color="PAX6")
    assert isinstance(anim, FuncAnimation)
    assert anim.days == abm.snapshot_days == [2.0, 4.0]
    ax = anim._fig.axes[0]
    seen = []

    def check(i, n):
        sc = ax.collections[0]
        snap = abm.snapshot(anim.days[i])
        np.testing.assert_array_equal(sc.get_array(), snap["PAX6"].to_numpy())
        values = np.concatenate([abm.snapshot(d)["PAX6"].to_numpy() for d in anim.days])
        assert (sc.norm.vmin, sc.norm.vmax) == (values.min(), values.max())  # one scale
        assert ax.get_xlim() == (0.0, snap.attrs["box_um"][0])
        seen.append(ax.get_title())

    anim.save(tmp_path / "cells.gif", writer="pillow", dpi=40, progress_callback=check)
    assert seen == ["day 2", "day 4"]
    assert len(anim._fig.axes) == 2  # one colour bar for the whole animation
    # by identity: a fixed legend of every type seen on any day
    anim2 = abm.animate_cells(days=[4.0, 2.0])
    legend = {t.get_text() for t in anim2._fig.axes[0].get_legend().get_texts()}
    assert legend == {str(x) for d in (2.0, 4.0) for x in abm.snapshot(d)["identity"]}
    anim2._fig.canvas.draw()  # a drawn animation is not warned about when it is collected


# ---------------------------------------------------------------------- survival and transplant
def test_survival_curves_one_colour_per_assay():
    assays = [
        ips.survival.assay(g, {"GDNF": (10, "pg/ml")}, days=14, seed=1)
        for g in ("control", "SOD1_A4V")
    ]
    ax = P.plot_survival(assays).axes[0]
    steps, dotted = ax.get_lines()[0::2], ax.get_lines()[1::2]
    for a, s, d in zip(assays, steps, dotted, strict=True):
        np.testing.assert_array_equal(s.get_ydata(), a.alive)
        np.testing.assert_allclose(d.get_ydata(), a.expected)
        assert s.get_color() == d.get_color()
    assert steps[0].get_color() != steps[1].get_color()


def test_transplant_map_is_host_mn_survival_against_distance():
    host = "rat_SOD1_G93A"
    t = ips.transplant.simulate("suzuki2007_rat", host=host, months=2, grid_mm=2.5 / 8)
    ax = t.plot_map().axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    for side in ("ipsilateral", "contralateral"):
        np.testing.assert_array_equal(lines[side].get_xdata(), t.mn_profile.index.to_numpy())
        np.testing.assert_array_equal(lines[side].get_ydata(), t.mn_profile[side].to_numpy())
    assert lines["untreated"].get_ydata()[0] == t.mn_survival["untreated"].iloc[-1]
    seg = float(ips.transplant.hosts().loc[host, "segment_length_mm"])
    sites = t.meta["sites"]
    marks = sorted(ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_linestyle() == ":")
    np.testing.assert_allclose(marks, (np.arange(sites) - (sites - 1) / 2) * seg)
    assert ax.get_xlabel() == "distance along the cord from the graft's centre (mm)"
    # the four-panel figure holds the same map as its third panel
    fig = t.plot()
    assert fig.axes[2].get_xlabel() == ax.get_xlabel()
    assert fig.axes[3].get_ylabel() == "surviving graft cells (cells)"
    assert "(months)" in fig.axes[0].get_xlabel()


# ---------------------------------------------------------------------- HTML displays
class _Checker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "col", "wbr"})

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack, tag
        assert self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()


def valid(text: str) -> list[str]:
    c = _Checker()
    c.feed(text)
    c.close()
    assert c.stack == [], c.stack
    return c.tags


def test_protocol_html_is_valid_small_and_shows_the_schedule():
    p = ips.protocols.get("maury2015")
    text = p._repr_html_()
    tags = valid(text)
    assert len(text) < 8000
    assert tags.count("rect") == len(p.steps)  # one bar per step in the inline timeline
    assert tags.count("tr") == len(p.steps) + 1
    assert "10.1038/nbt.3049" in text
    assert "replate at 60000 cells/cm²" in text


def test_result_html_is_valid_small_and_shows_the_composition(maury):
    text = maury._repr_html_()
    valid(text)
    assert len(text) < 8000
    last = maury.fractions.iloc[-1]
    import re

    widths = {
        name: float(w)
        for w, name in re.findall(r'width="([\d.]+)" height="14" fill="#\w+"><title>(\w+):', text)
    }
    assert widths["MN"] == pytest.approx(300 * last["MN"], abs=0.01)
    assert sum(widths.values()) == pytest.approx(300, abs=0.1)
    for field in ("mn_fraction", "mn_yield", "residual_pluripotent"):
        assert f"<td>{field}</td>" in text
    assert "ode engine" in text


def test_sweep_html_is_valid_small_and_summarises_each_readout(grid2):
    text = grid2._repr_html_()
    valid(text)
    assert len(text) < 4000
    v = grid2.ok["MN@12"]
    best = grid2.ok.loc[v.idxmax()]
    row = (
        f"<tr><td>MN@12</td><td>{v.min():.4g}</td><td>{v.median():.4g}</td><td>{v.max():.4g}</td>"
        f"<td>SAG.scale={best['SAG.scale']:.3g}, DAPT.start={best['DAPT.start']:.3g}</td></tr>"
    )
    assert row in text
    assert "6 runs (6 ok)" in text
    assert "SAG.scale (3 values, 0.5-2)" in text


#: Labels that are their own unit.
UNIT_IS_THE_LABEL = {
    "fraction of live cells",
    "fraction of live cells positive",
    "cells per well",
}


def test_every_numeric_axis_label_has_a_unit(maury, abm, grid2):
    figures = [
        maury.plot(panels=("timeline", "fractions", "markers", "counts", "factors")),
        P.plot_comparison([maury], ["MN", "pMN"]),
        P.plot_cells(abm, color="NGN2"),
        P.plot_field(abm, "density"),
        grid2.plot("mn_fraction"),
    ]
    for fig in figures:
        for ax in fig.axes:
            for label in (ax.get_xlabel(), ax.get_ylabel()):
                if not label or label in UNIT_IS_THE_LABEL:
                    continue
                assert label.endswith(")"), label
                assert " (" in label, label


def test_published_outcomes_of_a_misspelt_protocol_or_readout_are_refused_not_left_out():
    """overlay_published(ax, 'maury2105', 'MN') and (ax, 'maury2015', 'MNs') drew nothing silently;
    a user's own protocol (known_only=False, as r.plot uses it) still draws nothing without error."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert len(ips.plot.overlay_published(ax, "maury2015", "MN")) >= 1
    with pytest.raises(
        ips.ParameterError, match=r"'maury2105' is unknown \(did you mean 'maury2015'"
    ):
        ips.plot.overlay_published(ax, "maury2105", "MN")
    with pytest.raises(ips.ParameterError, match="unknown readout 'MNs'"):
        ips.plot.overlay_published(ax, "maury2015", "MNs")
    assert ips.plot.overlay_published(ax, "mine", "MN", known_only=False) == []
    plt.close(fig)


def test_sweep_plots_name_an_unrecorded_readout_and_a_grid_without_two_inputs():
    """plot_sweep(sw, 'mn_fractoin') was a pandas KeyError (sw.plot checked, the function did
    not); sweep_grid of a one-input sweep 'not enough values to unpack'."""
    sw = ips.Sweep("maury2015", {"SAG.scale": [1, 2]}, days=2, readouts=["MN@2"]).run(
        progress=False
    )
    with pytest.raises(ips.ParameterError, match="readout 'mn_fractoin' was not recorded"):
        P.plot_sweep(sw, "mn_fractoin")
    with pytest.raises(ips.ParameterError, match=r"the sweep has 1 inputs .* a grid needs two"):
        P.sweep_grid(sw, "MN@2")
