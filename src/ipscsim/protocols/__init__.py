"""Protocols: the compound registry, the :class:`Protocol` object and the published presets.

>>> import ipscsim as ips
>>> ips.protocols.names()[:3]
('amoroso2013', 'chambers2009', 'chen2011_e8')
>>> p = ips.protocols.get("maury2015")
"""

from __future__ import annotations

from .compounds import MODES, PATHWAYS, Compound, Registry, lookup, registry
from .delivery import CASSETTE_VECTORS, delivery_groups
from .presets import get, names, preset_text
from .protocol import FORMATS, Protocol
from .steps import OPERATION_KINDS, Operation, Step

__all__ = [
    "CASSETTE_VECTORS",
    "FORMATS",
    "MODES",
    "OPERATION_KINDS",
    "PATHWAYS",
    "Compound",
    "Operation",
    "Protocol",
    "Registry",
    "Step",
    "compounds",
    "delivery_groups",
    "get",
    "lookup",
    "names",
    "preset_text",
    "registry",
]


def compounds():
    """The compound registry as a DataFrame (one row per compound, with units and sources)."""
    import pandas as pd

    rows = []
    for c in registry():
        rows.append(
            {
                "name": c.name,
                "aliases": "; ".join(c.aliases),
                "unit": c.unit,
                "molar_mass_g_per_mol": c.molar_mass,
                "pathway": c.pathway,
                "mode": c.mode,
                "potency_nM": c.potency_nm,
                "efficacy": c.efficacy,
                "half_life_h": c.half_life_h,
                "description": c.description,
                "potency_source": c.potency_source,
                "half_life_source": c.half_life_source,
            }
        )
    return pd.DataFrame(rows).set_index("name")
