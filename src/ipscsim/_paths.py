"""The one check of a path a writer is about to write (results, fits, exports, the command line)."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ParameterError


def output_path(path: object, field: str, suffixes: tuple[str, ...], example: str) -> Path:
    """``path`` as a Path a writer can write, or a ParameterError naming the field and the fix.

    Args:
        path: What the user gave.
        field: The argument or option, for the message (``"path"``, ``"--out"``).
        suffixes: The file endings the writer's format takes (lower case, with the dot).
        example: A file name to show (``"maury2015.csv"``).

    Raises:
        ParameterError: for something that is not a path, another format's ending, a folder, or a
            folder that is missing or is a file. Checked before any work, so no result is lost to it.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ParameterError(f"{field}: {path!r} must be a file path, e.g. {example!r}")
    p = Path(path)
    endings = {p.suffix.lower(), "".join(p.suffixes[-2:]).lower()}  # run.csv.gz: .gz and .csv.gz
    if not endings & set(suffixes):
        raise ParameterError(
            f"{field}: {str(path)!r} must end in {' or '.join(suffixes)} (the format written), "
            f"e.g. {example!r}"
        )
    if p.is_dir():
        raise ParameterError(
            f"{field}: {str(path)!r} is a folder; give a file inside it, e.g. {str(p / example)!r}"
        )
    parent = p.parent
    if not parent.exists():
        raise ParameterError(
            f"{field}: {str(path)!r}: the folder {str(parent)!r} does not exist; create it first"
        )
    if not parent.is_dir():
        raise ParameterError(f"{field}: {str(path)!r}: {str(parent)!r} is a file, not a folder")
    return p
