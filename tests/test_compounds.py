import math

import pytest

import ipscsim as ips
from ipscsim import ProtocolError
from ipscsim.protocols.compounds import MODES, PATHWAYS, registry
from ipscsim.units import canonical_unit, to_nanomolar

#: Every compound MODEL.md section 1 requires, with the pathway and mode its biology implies.
REQUIRED = {
    "SB431542": ("TGFB", "inhibitor"),
    "LDN193189": ("BMP", "inhibitor"),
    "DMH1": ("BMP", "inhibitor"),
    "Noggin": ("BMP", "antagonist"),
    "dorsomorphin": ("BMP", "inhibitor"),
    "CHIR99021": ("GSK3", "agonist"),
    "XAV939": ("WNT", "inhibitor"),
    "RA": ("RA", "agonist"),
    "SAG": ("SMO", "agonist"),
    "purmorphamine": ("SMO", "agonist"),
    "SHH": ("SHH", "agonist"),
    "cyclopamine": ("SMO", "inhibitor"),
    "DAPT": ("NOTCH", "inhibitor"),
    "compound_E": ("NOTCH", "inhibitor"),
    "SU5402": ("FGF", "inhibitor"),
    "FGF2": ("FGF", "agonist"),
    "TGFB1": ("TGFB", "agonist"),
    "Y27632": ("ROCK", "inhibitor"),
    "BDNF": ("TRKB", "agonist"),
    "GDNF": ("RET", "agonist"),
    "CNTF": ("GP130", "agonist"),
    "IGF1": ("IGF1R", "agonist"),
    "dox": ("TRANSGENE", "agonist"),
}


def test_registry_holds_every_required_compound_with_its_biology():
    reg = registry()
    assert set(REQUIRED) <= set(reg.names)
    for name, (pathway, mode) in REQUIRED.items():
        c = reg.get(name)
        assert (c.pathway, c.mode) == (pathway, mode), name


@pytest.mark.parametrize("compound", registry().compounds, ids=lambda c: c.name)
def test_every_entry_is_complete_and_sourced(compound):
    assert compound.pathway in PATHWAYS
    assert compound.mode in MODES
    assert canonical_unit(compound.unit) == compound.unit
    assert compound.molar_mass > 0
    assert compound.potency_nm > 0
    assert 0 < compound.efficacy <= 1
    assert compound.half_life_h > 0
    for text in (compound.potency_source, compound.half_life_source, compound.molar_mass_source):
        assert len(text) > 15
    assert math.isclose(compound.decay_rate, math.log(2) * 24 / compound.half_life_h)


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("sb-431542", "SB431542"),
        ("CHIR", "CHIR99021"),
        ("retinoic acid", "RA"),
        ("Compound E", "compound_E"),
        ("y-27632", "Y27632"),
        ("bFGF", "FGF2"),
        ("doxycycline", "dox"),
        ("smoothened agonist", "SAG"),
    ],
)
def test_aliases_are_case_insensitive(alias, name):
    assert ips.protocols.lookup(alias).name == name


def test_a_salt_dosed_by_mass_counts_only_the_compound_it_holds():
    """2 ug/ml of doxycycline hyclate (512.94 g/mol per doxycycline) is 2 x 444.44 / 512.94 ug/ml of
    doxycycline: the same nanomolar as that free-base dose, and a warning says so. A molar dose of a
    salt needs no conversion (one mole of salt holds one mole of the compound)."""
    p = ips.protocols.get("maury2015")
    with pytest.warns(UserWarning, match="salt form"):
        salt = p.with_step("doxycycline hyclate", 2, "ug/ml", start=0, end=2)
    base = p.with_step("dox", 2 * 444.44 / 512.94, "ug/ml", start=0, end=2)
    nm = [
        to_nanomolar(s.concentration, s.unit, 444.44)
        for q in (salt, base)
        for s in q.steps
        if s.compound == "dox"
    ]
    assert nm[0] == pytest.approx(nm[1], rel=1e-12)
    assert nm[0] == pytest.approx(2e-3 / 512.94 * 1e9, rel=1e-12)
    molar = p.with_step("sodium valproate", 1, "mM", start=0, end=2)
    assert [s.concentration for s in molar.steps if s.compound == "valproic_acid"] == [1.0]


def test_a_different_molecule_is_not_an_alias():
    # KAAD-cyclopamine is about 15x more potent than cyclopamine: naming it must not dose cyclopamine
    with pytest.raises(ProtocolError, match="did you mean 'cyclopamine'"):
        ips.protocols.lookup("KAAD-cyclopamine")


def test_unknown_compound_suggests_the_nearest():
    with pytest.raises(ProtocolError, match="did you mean 'SAG'"):
        ips.protocols.lookup("SGA")


def test_registry_table_lists_every_compound():
    df = ips.protocols.compounds()
    assert list(df.index) == list(registry().names)
    assert {"unit", "potency_nM", "half_life_h", "potency_source"} <= set(df.columns)


def test_every_pathway_and_mode_in_the_registry_reaches_the_equations():
    """A compound acts only through the input its mode sets: an agonist adds to ``A_q``, an inhibitor
    scales ``F_q``, an antagonist divides by ``Z_q``. Each (pathway, mode) pair the registry uses,
    main targets and secondary ones alike, must be read by the model's equations, or the compound
    would silently do nothing (e.g. an inhibitor on GSK3, whose ``F_GSK3`` no equation reads)."""
    import re

    from ipscsim.model.network import network

    net = network()
    blocks = (net.medium, net.emit, net.shared, net.cell)
    read = {n for b in blocks for e in b for n in re.findall(r"\b[AFZ]_[A-Z0-9]+\b", e.text)}
    prefix = {"agonist": "A", "inhibitor": "F", "antagonist": "Z"}
    used = {(t.pathway, t.mode) for c in registry() for t in c.targets}
    missing = sorted(f"{prefix[m]}_{p}" for p, m in used if f"{prefix[m]}_{p}" not in read)
    assert not missing, missing
    assert ("GSK3", "agonist") in used
    assert ("WNT", "inhibitor") in used
