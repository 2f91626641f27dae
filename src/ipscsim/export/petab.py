"""A calibration problem as PEtab v1: the SBML model, its readouts as observables, a lab's data.

PEtab (Schmiester et al. 2021, PLoS Comput Biol 17:e1008646) is the exchange format of parameter
estimation problems that pyPESTO, AMICI, COPASI (through its PEtab import) and Data2Dynamics read.
:func:`petab` writes one for targets in the format of ``data/published_outcomes.csv`` (a lab's own
CSV works as it is), the problem :func:`ipscsim.calibrate` solves:

* ``model.xml``: the protocol's run as SBML (:func:`ipscsim.export.sbml`), with the targets' readouts
  as assignment rules ``frac_<readout>`` (fractions of live cells,
  :mod:`ipscsim.export.sbml_readouts`);
* ``observables.tsv``: one observable per readout, ``obs_<readout> = frac_<readout>``, normal noise;
* ``conditions.tsv``: one condition per distinct perturbation (only ``param name=value`` edits
  translate: they override SBML parameters);
* ``measurements.tsv``: one row per target at its day: a ``~`` target is its value with the
  calibration's tolerance as standard deviation (0.10 for fractions); an ``in`` target is its
  published value with half the interval's width as standard deviation (PEtab has no intervals);
* ``parameters.tsv``: the fitted parameters (``p_<name>``) with their bounds, on ``log10`` scale
  where ``calibrate`` searches in log space (ranges of three-fold or more);
* ``problem.yaml``, which names them.

One SBML model holds one protocol, so every target must name the same protocol; one-sided targets,
directions, counts and summary readouts have no PEtab form and are refused with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from .sbml_readouts import READOUTS, observable_id

__all__ = ["petab"]


def petab(
    targets: Any,
    params: Sequence[str] | Mapping[str, tuple[float, float]],
    folder: str | Path,
    *,
    protocols: Mapping[str, Any] | None = None,
    start: Any = None,
    genotype: str = "control",
    cohorts: int = 4,
) -> Path:
    """Write the calibration of ``params`` to ``targets`` as a PEtab v1 problem in ``folder``.

    Args:
        targets: A CSV path (published-outcomes format) or a list of
            :class:`~ipscsim.validation.targets.Target`, all on one protocol.
        params: Parameters to estimate (prior ranges of the parameter table) or names to
            ``(low, high)``, as for :func:`ipscsim.calibrate`.
        folder: Where to write the files (created if missing).
        protocols: Protocols the targets name that are neither presets nor files.
        start: The nominal parameter values (a ParameterSet, dict or TOML file; default: the
            defaults).
        genotype: The MN genotype of the model.
        cohorts: Heterogeneity cohorts of the SBML model (libRoadRunner compiles 4 in seconds and 12
            in about a minute and a half).

    Returns:
        The path of ``problem.yaml``.

    Raises:
        ParameterError: a target without a PEtab form, targets on several protocols, or a parameter
            the model does not read.
    """
    from ..validation.fitting import resolve_targets, search_space, start_set
    from .sbml_model import ode_params, readout_params, sbml

    targets = resolve_targets(targets)
    protocol = _one_protocol(targets, protocols)
    conditions = _conditions(targets)
    space = search_space(params)
    _check_estimated(space.names, conditions, {*ode_params(), *readout_params()})
    base = start_set(start)
    readouts = sorted({t.readout for t in targets})
    doc = sbml(
        protocol, base.to_array(), days=max(t.day for t in targets), genotype=genotype,
        cohorts=cohorts, readouts=readouts,
    )  # fmt: skip
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(
            f"folder: {str(folder)!r} is a file; give a folder to write the problem in"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.xml").write_text(doc, encoding="utf-8")
    _write_tables(folder, targets, conditions, space, base, readouts)
    return folder / "problem.yaml"


def _one_protocol(targets: list, protocols: Mapping[str, Any] | None) -> Any:
    """The single protocol all targets name (a Protocol from ``protocols``, or its name)."""
    names = sorted({t.protocol for t in targets})
    if len(names) != 1:
        raise ParameterError(
            f"targets: they name {len(names)} protocols ({', '.join(names)}); one PEtab model "
            "holds one protocol, so export one problem per protocol"
        )
    for t in targets:
        why = _unsupported(t)
        if why:
            raise ParameterError(f"target {t.id!r}: {why}; PEtab has no form for it")
    from ..validation.evaluate import check_protocols

    return check_protocols(protocols).get(names[0], names[0])


def _unsupported(t: Any) -> str:
    if t.kind != "outcome":
        return "a direction (a comparison of two runs)"
    if t.relation not in ("~", "in"):
        return f"relation {t.relation!r} is one-sided (only '~' and 'in' are measurements)"
    if t.readout not in READOUTS:
        return f"readout {t.readout!r} is not a fraction of live cells (a cell type or marker)"
    if not math.isfinite(t.day):
        return "it has no day"
    return ""


def _conditions(targets: list) -> dict[str, dict[str, float]]:
    """Condition id of each distinct perturbation, with the parameter values it sets."""
    out: dict[str, dict[str, float]] = {}
    for t in targets:
        if t.perturbation in out:
            continue
        values = {}
        for edit in filter(None, (e.strip() for e in t.perturbation.split(";"))):
            m = re.fullmatch(r"param\s+(\w+)\s*=\s*(\S+)", edit)
            if not m:
                raise ParameterError(
                    f"target {t.id!r}: perturbation {edit!r} changes the protocol; a PEtab "
                    "condition can only set parameters ('param name=value')"
                )
            values[m.group(1)] = float(m.group(2))
        out[t.perturbation] = values
    return out


def _check_estimated(names: list[str], conditions: dict, in_model: set[str]) -> None:
    """Every estimated parameter is in the SBML model and no perturbation sets one."""
    missing = [n for n in names if n not in in_model]
    if missing:
        raise ParameterError(
            f"params: {missing[0]!r} is not read by the ODE model's equations, so PEtab cannot "
            "estimate it; choose a parameter the SBML export writes (ipscsim.export.sbml)"
        )
    clash = sorted({n for v in conditions.values() for n in v if n in names})
    if clash:
        raise ParameterError(
            f"params: {clash[0]!r} is both estimated and set by a target's perturbation"
        )


def _write_tables(folder: Path, targets, conditions, space, base, readouts) -> None:
    """The four PEtab tables and the problem file."""
    import pandas as pd

    ids = {p: f"c{i}" for i, p in enumerate(conditions)}
    overridden = sorted({n for v in conditions.values() for n in v})
    cond = pd.DataFrame(
        [
            {"conditionId": ids[p], **{f"p_{n}": v.get(n, base[n]) for n in overridden}}
            for p, v in conditions.items()
        ]
    )
    obs = pd.DataFrame(
        [
            {
                "observableId": f"obs_{observable_id(r)[5:]}",
                "observableName": r,
                "observableFormula": observable_id(r),
                "observableTransformation": "lin",
                "noiseFormula": f"noiseParameter1_obs_{observable_id(r)[5:]}",
                "noiseDistribution": "normal",
            }
            for r in readouts
        ]
    )
    meas = pd.DataFrame([_measurement(t, ids[t.perturbation]) for t in targets])
    par = pd.DataFrame([_parameter(space, j, base) for j in range(len(space.names))])
    for name, table in (
        ("conditions", cond),
        ("observables", obs),
        ("measurements", meas),
        ("parameters", par),
    ):
        table.to_csv(folder / f"{name}.tsv", sep="\t", index=False)
    (folder / "problem.yaml").write_text(
        "format_version: 1\n"
        "parameter_file: parameters.tsv\n"
        "problems:\n"
        "- sbml_files: [model.xml]\n"
        "  condition_files: [conditions.tsv]\n"
        "  measurement_files: [measurements.tsv]\n"
        "  observable_files: [observables.tsv]\n",
        encoding="utf-8",
    )


def _measurement(t: Any, condition: str) -> dict[str, Any]:
    sd = t.tolerance if t.relation == "~" else max((t.high - t.low) / 2.0, 1e-6)
    sd = float(f"{sd:.12g}")
    return {
        "observableId": f"obs_{observable_id(t.readout)[5:]}",
        "simulationConditionId": condition,
        "measurement": t.value,
        "time": t.day,
        "noiseParameters": sd,
        "datasetId": t.id,
    }


def _parameter(space: Any, j: int, base: Any) -> dict[str, Any]:
    name = space.names[j]
    lo = float(space.to_values(space.lo)[j])
    hi = float(space.to_values(space.hi)[j])
    return {
        "parameterId": f"p_{name}",
        "parameterName": name,
        "parameterScale": "log10" if space.logs[j] else "lin",
        "lowerBound": float(f"{lo:.12g}"),
        "upperBound": float(f"{hi:.12g}"),
        "nominalValue": float(f"{min(max(base[name], lo), hi):.12g}"),
        "estimate": 1,
    }
