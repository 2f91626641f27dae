"""Keep numba's on-disk cache of the engines consistent with their sources.

numba invalidates a cached function when *its own* file changes, but not when a jitted function it calls
lives in another file that changed: the caller's cached machine code keeps the old callee inlined. The
engines call across files (integrators and the agent-based step call the model kernel), so after an
edit or an upgrade a stale cache could silently run old code. :func:`refresh_cache` hashes every engine
source, the agent-based engine's included (and the model layout, whose constants are compiled in), and
clears a package's cache files when the hash changes; each engine package calls it on import.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

__all__ = ["compile_notice", "is_cold", "refresh_cache", "source_hash"]

log = logging.getLogger("ipscsim")
_NOTIFIED: set[str] = set()

_MARKER = "ipscsim-engines.sha256"


def source_hash() -> str:
    """SHA-256 of the engine sources and the model layout."""
    here = Path(__file__).parent
    files = [*sorted(here.glob("*.py")), *sorted(here.glob("abm/*.py"))]
    files.append(here.parent / "model" / "layout.py")
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def refresh_cache(dispatcher) -> None:
    """Clear stale numba cache files of one engine package (found through one cached ``dispatcher``)."""
    modules = {p.stem for p in Path(dispatcher.py_func.__code__.co_filename).parent.glob("*.py")}
    cache = getattr(dispatcher, "_cache", None)
    path = getattr(cache, "_cache_path", None)
    if not path:
        return
    folder = Path(path)
    marker = folder / _MARKER
    digest = source_hash()
    try:
        if marker.is_file() and marker.read_text() == digest:
            return
        for f in folder.iterdir():
            if f.suffix in (".nbi", ".nbc") and f.name.split(".")[0] in modules:
                f.unlink(missing_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(digest)
    except OSError:  # read-only install: numba then compiles in memory when it cannot load
        return


def is_cold(dispatcher) -> bool:
    """Whether calling ``dispatcher`` will compile: not compiled in this process, nothing on disk."""
    if dispatcher.signatures:
        return False
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    index = getattr(cache_file, "_index_path", None)
    return not (index and Path(index).is_file())


def compile_notice(dispatcher, what: str, seconds: float) -> None:
    """Say once, before a cold compilation, that the first call waits for the compiler.

    The notice is a ``logging`` warning of the ``"ipscsim"`` logger: printed to stderr when logging is
    not configured, silenced like any other (``logging.getLogger("ipscsim").setLevel(...)``).

    Args:
        dispatcher: The kernel about to be called.
        what: What is compiled, for the message.
        seconds: About how long it takes on a two-core machine (measured, cold cache).
    """
    if what in _NOTIFIED or not is_cold(dispatcher):
        return
    _NOTIFIED.add(what)
    log.warning(
        "ipscsim: compiling the %s (once per installation, about %d s on two cores; later runs "
        "load it from the cache)",
        what,
        seconds,
    )
