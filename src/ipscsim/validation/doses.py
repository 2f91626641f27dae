"""The highest dose of every compound that a preset or a validation experiment uses.

A protocol step far above it (100 times or more) is outside what the model was tested on, and a
dose that far up is most often a unit slip (mM for uM), so :class:`~ipscsim.protocols.Step` warns
about it. The table lives beside the compound registry, ``protocols/data/validated_doses.csv``, and
is regenerated from the presets and the validation tables by::

    python -m ipscsim.validation.doses --write

(``--check`` fails when the file is stale; the test suite runs it).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import warnings
from importlib import resources

from ..protocols import names
from ..protocols.compounds import registry
from ..protocols.presets import get
from ..units import to_nanomolar
from .evaluate import target_runs
from .perturbations import apply_perturbation
from .targets import fact_targets, outcome_targets, phenotype_targets

__all__ = ["highest_doses", "main", "render"]

FILE = "validated_doses.csv"


def _arms() -> list[tuple[str, object]]:
    """Every protocol the presets and the validation tables run, with where it comes from."""
    arms: list[tuple[str, object]] = [(name, get(name)) for name in names()]
    for t in [*outcome_targets(), *fact_targets(), *phenotype_targets()]:
        for protocol, perturbation in target_runs(t):
            arms.append((t.id, apply_perturbation(get(protocol), perturbation).protocol))
    return arms


def highest_doses() -> dict[str, tuple[float, str]]:
    """Compound -> (highest effective dose in nM, the first preset or row using it)."""
    reg = registry()
    out: dict[str, tuple[float, str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arms = _arms()
    for where, protocol in arms:
        for s in protocol.steps:
            entry = reg.get(s.compound)
            nm = to_nanomolar(s.concentration, s.unit, entry.molar_mass)
            if nm > out.get(entry.name, (-1.0, ""))[0]:
                out[entry.name] = (nm, where)
    return out


def render() -> str:
    """The CSV text of the table (compounds in registry order)."""
    doses = highest_doses()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["compound", "highest_nm", "where"])
    for entry in registry():
        if entry.name in doses:
            nm, where = doses[entry.name]
            w.writerow([entry.name, f"{nm:.6g}", where])
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write or check ``protocols/data/validated_doses.csv``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="regenerate the file")
    group.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    path = resources.files("ipscsim.protocols").joinpath("data", FILE)
    text = render()
    if args.write:
        with resources.as_file(path) as p:
            p.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
        return 0
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if current != text:
        print(f"{path} is stale: run python -m ipscsim.validation.doses --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
