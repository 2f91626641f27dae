"""A COMBINE/OMEX archive: the SBML model of one protocol run with a SED-ML simulation of it.

The archive (a zip, https://combinearchive.org) holds ``model.xml`` (:func:`~ipscsim.export.sbml`),
``simulation.sedml`` (SED-ML Level 1 Version 4: a uniform time course from day 0 to the run's last
day, LSODA with the tolerances given, a report of every state variable) and the ``manifest.xml`` that
names them. A tool that reads COMBINE archives (COPASI, tellurium, the BioSimulators runners) runs the
simulation as the archive describes it; ``tests/test_export.py`` runs one in COPASI and compares it
with the ODE engine. Needs python-libsbml and python-libsedml (``pip install "ipscsim[omex]"``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from .._paths import output_path
from .sbml_model import sbml, state_ids

__all__ = ["KISAO", "omex"]

#: KiSAO terms the archive uses: the algorithm and its settings.
KISAO: dict[str, str] = {
    "LSODA": "KISAO:0000088",
    "relative tolerance": "KISAO:0000209",
    "absolute tolerance": "KISAO:0000211",
    "maximum number of steps": "KISAO:0000415",
}
_FORMATS = {
    "omex": "http://identifiers.org/combine.specifications/omex",
    "manifest": "http://identifiers.org/combine.specifications/omex-manifest",
    "sbml": "http://identifiers.org/combine.specifications/sbml",
    "sedml": "http://identifiers.org/combine.specifications/sed-ml",
}
_XPATH = "/sbml:sbml/sbml:model/sbml:listOfParameters/sbml:parameter[@id='{}']"


def omex(
    protocol: Any,
    path: str | Path,
    params: Any = None,
    *,
    days: float | None = None,
    genotype: str = "control",
    cohorts: int = 12,
    every: float = 1.0,
    rtol: float = 1e-8,
    atol: float = 1e-11,
) -> Path:
    """Write a COMBINE/OMEX archive that runs one protocol in any SED-ML tool.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`, preset name, protocol file or dict.
        path: The archive to write (``.omex``).
        params: Parameter overrides, as for :func:`ipscsim.simulate`.
        days: Days to simulate (default: the protocol's).
        genotype: MN genotype.
        cohorts: Heterogeneity cohorts (the ODE engine's ``cohorts``).
        every: Days between the time course's output points.
        rtol: The simulator's relative tolerance (written as KiSAO:0000209).
        atol: Its absolute tolerance (KiSAO:0000211).

    Returns:
        The archive's path.

    Raises:
        ValueError: for a path that does not end in ``.omex`` or whose folder is missing, or an
            output spacing that does not divide the run. ImportError: without libsbml or libsedml.
    """
    from ..errors import ParameterError, check_real
    from ..model.prepare import prepare_run

    out = output_path(path, "path", (".omex",), "maury2015.omex")
    rtol = check_real("rtol", rtol, 1e-14, 0.1)
    atol = check_real("atol", atol, 1e-300, 1.0)
    end = float(prepare_run(protocol, params, days, genotype, cohorts).compiled.t[-1])
    every = check_real("every", every, 1e-3, end, "days")
    steps = round(end / every)
    if abs(steps * every - end) > 1e-9:
        raise ParameterError(f"every: {every:g} days does not divide the run's {end:g} days")
    model = sbml(protocol, params, days=days, genotype=genotype, cohorts=cohorts)
    simulation = _sedml(end, steps, rtol, atol, state_ids(cohorts))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.xml", _manifest())
        archive.writestr("model.xml", model)
        archive.writestr("simulation.sedml", simulation)
    return out


def _libsedml() -> Any:
    try:
        import libsedml
    except ImportError:  # pragma: no cover - installed with the test extra
        raise ImportError(
            "ips.export.omex needs python-libsedml: pip install 'ipscsim[omex]'"
        ) from None
    return libsedml


def _sedml(end: float, steps: int, rtol: float, atol: float, ids: list[str]) -> str:
    """The SED-ML document: model, time course, task, one data generator per variable, a report."""
    sed = _libsedml()
    doc = sed.SedDocument(1, 4)
    doc.getNamespaces().add("http://www.sbml.org/sbml/level3/version1/core", "sbml")  # XPath prefix
    model = doc.createModel()
    model.setId("model")
    model.setSource("model.xml")
    model.setLanguage("urn:sedml:language:sbml.level-3.version-1")
    sim = doc.createUniformTimeCourse()
    sim.setId("time_course")
    sim.setInitialTime(0.0)
    sim.setOutputStartTime(0.0)
    sim.setOutputEndTime(end)
    sim.setNumberOfSteps(steps)
    alg = sim.createAlgorithm()
    alg.setKisaoID(KISAO["LSODA"])
    for term, value in (("relative tolerance", rtol), ("absolute tolerance", atol),
                        ("maximum number of steps", 1_000_000)):  # fmt: skip
        p = alg.createAlgorithmParameter()
        p.setKisaoID(KISAO[term])
        p.setValue(repr(value))
    task = doc.createTask()
    task.setId("task")
    task.setModelReference("model")
    task.setSimulationReference("time_course")
    report = doc.createReport()
    report.setId("state")
    report.setName("state variables (ipscsim Result.records order)")
    for sid in ["time", *ids]:
        dg = doc.createDataGenerator()
        dg.setId(f"dg_{sid}")
        var = dg.createVariable()
        var.setId("t" if sid == "time" else sid)  # "time" would parse as SED-ML's time symbol
        var.setTaskReference("task")
        if sid == "time":
            var.setSymbol("urn:sedml:symbol:time")
        else:
            var.setTarget(_XPATH.format(sid))
        dg.setMath(sed.parseL3Formula(var.getId()))
        ds = report.createDataSet()
        ds.setId(f"ds_{sid}")
        ds.setLabel(sid)
        ds.setDataReference(f"dg_{sid}")
    return sed.writeSedMLToString(doc)


def _manifest() -> str:
    entries = [
        (".", _FORMATS["omex"], False),
        ("./manifest.xml", _FORMATS["manifest"], False),
        ("./model.xml", _FORMATS["sbml"], False),
        ("./simulation.sedml", _FORMATS["sedml"], True),
    ]
    rows = "\n".join(
        f'  <content location="{loc}" format="{fmt}"' + (' master="true"' if master else "") + "/>"
        for loc, fmt, master in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<omexManifest xmlns="http://identifiers.org/combine.specifications/omex-manifest">\n'
        f"{rows}\n</omexManifest>\n"
    )
