"""The compound registry: what each small molecule or protein does, at what potency, how fast it decays.

The registry is data (``protocols/data/compounds.csv``), one row per compound, each number with its source.
The model reads a compound's *pathway*, *mode* and *potency* to compute pathway activities, so a compound
added to the table acts on the model through its pathway without any code change.

Pathways: ``TGFB`` (SMAD2/3), ``BMP`` (SMAD1/5/8), ``WNT`` (the ligand, at the receptor), ``GSK3``
(GSK3 inhibition below the Axin destruction complex: CHIR99021), ``FGF``, ``RA``, ``SHH``, ``NOTCH``,
``ROCK``,
``TRANSGENE`` (TetOn induction), the four neurotrophic survival receptors of motor neurons ``RET``
(GDNF through GFRA1/RET), ``TRKB`` (BDNF), ``GP130`` (CNTF through CNTFR/LIFR/gp130) and ``IGF1R``
(IGF-1, insulin), ``CAMP`` (cAMP/PKA), ``HDAC`` (histone deacetylases) and ``STAT3`` (gp130/JAK/STAT3
transcription, the glial switch) and ``SMO`` (the Smoothened heptahelical site, where SAG and
purmorphamine bind and cyclopamine competes with them; SHH protein acts upstream, on Patched, through
``SHH``).

A compound may act on several pathways, each with its own potency: its row in ``compounds.csv`` names
its main target, and ``targets.csv`` adds the others (dorsomorphin on ALK4/5/7 besides the BMP
receptors, LDN193189's weaker ALK4/5/7 block, CNTF on STAT3 besides its survival signalling, ...),
each with its source. The engines receive every (compound, pathway) pair as a row of one table.
Modes: ``agonist`` (a ligand or activator, adds to the pathway's input), ``inhibitor`` (blocks the
receptor or its kinase: scales the pathway's activity by ``1 / (1 + c / IC50)``) and ``antagonist``
(sequesters the ligand, exogenous and endogenous alike: divides the ligand by ``1 + c / K``).
On ``SMO`` an inhibitor occupies the agonists' site: it shifts their dose response by ``1 + c / K``
(surmountable) and scales the response to SHH protein by ``1 / (1 + c / K)`` (not surmountable by more
SHH), see :mod:`ipscsim.model.network`. On ``WNT`` the inhibitor is a tankyrase inhibitor (XAV939): it scales
the whole WNT activity down except the share ``1 - tnks_gsk3`` of what ``GSK3`` inhibition alone gives;
an inhibitor that blocks the ligand only (a WNT secretion inhibitor) would need a pathway of its own.
GSK3 takes agonists only: ``F_GSK3`` and ``Z_GSK3`` are not read by the equations.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import ProtocolError, suggest

__all__ = ["MODES", "PATHWAYS", "Compound", "Registry", "Target", "lookup", "registry"]

#: Signalling pathways, in the order the engines index them.
PATHWAYS: tuple[str, ...] = (
    "TGFB",
    "BMP",
    "WNT",
    "FGF",
    "RA",
    "SHH",
    "NOTCH",
    "ROCK",
    "TRANSGENE",
    "RET",
    "TRKB",
    "GP130",
    "IGF1R",
    "CAMP",
    "HDAC",
    "STAT3",
    "SMO",
    "GSK3",
)
#: Modes of action, in the order the engines index them.
MODES: tuple[str, ...] = ("agonist", "inhibitor", "antagonist")


@dataclass(frozen=True)
class Target:
    """One pathway a compound acts on.

    Attributes:
        pathway: One of :data:`PATHWAYS`.
        mode: One of :data:`MODES`.
        potency_nm: EC50 (agonists) or IC50/K (inhibitors, antagonists) in nM.
        efficacy: Maximal pathway input relative to a full agonist (agonists only).
        source: Where the potency comes from (and whether it is an assumption).
    """

    pathway: str
    mode: str
    potency_nm: float
    efficacy: float
    source: str


@dataclass(frozen=True)
class Compound:
    """One compound of the registry.

    Attributes:
        name: Canonical name (e.g. ``"SB431542"``).
        aliases: Other names accepted case-insensitively (salt forms included, see ``salts``).
        unit: The unit the compound is usually dosed in (``"uM"`` or ``"ng/ml"``).
        molar_mass: Molar mass in g/mol (of the active protein species for proteins).
        pathway: The pathway it acts on, one of :data:`PATHWAYS`.
        mode: One of :data:`MODES`.
        potency_nm: EC50 (agonists) or IC50/K (inhibitors, antagonists) in nM.
        efficacy: Maximal pathway input relative to a full agonist (agonists only).
        half_life_h: Half-life in culture medium at 37 °C, hours.
        description: What it does, in words.
        potency_source: Where the potency comes from (and whether it is an assumption).
        half_life_source: Where the half-life comes from (and whether it is an assumption).
        molar_mass_source: Where the molar mass comes from.
        aggregate_decay_length_um: Decay length (um) of the compound inside a packed cell aggregate,
            from uptake and binding by the cells (``inf``: not taken up; reaches the core at the bulk
            concentration). Used by the agent-based engine's fields.
        aggregate_decay_length_source: Where that length comes from (or why it was assumed).
        salts: ``(alias, molar mass)`` of salt forms among the aliases (written ``alias@mass`` in the
            table): a dose of the salt by mass holds less of the compound than its own mass says.
    """

    name: str
    aliases: tuple[str, ...]
    unit: str
    molar_mass: float
    pathway: str
    mode: str
    potency_nm: float
    efficacy: float
    half_life_h: float
    description: str
    potency_source: str
    half_life_source: str
    molar_mass_source: str
    aggregate_decay_length_um: float = math.inf
    aggregate_decay_length_source: str = ""
    secondary: tuple[Target, ...] = ()
    salts: tuple[tuple[str, float], ...] = ()

    def salt_mass(self, name: str) -> float | None:
        """The molar mass (g/mol per compound) of the salt form the alias ``name`` names, or None."""
        return next((m for a, m in self.salts if _key(a) == _key(name)), None)

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every pathway the compound acts on: its main target, then ``targets.csv``'s."""
        main = Target(self.pathway, self.mode, self.potency_nm, self.efficacy, self.potency_source)
        return (main, *self.secondary)

    @property
    def decay_rate(self) -> float:
        """First-order decay rate in medium, 1/day (0 for a compound with infinite half-life)."""
        if not math.isfinite(self.half_life_h):
            return 0.0
        return math.log(2.0) / (self.half_life_h / 24.0)


_FLOATS = ("molar_mass", "potency_nm", "efficacy", "half_life_h")


def _parse_row(row: dict[str, str], lineno: int) -> Compound:
    try:
        values = {k: float(row[k]) for k in _FLOATS}
    except ValueError as exc:  # pragma: no cover - guards the shipped table
        raise ProtocolError(f"compounds.csv line {lineno}: {exc}") from exc
    if row["pathway"] not in PATHWAYS or row["mode"] not in MODES:  # pragma: no cover
        raise ProtocolError(f"compounds.csv line {lineno}: bad pathway/mode {row['pathway']!r}")
    names = [a.strip().partition("@") for a in row["aliases"].split(";") if a.strip()]
    aliases = tuple(a.strip() for a, _, _ in names)
    salts = tuple((a.strip(), float(m)) for a, _, m in names if m)
    return Compound(
        name=row["name"],
        aliases=aliases,
        salts=salts,
        unit=row["unit"],
        pathway=row["pathway"],
        mode=row["mode"],
        description=row["description"],
        potency_source=row["potency_source"],
        half_life_source=row["half_life_source"],
        molar_mass_source=row["molar_mass_source"],
        aggregate_decay_length_um=float(row["aggregate_decay_length_um"] or "inf"),
        aggregate_decay_length_source=row["aggregate_decay_length_source"],
        **values,
    )


class Registry:
    """The set of known compounds, with case-insensitive lookup by name or alias.

    The order of :attr:`names` is the column order of the concentration arrays the engines receive.
    """

    def __init__(self, compounds: list[Compound]):
        self.compounds: tuple[Compound, ...] = tuple(compounds)
        self.names: tuple[str, ...] = tuple(c.name for c in compounds)
        self._index = {c.name: i for i, c in enumerate(compounds)}
        self._by_key: dict[str, Compound] = {}
        for c in compounds:
            for key in (c.name, *c.aliases):
                self._by_key[_key(key)] = c

    def __len__(self) -> int:
        return len(self.compounds)

    def __iter__(self):
        return iter(self.compounds)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._by_key

    def get(self, name: str, where: str = "compound") -> Compound:
        """Return the compound called ``name`` (canonical name or alias, any case).

        Raises:
            ProtocolError: for an unknown name, suggesting the nearest known names.
        """
        if not isinstance(name, str):
            raise ProtocolError(f"{where}: {name!r} is not a compound name; write e.g. 'SAG'")
        found = self._by_key.get(_key(name))
        if found is None:
            keys = [*self.names, *(a for c in self.compounds for a in c.aliases)]
            raise ProtocolError(
                f"{where}: unknown compound {name!r}{suggest(name, keys)} "
                f"(known: {', '.join(self.names)}; see ipscsim.protocols.compounds())"
            )
        return found

    def index(self, name: str) -> int:
        """Column index of a compound in the engines' concentration arrays."""
        return self._index[self.get(name).name]


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ipscsim.protocols").joinpath(f"data/{name}").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines))


def _secondary() -> dict[str, list[Target]]:
    out: dict[str, list[Target]] = {}
    for i, r in enumerate(_rows("targets.csv")):
        if r["pathway"] not in PATHWAYS or r["mode"] not in MODES:  # pragma: no cover
            raise ProtocolError(f"targets.csv line {i + 2}: bad pathway/mode {r['pathway']!r}")
        target = Target(
            r["pathway"], r["mode"], float(r["potency_nm"]), float(r["efficacy"]), r["source"]
        )
        out.setdefault(r["compound"], []).append(target)
    return out


@lru_cache(maxsize=1)
def registry() -> Registry:
    """Load the shipped compound registry and the compounds' further targets (cached)."""
    from dataclasses import replace

    compounds = [_parse_row(row, i + 2) for i, row in enumerate(_rows("compounds.csv"))]
    more = _secondary()
    unknown = set(more) - {c.name for c in compounds}
    if unknown:  # pragma: no cover - guards the shipped tables
        raise ProtocolError(f"targets.csv names unknown compounds {sorted(unknown)}")
    return Registry([replace(c, secondary=tuple(more.get(c.name, ()))) for c in compounds])


def lookup(name: str) -> Compound:
    """Return the registry entry for ``name`` (canonical name or alias, any case)."""
    return registry().get(name)
