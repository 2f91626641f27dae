import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipscsim import ProtocolError
from ipscsim.units import CANONICAL_UNITS, canonical_unit, from_nanomolar, to_nanomolar


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("uM", "uM"),
        ("µM", "uM"),
        ("μM", "uM"),
        ("micromolar", "uM"),
        ("nM", "nM"),
        ("pM", "pM"),
        ("mM", "mM"),
        ("ng/ml", "ng/ml"),
        ("ng/mL", "ng/ml"),
        ("ng ml-1", "ng/ml"),
        ("µg/ml", "ug/ml"),
        ("pg/mL", "pg/ml"),
        ("mg/L", "ug/ml"),
        ("nmol/l", "nM"),
    ],
)
def test_unit_spellings_are_canonicalised(spelling, canonical):
    assert canonical_unit(spelling) == canonical


def test_molar_conversions_are_powers_of_ten():
    assert to_nanomolar(10, "uM", 384.4) == 10_000.0
    assert to_nanomolar(1, "mM", 1.0) == 1e6
    assert to_nanomolar(250, "pM", 1.0) == 0.25


def test_mass_conversion_uses_molar_mass():
    # 500 ng/ml of a 46 kDa Noggin dimer = 500e-6 g/l / 46000 g/mol = 10.87 nM
    assert to_nanomolar(500, "ng/ml", 46000.0) == pytest.approx(10.869565, rel=1e-6)
    # 1 ug/ml of doxycycline (444.44 g/mol) = 2.25 uM
    assert to_nanomolar(1, "ug/ml", 444.44) == pytest.approx(2250.0, rel=1e-4)


@given(value=st.floats(1e-6, 1e6), unit=st.sampled_from(CANONICAL_UNITS), mw=st.floats(100, 1e5))
def test_conversion_round_trips(value, unit, mw):
    assert math.isclose(
        from_nanomolar(to_nanomolar(value, unit, mw), unit, mw), value, rel_tol=1e-12
    )


@pytest.mark.parametrize(
    ("bad", "words"),
    [("ng", "a mass"), ("%", "a percentage"), ("h", "a time"), ("cells/ml", "a cell density")],
)
def test_wrong_dimension_is_named(bad, words):
    with pytest.raises(ProtocolError, match=words):
        canonical_unit(bad, "step 1 (RA): unit")


def test_unknown_unit_suggests_the_nearest():
    with pytest.raises(ProtocolError, match="did you mean 'ng/ml'") as err:
        canonical_unit("ng/mll", "step 2 (SAG): unit")
    assert "step 2 (SAG): unit" in str(err.value)
