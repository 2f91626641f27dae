"""The protocol designer: driving its widgets from Python edits the protocol and redraws the outcome."""

import numpy as np
import pytest

import ipscsim as ips

pytest.importorskip("ipywidgets")


def _row(d, compound):
    return d.steps[[s.compound for s in d.base.steps].index(compound)]


def test_each_widget_edits_the_protocol_and_the_outcome_follows(tmp_path):
    d = ips.designer("maury2015")
    base = ips.simulate("maury2015")
    np.testing.assert_allclose(d.result.records, base.records)
    on, conc, window = _row(d, "SAG")
    on.value = False  # no SAG: no motor neurons (the published phenotype)
    assert "SAG" not in d.protocol.compounds
    assert d.result.summary()["mn_fraction"] < 0.05
    on.value, conc.value = True, 2.0
    (sag,) = d.protocol.steps_of("SAG")
    assert sag.concentration == pytest.approx(2.0)
    window.value = (3.0, 8.0)
    (sag,) = d.protocol.steps_of("SAG")
    assert (sag.start, sag.end) == (3.0, 8.0)
    d.media.value = "0, 2, 4, 6, 8, 10, 12"
    assert d.protocol.media_changes == (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
    (replate,) = d.operations
    replate.value = 11.0
    assert d.protocol.operations[0].day == 11.0
    again = ips.simulate(d.protocol)
    np.testing.assert_array_equal(d.result.records, again.records)
    # the figure shows this result: the composition bar's MN is the last day's MN fraction
    bar = d.figure.axes[-1]
    widths = {
        t.get_text(): p.get_width() for t, p in zip(bar.get_yticklabels(), bar.patches, strict=True)
    }
    assert widths["MN"] == pytest.approx(again.fractions["MN"].iloc[-1])
    assert f"{again.summary()['mn_fraction']:.3g}" in d.readouts.value
    saved = d.save(tmp_path / "edited.toml")
    assert ips.Protocol.from_toml(saved).to_dict() == d.protocol.to_dict()


def test_an_invalid_edit_says_why_and_keeps_the_last_outcome():
    d = ips.designer("maury2015")
    before = d.result
    _on, _conc, window = _row(d, "DAPT")
    window.value = (9.0, 20.0)  # past the protocol's last day
    assert "DAPT" in d.message
    assert "last day 14" in d.message
    assert d.result is before
    assert "DAPT" in d.readouts.value
    d.days.value = 21.0  # the fix the message names
    assert d.message == ""
    assert d.result.days[-1] == 21.0
    d.media.value = "0, two"
    assert "media days" in d.message
