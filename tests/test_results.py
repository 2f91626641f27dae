import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import ipscsim as ips
from ipscsim.model.readouts import CELL_TYPES, MARKERS
from ipscsim.plot.palette import CELL_TYPE_COLORS
from ipscsim.results import SUMMARY_FIELDS


@pytest.fixture(scope="module")
def result():
    return ips.simulate("maury2015", seed=7)


def test_tables_have_the_contracted_shape(result):
    assert list(result.fractions.columns) == list(CELL_TYPES)
    assert list(result.markers.columns) == list(MARKERS)
    assert list(result.counts.columns) == [*CELL_TYPES, "total"]
    for df in (result.fractions, result.markers, result.counts):
        assert df.index.name == "day"
        assert df.index[0] == 0.0
        assert df.index[-1] == 14.0
    assert result.counts["total"].iloc[0] == pytest.approx(100000 * 9.5)


def test_table_is_a_property_like_the_other_accessors(result):
    import pandas as pd

    wide = result.table
    assert isinstance(wide, pd.DataFrame)
    pd.testing.assert_frame_equal(
        wide[[f"fraction.{c}" for c in CELL_TYPES]].set_axis(list(CELL_TYPES), axis=1),
        result.fractions,
    )
    assert len(wide.columns) == len(CELL_TYPES) + len(MARKERS) + len(CELL_TYPES) + 1
    with pytest.warns(DeprecationWarning, match=r"write r\.table, not r\.table\(\)"):
        called = result.table()
    pd.testing.assert_frame_equal(called, pd.DataFrame(wide))


def test_summary_reports_every_field(result):
    s = result.summary()
    assert list(s.index) == list(SUMMARY_FIELDS)
    assert s["mn_fraction"] == pytest.approx(result.fractions["MN"].iloc[-1])
    assert 0 < s["day_mn_10pct"] < s["day_mn_half"] < 14
    assert s["peak_pmn_fraction"] == pytest.approx(result.fractions["pMN"].max())


def test_stage_timing_reads_the_runs_own_time_courses(result):
    """Onset: the day a share first reaches 0.10 of the cells, interpolated; peak: its arg-max."""
    t = result.stage_timing()
    assert list(t.index) == ["PAX6", "SOX1", "NKX6.1", "OLIG2", "ISL1", "MNX1", "CHAT"]
    olig2 = result.markers["OLIG2"]
    i = int(np.argmax(olig2.to_numpy() >= 0.10))
    d0, d1, v0, v1 = olig2.index[i - 1], olig2.index[i], olig2.iloc[i - 1], olig2.iloc[i]
    assert t.loc["OLIG2", "onset"] == pytest.approx(d0 + (0.10 - v0) * (d1 - d0) / (v1 - v0))
    assert t.loc["OLIG2", "peak"] == olig2.idxmax()
    assert t.loc["OLIG2", "peak_share"] == pytest.approx(olig2.max())
    assert not t.loc["OLIG2", "rising"]  # OLIG2 peaks mid-run; MNs still accumulate on day 14
    assert t.loc["MNX1", "rising"]
    mn = result.stage_timing(["MN", "neurons"])
    assert mn.loc["MN", "onset"] == pytest.approx(result.summary()["day_mn_10pct"])
    assert mn.loc["neurons", "onset"] <= mn.loc["MN", "onset"]
    with pytest.raises(ips.ParameterError, match=r"'OLIG' is not a marker.*'OLIG2'"):
        result.stage_timing(["OLIG"])


@pytest.mark.parametrize("preset", ["du2015", "maury2015", "li2008", "amoroso2013"])
def test_stage_markers_come_on_in_the_published_order(preset):
    """Human neuroectoderm is PAX6+ before it is SOX1+ (Li et al. 2005; Pankratz et al. 2007);
    motor neurons (MNX1) come from OLIG2+ progenitors, and CHAT marks them later as they mature
    (Hu et al. 2009, Fig. 7; Li et al. 2005)."""
    t = ips.simulate(preset).stage_timing()["onset"]
    assert t["PAX6"] < t["SOX1"]
    assert t["OLIG2"] < t["MNX1"] < t["CHAT"]


def test_meta_holds_provenance(result):
    m = result.meta
    assert m["version"] == ips.__version__
    assert m["engine"] == "ode"
    assert m["seed"] == 7
    assert m["genotype"] == "control"
    assert ips.Protocol.from_dict(m["protocol"]) == ips.protocols.get("maury2015")
    assert m["parameters"]["k_neurogenesis"] == pytest.approx(1.5)
    assert m["solver"]["nfev"] > 0
    assert m["solver"]["method"] == "dopri5"
    assert m["wall_time_s"] > 0


def test_parquet_and_csv_round_trip_with_meta(result, tmp_path):
    path = result.to_parquet(tmp_path / "r.parquet")
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"ipscsim"])
    assert meta["protocol"]["name"] == "maury2015"
    back = table.to_pandas()
    np.testing.assert_allclose(back["fraction.MN"].to_numpy(), result.fractions["MN"].to_numpy())
    csv = result.to_csv(tmp_path / "r.csv")
    assert csv.read_text(encoding="utf-8").startswith("day,")  # no comment lines: Excel opens it
    df = pd.read_csv(csv, index_col="day")
    np.testing.assert_allclose(df["marker.OLIG2"].to_numpy(), result.markers["OLIG2"].to_numpy())
    side = json.loads((tmp_path / "r.csv.meta.json").read_text(encoding="utf-8"))
    assert side["protocol"]["name"] == "maury2015"


def test_plot_shows_cell_types_markers_and_the_schedule(result):
    fig = result.plot()
    ax_timeline, ax_types, ax_markers = fig.axes[:3]
    assert [t.get_text() for t in ax_timeline.get_yticklabels()] == list(
        ips.protocols.get("maury2015").compounds
    )
    assert "day" in ax_markers.get_xlabel()
    assert ax_types.get_ylabel() == "fraction of live cells"
    # each area keeps its cell type's name (the figure names them on the areas and in the bar)
    assert [c.get_label() for c in ax_types.collections] == list(CELL_TYPES)
    colors = [c.get_facecolor()[0] for c in ax_types.collections]
    import matplotlib.colors as mc

    assert [mc.to_hex(c) for c in colors] == [CELL_TYPE_COLORS[t].lower() for t in CELL_TYPES]
    lines = {ln.get_label(): ln for ln in ax_markers.get_lines()}
    np.testing.assert_allclose(lines["OLIG2"].get_ydata(), result.markers["OLIG2"].to_numpy())


def test_protocol_plot_marks_operations():
    fig = ips.protocols.get("maury2015").plot()
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    assert "replate" in texts
    assert "0.5 uM" in texts


def test_html_and_repr(result):
    assert "mn_yield" in result._repr_html_()
    assert "maury2015" in repr(result)


def test_days_option_extends_in_basal_medium():
    r = ips.simulate("maury2015", days=20)
    assert r.days[-1] == 20.0
    u = ips.simulate("maury2015", days=10)
    np.testing.assert_array_equal(u.records, r.records[: len(u.days)])  # same steps


def test_tidy_table_holds_exactly_the_wide_tables(result):
    t = result.tidy()
    assert list(t.columns) == ["day", "kind", "name", "value"]
    for kind, wide in (("fraction", result.fractions), ("marker", result.markers)):
        back = t[t["kind"] == kind].pivot(index="day", columns="name", values="value")
        pd.testing.assert_frame_equal(
            back[list(wide.columns)], wide, check_names=False, check_column_type=False
        )
    assert len(t) == result.fractions.size + result.markers.size + result.counts.size


def test_xarray_dataset_matches_the_tables_and_keeps_an_ensemble():
    pytest.importorskip("xarray")
    r = ips.simulate("maury2015", uncertainty=3)
    ds = r.to_xarray()
    np.testing.assert_array_equal(ds["markers"].sel(marker="ISL1").values, r.markers["ISL1"])
    np.testing.assert_array_equal(ds["counts"].sel(count="total").values, r.counts["total"])
    assert ds["fractions_draws"].shape == (3, len(r.days), len(CELL_TYPES))
    assert json.loads(ds.attrs["ipscsim"])["protocol"]["name"] == "maury2015"


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version

    from ipscsim.cli import main

    assert ips.__version__ == version("ipscsim")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ipscsim {version('ipscsim')}"


def test_writers_refuse_another_formats_ending_and_paths_they_cannot_write(tmp_path):
    """Parquet was written into x.csv and CSV into x.xlsx; a folder or a missing folder gave a raw
    OS error. Checked before writing: nothing half-written is left."""
    r = ips.simulate("maury2015", days=1)
    (tmp_path / "d.csv").mkdir()
    cases = [
        (r.to_parquet, tmp_path / "x.csv", "must end in .parquet or .pq"),
        (r.to_csv, tmp_path / "x.xlsx", "must end in .csv or .txt"),
        (r.to_csv, tmp_path / "d.csv", "is a folder"),
        (r.to_csv, tmp_path / "missing" / "x.csv", "the folder"),
        (r.to_csv, None, "must be a file path"),
    ]
    for write, path, words in cases:
        with pytest.raises(ips.ParameterError, match="path: ") as err:
            write(path)
        assert words in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]
    assert r.to_csv(tmp_path / "ok.csv").stat().st_size > 0
    import pandas as pd

    zipped = r.to_csv(tmp_path / "ok.csv.gz")  # compressed by its ending, as pandas does
    pd.testing.assert_frame_equal(pd.read_csv(zipped), pd.read_csv(tmp_path / "ok.csv"))
