"""TOML reading with errors that name the file and line."""

from __future__ import annotations

import sys
from typing import Any

from .errors import ProtocolError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["loads_toml"]


def loads_toml(text: str, origin: str = "<string>") -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a :class:`ProtocolError` naming ``origin``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(
            f"malformed TOML in {origin}: {exc}; check quotes, '=' signs and [[steps]] headers"
        ) from None
