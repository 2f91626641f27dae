"""Example files shipped with ipscsim, for the README's tour and as templates to copy.

* ``lab_readouts.csv``: a lab's readouts in the format :func:`ipscsim.calibrate` reads (illustrative
  values, not a measurement);
* ``protocol_template.toml``: a protocol file with every field commented, to copy and edit;
* ``sweep.toml``: a sweep spec for ``ipscsim sweep``.

Examples:
    >>> import ipscsim as ips
    >>> ips.examples.path("protocol_template.toml").name
    'protocol_template.toml'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import ParameterError, suggest

__all__ = ["names", "path"]


def names() -> list[str]:
    """The example files."""
    folder = resources.files("ipscsim.examples")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".csv", ".toml")))


def path(name: str) -> Path:
    """The path of an example file (inside the installed package: copy it before editing).

    Raises:
        ParameterError: for a name that is not an example file.
    """
    if not isinstance(name, str) or name not in names():
        raise ParameterError(
            f"example {name!r} is not shipped{suggest(str(name), names())}; examples: "
            f"{', '.join(names())}"
        )
    return Path(str(resources.files("ipscsim.examples").joinpath(name)))
