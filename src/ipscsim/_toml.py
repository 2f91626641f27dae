"""TOML reading with errors that name the file and line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import IpscsimError, ProtocolError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["loads_toml", "read_text_file", "read_toml_file"]


def read_text_file(
    path: Path, what: str, error: type[IpscsimError] = ProtocolError, save_as: str = "UTF-8"
) -> str:
    """The text of a UTF-8 file (a byte-order mark allowed); missing or non-UTF-8 raises ``error``.

    Args:
        path: The file.
        what: What the file is, for the message (``"protocol file"``, ``"sweep spec"``).
        error: The library error to raise.
        save_as: The format to save it in, for the message (Excel's name of it for a CSV).
    """
    if not path.is_file():
        raise error(f"{what} {str(path)!r} does not exist")
    try:  # utf-8-sig: Excel's exports start with a byte-order mark
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start}); save it as {save_as}"
        ) from None


def read_toml_file(
    path: Path, what: str, error: type[IpscsimError] = ProtocolError
) -> dict[str, Any]:
    """Read and parse a UTF-8 TOML file; a missing, non-UTF-8 or malformed file raises ``error``."""
    text = read_text_file(path, what, error)
    try:
        return loads_toml(text, str(path))
    except ProtocolError as exc:
        raise error(str(exc)) from None


def loads_toml(text: str, origin: str = "<string>") -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a :class:`ProtocolError` naming ``origin``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(
            f"malformed TOML in {origin}: {exc}; check quotes, '=' signs and [[steps]] headers"
        ) from None
