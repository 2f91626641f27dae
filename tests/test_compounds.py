import math

import pytest

import ipscsim as ips
from ipscsim import ProtocolError
from ipscsim.protocols.compounds import MODES, PATHWAYS, registry
from ipscsim.units import canonical_unit

#: Every compound MODEL.md section 1 requires, with the pathway and mode its biology implies.
REQUIRED = {
    "SB431542": ("TGFB", "inhibitor"),
    "LDN193189": ("BMP", "inhibitor"),
    "DMH1": ("BMP", "inhibitor"),
    "Noggin": ("BMP", "antagonist"),
    "dorsomorphin": ("BMP", "inhibitor"),
    "CHIR99021": ("WNT", "agonist"),
    "RA": ("RA", "agonist"),
    "SAG": ("SHH", "agonist"),
    "purmorphamine": ("SHH", "agonist"),
    "SHH": ("SHH", "agonist"),
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


def test_unknown_compound_suggests_the_nearest():
    with pytest.raises(ProtocolError, match="did you mean 'SAG'"):
        ips.protocols.lookup("SGA")


def test_registry_table_lists_every_compound():
    df = ips.protocols.compounds()
    assert list(df.index) == list(registry().names)
    assert {"unit", "potency_nM", "half_life_h", "potency_source"} <= set(df.columns)
