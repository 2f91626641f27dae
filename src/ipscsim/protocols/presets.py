"""Published protocols shipped as TOML files (``protocols/presets/<name>.toml``)."""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

from .._toml import loads_toml
from ..errors import ProtocolError, suggest
from .protocol import Protocol

__all__ = ["get", "names", "preset_text"]


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """Names of the preset protocols, sorted."""
    folder = resources.files("ipscsim.protocols").joinpath("presets")
    return tuple(sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".toml")))


def preset_text(name: str) -> str:
    """The TOML text of a preset (what ``get(name).to_toml()`` was read from)."""
    if name not in names():
        raise ProtocolError(
            f"unknown protocol preset {name!r}{suggest(name, names())}; presets: {', '.join(names())}"
        )
    return resources.files("ipscsim.protocols").joinpath(f"presets/{name}.toml").read_text("utf-8")


@cache
def get(name: str) -> Protocol:
    """Return a preset protocol by name (see :func:`names`).

    Raises:
        ProtocolError: for an unknown name, suggesting the nearest presets.
    """
    if not isinstance(name, str):
        raise ProtocolError(f"preset name {name!r} must be text, one of {', '.join(names())}")
    key = name.strip().lower()
    return Protocol.from_dict(loads_toml(preset_text(key), f"preset {key}.toml"))
