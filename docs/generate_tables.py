"""Regenerate the data tables in docs/model.md from the package's data files.

Usage: ``python docs/generate_tables.py`` (rewrites the tables), or ``--check`` (exit 1 if stale).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ipscsim.model.parameters import genotypes, param_table
from ipscsim.protocols.compounds import registry

DOC = Path(__file__).with_name("model.md")


def _cell(text: str) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def parameter_table() -> str:
    """The parameter table in Markdown."""
    lines = [
        "| name | value | unit | plausible range | profile range | prior range | distribution | "
        "module | status | source or reason |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in param_table().values():
        lines.append(
            f"| `{p.name}` | {p.value:g} | {_cell(p.unit)} | {p.lower:.3g} - {p.upper:.3g} | "
            f"{p.profile_lower:.3g} - {p.profile_upper:.3g} | "
            f"{p.prior_lower:.3g} - {p.prior_upper:.3g} | {p.distribution} | "
            f"{p.module} | {p.status} | {_cell(p.source)} |"
        )
    return "\n".join(lines)


def compound_table() -> str:
    """The compound registry in Markdown."""
    lines = [
        "| compound | unit | molar mass (g/mol) | pathway | mode | potency (nM) | half-life (h) | "
        "potency source | half-life source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in registry():
        lines.append(
            f"| `{c.name}` | {c.unit} | {c.molar_mass:g} | {c.pathway} | {c.mode} | "
            f"{c.potency_nm:g} | {c.half_life_h:g} | {_cell(c.potency_source)} | "
            f"{_cell(c.half_life_source)} |"
        )
    return "\n".join(lines)


def genotype_table() -> str:
    """The genotype table in Markdown."""
    df = genotypes()
    lines = [
        "| genotype | MN hazard ratio with support (range) | source | hazard ratio of deprivation "
        "death (range) | source |",
        "|---|---|---|---|---|",
    ]
    for g, r in df.iterrows():
        lines.append(
            f"| `{g}` | {r['mn_hazard_ratio']} ({r['lower']}-{r['upper']}) | {_cell(r['source'])} | "
            f"{r['deprivation_hazard_ratio']} ({r['deprivation_lower']}-{r['deprivation_upper']}) | "
            f"{_cell(r['deprivation_source'])} |"
        )
    return "\n".join(lines)


def equations() -> str:
    """The model's equations as the engines run them (``model/network.py``), one block a section."""
    from ipscsim.model import network as N

    parts = []
    for title, name in (
        ("Per run, from the parameters (DERIVED)", "DERIVED"),
        ("What the medium alone sets, once per evaluation (MEDIUM)", "MEDIUM"),
        ("What each cell emits into the culture (EMIT)", "EMIT"),
        ("Signals every cell there sees (SHARED)", "SHARED"),
        ("Each cell: gene network, event rates, fates (CELL)", "CELL"),
        ("Counts of a cohort and its neurons' birth levels (COHORT, ODE engine)", "COHORT"),
        ("Culture-wide state (GLOBAL)", "GLOBAL"),
        ("How a progenitor is scored (READOUT)", "READOUT"),
        ("How a neuron is scored (NEURON)", "NEURON"),
    ):
        parts.append(f"**{title}**\n\n```text{getattr(N, name).rstrip()}\n```")
    return "\n\n".join(parts)


SECTIONS = {
    "EQUATIONS": equations,
    "PARAMETERS": parameter_table,
    "COMPOUNDS": compound_table,
    "GENOTYPES": genotype_table,
}


def render(text: str) -> str:
    """Replace every generated section of ``text`` with fresh tables."""
    for key, make in SECTIONS.items():
        start, end = f"<!-- BEGIN {key} -->", f"<!-- END {key} -->"
        head, rest = text.split(start)
        _, tail = rest.split(end)
        text = f"{head}{start}\n{make()}\n{end}{tail}"
    return text


if __name__ == "__main__":
    old = DOC.read_text(encoding="utf-8")
    new = render(old)
    if "--check" in sys.argv[1:]:
        sys.exit(0 if new == old else 1)
    DOC.write_text(new, encoding="utf-8")
