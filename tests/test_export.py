"""SBML export: the document is valid SBML, and libRoadRunner integrating it reproduces the ODE engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erfc

import ipscsim as ips
from ipscsim.benchmarking import peers
from ipscsim.engines.ode import apply_operation
from ipscsim.export.sbml_model import erfc_approx
from ipscsim.model import layout as L
from ipscsim.model.inputs import compile_protocol
from ipscsim.model.network import network
from ipscsim.model.readouts import CELL_TYPES, GROUPS, MARKERS, readout_counts
from ipscsim.results import Result

libsbml = pytest.importorskip(
    "libsbml", reason="python-libsbml is not installed: pip install 'ipscsim[sbml]'"
)


def _read(text: str):
    doc = libsbml.readSBMLFromString(text)
    doc.checkConsistency()
    errors = [
        doc.getError(i).getMessage()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    return doc, errors


def test_erfc_approximation_is_within_its_stated_fractional_error():
    # Numerical Recipes' erfcc: fractional error below 1.2e-7 everywhere
    x = np.linspace(-6.0, 9.0, 30001)
    rel = np.abs(erfc_approx(x) - erfc(x)) / erfc(x)
    assert rel.max() < 1.2e-7


def test_document_is_valid_sbml_with_the_protocol_schedule(tmp_path):
    path = tmp_path / "maury2015.xml"
    text = ips.export.sbml("maury2015", params={"k_oct4": 2.5}, path=path, cohorts=4)
    assert path.read_text(encoding="utf-8") == text
    doc, errors = _read(text)
    assert errors == []
    assert (doc.getLevel(), doc.getVersion()) == (3, 1)
    m = doc.getModel()
    assert m.getParameter("p_k_oct4").getValue() == 2.5
    ids = ips.export.state_ids(4)
    assert len(ids) == L.n_state(4)
    constant = {s for s in ids if s.endswith(("_VEC_NGN2", "_VEC_IL"))}  # set at seeding
    assert len(constant) == 8
    assert {r.getVariable() for r in m.getListOfRules() if r.isRate()} == set(ids) - constant - {
        "LINEAGE",
        "CUM_REPLATED",
    }
    # one event per segment boundary where the medium, the format or the cells change
    cp = compile_protocol(ips.protocols.get("maury2015"))
    changes = sum(
        1
        for s in range(1, len(cp.t) - 1)
        if cp.u[s, L.U_T_CHANGE] != cp.u[s - 1, L.U_T_CHANGE]
        or cp.u[s, L.U_FORMAT] != cp.u[s - 1, L.U_FORMAT]
        or cp.op[s] != L.OP_NONE
    )
    assert m.getNumEvents() == changes > 5
    # what the medium alone sets (MEDIUM) is one rule for the culture, not one per cohort
    rules = {r.getVariable() for r in m.getListOfRules() if r.isAssignment()}
    net = network()
    for name in net.locals_(net.medium):
        assert f"m_{name}" in rules
        assert not any(r.startswith(f"{name}_") for r in rules), name
    # only the protocol's compounds appear: its steps' and its medium's (N2/B27: insulin, retinoid)
    from ipscsim.protocols.media import lookup_medium

    p = ips.protocols.get("maury2015")
    used = {s.compound for s in p.steps} | {c for c, _, _ in lookup_medium(p.medium).components}
    assert "insulin" in used
    assert {
        p.getId()[8:] for p in m.getListOfParameters() if p.getId().startswith("nominal_")
    } == used


def test_bad_path_names_the_field_and_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"path: .*\.xml or \.sbml"):
        ips.export.sbml("maury2015", path=tmp_path / "model.txt")
    with pytest.raises(ValueError, match="does not exist"):
        ips.export.sbml("maury2015", path=tmp_path / "missing" / "model.xml")
    with pytest.raises(ips.ParameterError, match="k_oct4"):
        ips.export.sbml("maury2015", params={"k_oct4": -1.0})


def _assert_matches(name: str, r, theirs: np.ndarray) -> None:
    """An SBML tool's trajectories (state_ids order) against the engine's records, within 1e-4."""
    ours = r.records.copy()
    cp = compile_protocol(ips.protocols.get(name))
    for s in np.flatnonzero(cp.op != L.OP_NONE):  # the tool reports the state after the event
        i = int(np.flatnonzero(np.isclose(r.days, cp.t[s]))[0])
        apply_operation(ours[i], cp.op[s], cp.op_count[s], r.n_cohorts)
    scale = np.maximum(np.maximum(np.abs(ours), 1e-3 * np.abs(ours).max(axis=0)), 1e-9)
    rel = np.abs(theirs - ours) / scale
    assert rel.max() < 1e-4, f"max relative difference {rel.max():.2e}"


@pytest.mark.parametrize("name", ["maury2015", "du2015"])
def test_roadrunner_reproduces_the_ode_engine(name):
    """libRoadRunner on the exported model matches the engine within 1e-4 relative at every day.

    Both integrate tightly (ipscsim rtol 1e-10, libRoadRunner's CVODE rtol 1e-8) so that the
    comparison tests the model's translation, not the tolerances. A variable's relative error is taken
    against max(|value|, 1e-3 of that variable's largest value over the run, 1e-9), so that variables
    passing through zero are compared on their own scale and none below the engine's default absolute
    tolerance (1e-9 of the seeding; du2015 makes ~1e-21 V3 interneurons) is compared at all. At a
    replating day the SBML tool reports the state after the event and ipscsim's records the culture
    before it: there the engine's record is replated with the engine's own operation before comparing.
    CVODE runs its Adams (non-stiff) method: the model is not stiff (benchmarks/stiffness.py: the
    Jacobian's spectral radius is about 8 per day on du2015 around day 6), and CVODE's BDF, restarted
    at an event that falls on an output day (du2015, day 6), shrinks its step to 1e-23 and stalls
    there, while it passes the same event between output days; seen with libroadrunner 2.10.
    """
    pytest.importorskip(
        "roadrunner", reason="libroadrunner cannot be installed here: pip install libroadrunner"
    )
    r = ips.simulate(name, engine=ips.ODE(rtol=1e-10, atol=1e-13), record=ips.Record(every=1.0))
    rr = peers.roadrunner_load(ips.export.sbml(name), quick=True)
    rr.integrator.stiff = False
    rr.integrator.relative_tolerance = 1e-8
    rr.integrator.absolute_tolerance = 1e-11
    rr.integrator.setValue("maximum_num_steps", 100_000)
    rr.timeCourseSelections = ["time", *ips.export.state_ids(12)]
    out = np.asarray(rr.simulate(times=list(r.days)))
    theirs = out[:, 1:]
    np.testing.assert_allclose(out[:, 0], r.days)
    _assert_matches(name, r, theirs)
    # (replating scales every count alike, so fractions agree on replating days too)
    same = Result(
        days=r.days, records=theirs, params=r.params, n_cohorts=12, seeded=r.seeded, meta=r.meta
    )
    np.testing.assert_allclose(same.fractions.to_numpy(), r.fractions.to_numpy(), rtol=0, atol=1e-5)


def _copasi_states(task, dm):
    """Run a COPASI time-course task; its days and the state variables in Result.records' order."""
    assert task.process(True)
    ts = task.getTimeSeries()
    ids = [ts.getSBMLId(i, dm) for i in range(ts.getNumVariables())]
    model = dm.getModel()
    days = np.array([ts.getData(i, 0) for i in range(ts.getRecordedSteps())])
    out = np.empty((len(days), len(ips.export.state_ids(12))))
    for j, s in enumerate(ips.export.state_ids(12)):
        if s in ids:
            out[:, j] = [ts.getData(i, ids.index(s)) for i in range(len(days))]
        else:  # a state nothing changes (what the cassette gave a cohort): COPASI does not record it
            assert s.endswith(("_VEC_NGN2", "_VEC_IL")), s
            out[:, j] = model.getModelValue(s).getInitialValue()
    return days, out


def test_copasi_reproduces_the_ode_engine():
    """COPASI (its LSODA, rtol 1e-8) on the exported du2015 matches the engine as libRoadRunner does."""
    copasi = pytest.importorskip(
        "COPASI", reason="python-copasi cannot be installed here: pip install python-copasi"
    )
    name = "du2015"
    r = ips.simulate(name, engine=ips.ODE(rtol=1e-10, atol=1e-13), record=ips.Record(every=1.0))
    dm = copasi.CRootContainer.addDatamodel()
    try:
        assert dm.importSBMLFromString(ips.export.sbml(name))
        task = dm.getTask("Time-Course")
        task.setMethodType(copasi.CTaskEnum.Method_deterministic)
        problem = task.getProblem()
        problem.setDuration(float(r.days[-1]))
        problem.setStepNumber(len(r.days) - 1)
        problem.setTimeSeriesRequested(True)
        method = task.getMethod()
        method.getParameter("Relative Tolerance").setDblValue(1e-8)
        method.getParameter("Absolute Tolerance").setDblValue(1e-11)
        method.getParameter("Max Internal Steps").setIntValue(1_000_000)
        days, theirs = _copasi_states(task, dm)
    finally:
        copasi.CRootContainer.removeDatamodel(dm)
    np.testing.assert_allclose(days, r.days)
    _assert_matches(name, r, theirs)


def test_omex_archive_runs_in_copasi_as_the_engine_does(tmp_path):
    """The COMBINE archive carries the simulation: COPASI opens it and runs its SED-ML time course
    (duration, output steps, LSODA tolerances all from the archive) and matches the engine."""
    import zipfile

    copasi = pytest.importorskip(
        "COPASI", reason="python-copasi cannot be installed here: pip install python-copasi"
    )
    pytest.importorskip("libsedml", reason="pip install python-libsedml")
    name = "maury2015"
    path = ips.export.omex(name, tmp_path / f"{name}.omex", every=1.0, rtol=1e-8, atol=1e-11)
    assert sorted(zipfile.ZipFile(path).namelist()) == [
        "manifest.xml", "model.xml", "simulation.sedml"
    ]  # fmt: skip
    r = ips.simulate(name, engine=ips.ODE(rtol=1e-10, atol=1e-13), record=ips.Record(every=1.0))
    dm = copasi.CRootContainer.addDatamodel()
    try:
        assert dm.openCombineArchive(str(path))
        task = dm.getTask("Time-Course")
        problem, method = task.getProblem(), task.getMethod()
        assert (problem.getDuration(), problem.getStepNumber()) == (14.0, 14)
        assert method.getParameter("Relative Tolerance").getDblValue() == 1e-8
        assert method.getParameter("Absolute Tolerance").getDblValue() == 1e-11
        days, theirs = _copasi_states(task, dm)
    finally:
        copasi.CRootContainer.removeDatamodel(dm)
    np.testing.assert_allclose(days, r.days)
    _assert_matches(name, r, theirs)
    with pytest.raises(ValueError, match=r"must end in \.omex"):
        ips.export.omex(name, tmp_path / "x.zip")
    with pytest.raises(ips.ParameterError, match=r"every: 0\.3 days does not divide"):
        ips.export.omex(name, tmp_path / "y.omex", every=0.3)
    for bad in (-1, math.nan, "1e-8", 0.0):  # were written into the SED-ML as they were
        with pytest.raises(ips.ParameterError, match=r"rtol: .* must be a number in"):
            ips.export.omex(name, tmp_path / "z.omex", rtol=bad)
    with pytest.raises(ips.ParameterError, match=r"atol: 0\.0 must be a number in"):
        ips.export.omex(name, tmp_path / "z.omex", atol=0.0)


def _unfloored(r):
    """A Result's fractions and markers per day (arrays) before its one-cell-per-well floor."""
    counts, markers = readout_counts(r.records, r.params, r.n_cohorts)
    total = counts.sum(axis=1)[:, None]
    return counts / total, markers / total


def test_readout_rules_reproduce_the_result_readouts():
    """The SBML readout rules (frac_<readout>) simulated by libRoadRunner give the Result's fractions
    and markers within 2e-7: the erfc approximation's error (1.2e-7 relative), on a protocol with a
    replating (maury2015, day 10; it scales the neurons' level masses with their counts, and a neuron
    class's HOX reads its mean birth level) and 3 cohorts (12 take libRoadRunner 1.5 minutes to
    compile). The rules do not apply the Result's floor (less than one cell per well reported as none),
    so they are compared with the readouts before it. HOXB4 is left out: its gate sits where RA raises
    the level fastest, and libRoadRunner's integration error at rtol 1e-8 shows there (1.5e-6; 1.6e-7
    at rtol 1e-10)."""
    pytest.importorskip("roadrunner")
    from ipscsim.export.sbml_readouts import observable_id

    types = ["MN", "pMN", "p3", "interneuron", "neuroectoderm"]
    marks = ["OLIG2", "ISL1", "HOX", "NKX6.1", "CHAT", "MNX1", "PAX6", "OCT4", "FOXP1"]
    r = ips.simulate(
        "maury2015", engine=ips.ODE(rtol=1e-10, atol=1e-13, cohorts=3), record=ips.Record(every=1.0)
    )
    rr = peers.roadrunner_load(
        ips.export.sbml("maury2015", readouts=[*types, *marks, "neurons"], cohorts=3), quick=True
    )
    rr.integrator.stiff = False
    rr.integrator.relative_tolerance = 1e-8
    rr.integrator.absolute_tolerance = 1e-11
    rr.timeCourseSelections = ["time", *(observable_id(x) for x in [*types, *marks, "neurons"])]
    out = np.asarray(rr.simulate(times=list(r.days)))
    # the rules do not apply the Result's one-cell-per-well floor: compare with the unfloored readouts
    frac, mark = _unfloored(r)
    neurons = sum(frac[:, CELL_TYPES.index(t)] for t in GROUPS["neurons"])
    mine = np.column_stack(
        [
            frac[:, [CELL_TYPES.index(t) for t in types]],
            mark[:, [MARKERS.index(m) for m in marks]],
            neurons,
        ]
    )
    floored = np.column_stack([r.fractions[types], r.markers[marks]])
    assert np.abs(floored - mine[:, :-1]).max() < 1e-5  # the floor moves a share of a cell at most
    np.testing.assert_allclose(out[:, 1:], mine, rtol=0, atol=2e-7)
    assert out[:, 1 + types.index("MN")].max() > 0.5  # the comparison covers real MN numbers
    with pytest.raises(ips.ParameterError, match="readouts: 'MNs'"):
        ips.export.sbml("maury2015", readouts=["MNs"])


def _lab_targets():
    from ipscsim.validation.targets import Target

    return [
        Target("a", "outcome", "maury2015", "", "OLIG2", 8.0, "~", 0.6),
        Target("b", "outcome", "maury2015", "", "MN", 14.0, "in", 0.6, low=0.55, high=1.0),
        Target("c", "outcome", "maury2015", "param k_neurogenesis=2.0", "MN", 12.0, "~", 0.7),
    ]


def test_petab_problem_is_valid_and_its_model_gives_ipscsims_readouts(tmp_path):
    """The exported problem passes PEtab's linter, and its model, simulated per condition by
    libRoadRunner, gives at every measurement the readout ipscsim's calibration compares with the
    data (same parameters, same cohorts) within 2e-7, before the one-cell floor the Result applies."""
    pv = pytest.importorskip("petab.v1")
    pytest.importorskip("roadrunner")
    import pandas as pd

    from ipscsim.validation.evaluate import evaluate

    targets = _lab_targets()
    yaml = ips.export.petab(targets, ["cycle_np", "sigma_sensitivity"], tmp_path, cohorts=4)
    assert not pv.lint_problem(pv.Problem.from_yaml(yaml))
    par = pd.read_csv(tmp_path / "parameters.tsv", sep="\t").set_index("parameterId")
    assert par.loc["p_sigma_sensitivity", "parameterScale"] == "log10"  # a 7-fold prior range
    assert par.loc["p_cycle_np", "parameterScale"] == "lin"
    meas = pd.read_csv(tmp_path / "measurements.tsv", sep="\t")
    assert meas["noiseParameters"].tolist() == pytest.approx([0.1, 0.225, 0.1])
    cond = pd.read_csv(tmp_path / "conditions.tsv", sep="\t").set_index("conditionId")
    ev = evaluate(targets, None, cohorts=4, rtol=1e-10, atol=1e-13, keep_results=True)
    ours = []  # the calibration's readouts before the Result's one-cell floor, which rules lack
    for t, floored in zip(targets, ev.values[0], strict=True):
        r = ev.results[(t.protocol, t.perturbation)]
        frac, mark = _unfloored(r)
        i = int(np.argmin(np.abs(r.days - t.day)))
        if t.readout in CELL_TYPES:
            ours.append(frac[i, CELL_TYPES.index(t.readout)])
        else:
            ours.append(mark[i, MARKERS.index(t.readout)])
        assert abs(ours[-1] - floored) < 1e-5  # the floor moves a share of a cell at most
    for j, row in meas.iterrows():
        rr = peers.roadrunner_load(tmp_path / "model.xml", quick=True)
        rr.integrator.stiff = False
        rr.integrator.relative_tolerance = 1e-8
        rr.integrator.absolute_tolerance = 1e-11
        for pid, v in cond.loc[row["simulationConditionId"]].items():
            rr[pid] = float(v)
        rr.timeCourseSelections = ["time", f"frac_{row['observableId'][4:]}"]
        out = np.asarray(rr.simulate(0, row["time"], 2))
        assert out[-1, 1] == pytest.approx(ours[j], abs=2e-7)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"relation": ">="}, "one-sided"),
        ({"readout": "count:MN"}, "not a fraction"),
        ({"protocol": "du2015"}, "2 protocols"),
        ({"perturbation": "without RA"}, "changes the protocol"),
    ],
)
def test_petab_refuses_what_it_cannot_express(tmp_path, change, message):
    from dataclasses import replace

    targets = _lab_targets()
    targets[0] = replace(targets[0], **change)
    with pytest.raises(ips.ParameterError, match=message):
        ips.export.petab(targets, ["cycle_np"], tmp_path)
