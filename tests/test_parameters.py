import warnings

import numpy as np
import pytest

import ipscsim as ips
from ipscsim import ParameterError
from ipscsim.model.parameters import default_params, param_table, resolve_params


def test_every_parameter_has_value_unit_range_and_source():
    for p in param_table().values():
        assert p.min <= p.prior_lower <= p.lower <= p.value <= p.upper <= p.prior_upper <= p.max, (
            p.name
        )
        assert p.source
        assert p.status in ("verified", "published model", "derived", "definition", "assumption")
        if p.status == "assumption":
            assert (
                "ASSUMPTION" in p.source
                or p.source.startswith("ASSUMPTION")
                or "assum" in p.source.lower()
            )


def test_poni_defaults_are_the_published_ones():
    published = {
        "K_Pol_Pax": 4.8,
        "K_Pol_Oli": 47.8,
        "K_Pol_Nkx": 27.4,
        "K_Pol_Irx": 23.4,
        "K_Gli_Oli": 18.0,
        "K_Gli_Nkx": 373,
        "K_Oli_Pax": 1.9,
        "K_Nkx_Pax": 26.7,
        "K_Oli_Nkx": 27.1,
        "K_Nkx_Oli": 60.6,
        "K_Pax_Nkx": 4.8,
        "K_Irx_Oli": 28.4,
        "K_Oli_Irx": 58.8,
        "K_Irx_Nkx": 47.1,
        "K_Nkx_Irx": 76.2,
        "poni_alpha": 2,
        "poni_delta": 2,
        "poni_fA": 10,
        "poni_CPol": 0.8,
    }
    table = param_table()
    for name, value in published.items():
        assert table[name].value == value


def test_overrides_by_dict_file_and_array(tmp_path):
    arr = resolve_params({"k_neurogenesis": 2.0})
    assert arr[list(param_table()).index("k_neurogenesis")] == 2.0
    f = tmp_path / "fit.toml"
    f.write_text("[parameters]\nk_neurogenesis = 2.0\n")
    np.testing.assert_array_equal(resolve_params(f), arr)
    np.testing.assert_array_equal(resolve_params(arr), arr)
    r = ips.simulate("maury2015", params=str(f))
    assert r.meta["parameters"]["k_neurogenesis"] == 2.0


def test_bad_parameters_are_named():
    with pytest.raises(ParameterError, match="did you mean 'k_neurogenesis'"):
        resolve_params({"k_neurogenisis": 1.0})
    with pytest.raises(ParameterError, match=r"'dissociation_survival': 2\.0 is outside"):
        resolve_params({"dissociation_survival": 2.0})
    with pytest.raises(ParameterError, match="shape"):
        resolve_params(default_params()[:3])


def test_unknown_genotype_and_engine_are_named():
    with pytest.raises(ParameterError, match="did you mean 'SOD1_A4V'"):
        ips.simulate("maury2015", genotype="SOD1A4V")
    with pytest.raises(ParameterError, match=r"unknown engine 'pde'; give ips\.ODE"):
        ips.simulate("maury2015", engine="pde")
    with pytest.raises(ParameterError, match=r"pass an instance, ips.ODE\(\)"):
        ips.simulate("maury2015", engine=ips.ODE)
    with pytest.raises(ParameterError, match="'param' \\(did you mean 'params'\\?\\)"):
        ips.simulate("maury2015", param={"k_neurogenesis": 1.0})


@pytest.mark.parametrize("n", [0, -1, 1.5, 10_000, "2"])
def test_a_thread_count_the_machine_cannot_give_is_named_even_for_one_run(n):
    with pytest.raises(ParameterError, match=rf"n_threads: {n!r} must be a whole number from 1"):
        ips.simulate("maury2015", days=1, n_threads=n)


def test_a_misspelt_sweep_keyword_is_matched_to_a_named_one_not_to_options():
    with pytest.raises(ParameterError, match=r"unknown option 'optoins';") as err:
        ips.Sweep("maury2015", {"SAG.scale": [1]}, optoins={})
    assert "did you mean" not in str(err.value)  # 'options' is the catch-all, not a keyword
    with pytest.raises(ParameterError, match=r"'desing' \(did you mean 'design'\?\)"):
        ips.Sweep("maury2015", {"SAG.scale": [1]}, desing="grid")


def test_names_given_as_one_string_or_a_class_are_read_as_what_they_are():
    """A bare string was split into letters ('O' is not a marker), a tracker class was a raw
    TypeError, a misspelt marker a KeyError; ODE snapshots were dropped without a word."""
    r = ips.simulate("maury2015", days=2)
    assert list(r.stage_timing("OLIG2").index) == ["OLIG2"]
    with pytest.raises(ParameterError, match=r"markers: 'OLIG' is unknown \(did you mean 'OLIG2'"):
        r.plot(markers=["OLIG"])
    with pytest.raises(ParameterError, match=r"panels: 'fraction' is unknown \(did you mean"):
        r.plot(panels=["fraction"])
    with pytest.raises(ParameterError, match=r"trackers: StopWhen is the class; pass an instance"):
        ips.simulate("maury2015", days=1, trackers=ips.trackers.StopWhen)
    with pytest.raises(ParameterError, match=r"trackers: 'progress' is not a Tracker"):
        ips.simulate("maury2015", days=1, trackers="progress")
    with pytest.warns(UserWarning, match=r"snapshots \[1\.0\] are kept by the agent-based engine"):
        ips.simulate("maury2015", days=2, record=ips.Record(snapshots=[1]))


def test_a_whole_number_written_as_a_float_is_a_count():
    assert ips.ABM(n_cells=2e4).n_cells == 20_000
    assert type(ips.survival.assay(n_cells=1e3, days=2).meta["n_cells"]) is int
    with pytest.raises(ParameterError, match=r"n_cells \(cells simulated at day 0, e\.g\. 20000\)"):
        ips.ABM(n_cells=2.5)


def test_parameter_set_ranges_and_posterior_draws_are_checked():
    """A loguniform parameter given a range reaching 0 drew NaN (numpy log warnings only); a
    posterior's draw(-3) returned every row and draw(0) none; a ParameterSet or parameter file out
    of the plausible range did not warn as the same dict did."""
    from ipscsim.model.posterior import shipped_posterior

    with pytest.raises(
        ParameterError, match=r"bounds 'sigma_sensitivity': \(0\.0, 1\.0\) reaches 0"
    ):
        ips.ParameterSet(bounds={"sigma_sensitivity": (0, 1)})
    for bad in (0.5, (0.5,), ("a", "b"), (0.5, 1, 3), (2.0, 1.0)):
        with pytest.raises(ParameterError, match=r"bounds 'k_neurogenesis': .* is not a range"):
            ips.ParameterSet(bounds={"k_neurogenesis": bad})
    assert ips.ParameterSet(bounds={"k_neurogenesis": np.array([1.45, 1.5])}).bounds(
        "k_neurogenesis"
    ) == (1.45, 1.5)
    with pytest.raises(ParameterError, match="distributions: 'uniform' must map parameter names"):
        ips.ParameterSet(distributions="uniform")
    post = shipped_posterior()
    for n in (-3, 0, 2.5, "3"):
        with pytest.raises(ParameterError, match=r"n \(draws\): .* must be a whole number"):
            post.draw(n)
    assert post.draw(3, seed=1).shape == (3, len(post.names))
    with pytest.warns(UserWarning, match=r"'k_neurogenesis': 3\.0 is outside its plausible range"):
        ips.simulate("maury2015", days=0.5, params=ips.ParameterSet(values={"k_neurogenesis": 3.0}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ips.simulate("maury2015", days=0.5, params=ips.ParameterSet())


def test_parameter_set_helpers_read_one_name_as_one_and_write_files_that_read_back(tmp_path):
    """names='k_neurogenesis' was split into letters; a negative or text seed reached numpy; a note
    with a line break wrote TOML that from_toml refused; a missing folder was a raw OS error."""
    ps = ips.ParameterSet()
    draws = ps.sample_arrays(4, seed=1, names="k_neurogenesis")
    assert draws.shape == (4, len(ps.names))
    assert np.unique(draws[:, list(ps.names).index("k_neurogenesis")]).size == 4
    for seed in (-1, "abc", 1.5):
        with pytest.raises(ParameterError, match=r"seed: .* must be a whole number"):
            ps.sample(2, seed=seed)
    with pytest.raises(ParameterError, match=r"values: \['k'\] must map parameter names"):
        ps.with_values(["k"])
    path = tmp_path / "p.toml"
    ps.with_values(k_neurogenesis=1.5).to_toml(path, note="fitted to\nmy lab's day-12 counts")
    assert ips.ParameterSet.from_toml(path)["k_neurogenesis"] == 1.5
    with pytest.raises(ParameterError, match=r"the folder .* does not exist"):
        ps.to_toml(tmp_path / "missing" / "p.toml")
