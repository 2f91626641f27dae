"""Published protocols shipped as TOML files (``protocols/presets/<name>.toml``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .._toml import loads_toml, read_text_file
from ..errors import ProtocolError, suggest
from .protocol import Protocol

__all__ = ["EVIDENCE_TAGS", "as_protocol", "evidence", "get", "names", "preset_text"]

#: How a preset step or operation was sourced, by the tag its note starts with (presets/README.md):
#: read in the paper (``[V-txt]``, ``[V-abs]``, a note starting "Methods:"), taken from a later paper
#: that follows the protocol (``[SEC]``), recalled (``[RECALL]``), inferred (``[INF]``) or
#: approximated (``[APPROX]``).
EVIDENCE_TAGS: tuple[str, ...] = (
    "verified",
    "secondary",
    "recalled",
    "inferred",
    "approximate",
    "untagged",
)


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


def _tag(note: str) -> str:
    text = note.strip()
    if text.startswith(("Methods:", "[V")):
        return "verified"
    for tag, kind in (("[SEC", "secondary"), ("[RECALL", "recalled"), ("[INF", "inferred"),
                      ("[APPROX", "approximate")):  # fmt: skip
        if tag in text:
            return kind
    return "untagged"


def evidence(protocol: Protocol) -> dict[str, int]:
    """How many of a protocol's steps and operations each kind of source backs (:data:`EVIDENCE_TAGS`).

    A note's first tag decides (a note "[RECALL; SEC]" counts as recalled).
    """
    counts = dict.fromkeys(EVIDENCE_TAGS, 0)
    for item in (*protocol.steps, *protocol.operations):
        counts[_tag(item.note)] += 1
    return counts


#: Suffixes of files that are certainly not protocol files (TOML or JSON), named as such.
_NOT_PROTOCOL_FILES = frozenset({".csv", ".tsv", ".xlsx", ".xls", ".yaml", ".yml", ".txt", ".docx"})


def as_protocol(protocol: Any) -> Protocol:
    """Accept a Protocol, a preset name, a path to a TOML/JSON file, or a dict of the file's shape.

    Raises:
        ProtocolError: for a name that is neither a preset nor a file (suggesting the nearest
            presets), or an object of another type.
    """
    if isinstance(protocol, Protocol):
        return protocol
    if isinstance(protocol, Mapping):
        return Protocol.from_dict(protocol)
    if isinstance(protocol, (str, Path)):
        s = str(protocol)
        if s.strip().lower() in names():
            return get(s)
        path = Path(s)
        suffix = path.suffix.lower()
        if suffix == ".json" and path.is_file():
            return Protocol.from_json(read_text_file(path, "protocol file"))
        if suffix in _NOT_PROTOCOL_FILES and path.is_file():
            raise ProtocolError(
                f"protocol file {s!r}: a {suffix} file; protocol files are TOML (.toml) or JSON "
                "(.json), one key per field and one [[steps]] table per step: write one with "
                "Protocol.to_toml(path) from a preset, e.g. ips.protocols.get('maury2015')"
            )
        if path.suffix.lower() == ".toml" or path.is_file():
            return Protocol.from_toml(path)
        raise ProtocolError(
            f"protocol {s!r} is not a preset or a file{suggest(s, names())} (presets: "
            f"{', '.join(names())})"
        )
    raise ProtocolError(
        f"protocol: expected a Protocol, a preset name or a file path, not {type(protocol).__name__}"
    )
