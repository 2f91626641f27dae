"""A scientist's day: no silent waits, no silent guesses (progress, notices, warnings)."""

import logging
import warnings

import numpy as np
import pytest

import ipscsim as ips
from ipscsim.engines import _cache


class _Dispatcher:
    """Stands for a numba dispatcher: compiled signatures and its on-disk cache index."""

    def __init__(self, signatures, index=None):
        self.signatures = signatures

        class _File:
            _index_path = index

        class _Cache:
            _cache_file = _File()

        self._cache = _Cache()


def test_a_cold_compilation_is_announced_once(caplog, tmp_path, monkeypatch):
    monkeypatch.setattr(_cache, "_NOTIFIED", set())
    index = tmp_path / "kernel.nbi"
    assert _cache.is_cold(_Dispatcher([]))
    assert _cache.is_cold(_Dispatcher([], str(index)))
    index.write_bytes(b"")
    assert not _cache.is_cold(_Dispatcher([], str(index)))  # on disk: loaded, not compiled
    assert not _cache.is_cold(_Dispatcher(["(float64,)"]))  # compiled in this process
    with caplog.at_level(logging.WARNING, logger="ipscsim"):
        _cache.compile_notice(_Dispatcher([]), "test engine", 12)
        _cache.compile_notice(_Dispatcher([]), "test engine", 12)
    notices = [r.getMessage() for r in caplog.records]
    assert notices == [
        "ipscsim: compiling the test engine (once per installation, about 12 s on two cores; "
        "later runs load it from the cache)"
    ]


def test_the_engines_kernels_are_warm_after_a_run():
    from ipscsim.engines import ode

    ips.simulate("maury2015", days=1)
    assert not _cache.is_cold(ode.run)


def test_progress_log_is_a_list_that_counts():
    log = ips.trackers.ProgressLog(3, "test", enabled=True)
    for i in range(3):
        log.append({"i": i})
    assert log._bar.n == 3
    log.close()
    assert log == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert ips.trackers.ProgressLog(3, "test", enabled=False)._bar is None


def test_a_sliced_batch_with_progress_is_the_single_call(capsys, monkeypatch):
    import ipscsim.api as api

    monkeypatch.setattr(api, "SLICE", 4)
    params = [{"k_neurogenesis": v} for v in np.linspace(1.45, 1.65, 10)]
    sliced = ips.simulate_batch(["maury2015"] * 10, params=params, days=4, progress=True)
    assert "10/10" in capsys.readouterr().err
    whole = ips.simulate_batch(["maury2015"] * 10, params=params, days=4, progress=False)
    for a, b in zip(sliced, whole, strict=True):
        np.testing.assert_array_equal(a.records, b.records)


def test_guesses_are_warned_about():
    p = ips.protocols.get("maury2015")
    with pytest.warns(UserWarning, match=r"no unit given; taking FGF2's usual unit, ng/ml"):
        p.with_step("FGF2", 20, start=1, end=2)
    row = ips.parameters().loc["k_neurogenesis"]
    outside = float(row["upper"]) * 1.3
    with pytest.warns(UserWarning, match=r"'k_neurogenesis': .* outside its plausible range"):
        ips.simulate(p, params={"k_neurogenesis": outside}, days=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ips.simulate(p, params={"k_neurogenesis": float(row["value"])}, days=1)
        p.with_step("FGF2", 20, unit="ng/ml", start=1, end=2)


def test_transplant_calibrate_and_optimize_show_progress(capsys):
    from ipscsim.validation.targets import Target

    ips.transplant.simulate("CNS10-NPC-GDNF", months=0.5, grid_mm=0.5)
    assert "transplant: factor fields" in capsys.readouterr().err
    target = Target("t", "outcome", "maury2015", "", "MN", 3.0, "in", 0.0, low=0.0, high=1.0)
    ips.calibrate([target], ["k_neurogenesis"], max_nfev=2, n_starts=1)
    assert "calibrate" in capsys.readouterr().err
    ips.optimize("maury2015", {"SAG.scale": (0.5, 2.0)}, budget=4, days=2.0, seed=1)
    assert "optimize" in capsys.readouterr().err
    ips.transplant.simulate("CNS10-NPC-GDNF", months=0.5, grid_mm=0.5, progress=False)
    assert "transplant" not in capsys.readouterr().err
