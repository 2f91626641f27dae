"""The sweep store: a Parquet dataset (a directory of part files) that a sweep appends to and resumes.

Layout of ``store/``:

* ``_sweep.json``: the sweep's specification, its hash and provenance (ipscsim version, time, machine);
* ``part-<chunk>-<token>.parquet``: one file per finished chunk, a row per run. Each file's schema
  metadata repeats the specification hash. A file is written under a temporary name, flushed to disk
  (``fsync``), renamed, and the directory entry flushed too, so after a crash or power loss a part is
  either complete or absent;
* ``_quarantine/``: part files that could not be read (truncated, not Parquet), set aside by name.

Every read checks every part's sweep identity: a part written by another sweep (copied in by hand, or a
store directory reused) is refused, naming the file, never merged. A store holding part files but no
``_sweep.json`` is refused too: its parts cannot be checked. A damaged part is moved to ``_quarantine/``
with a warning, so the rerun redoes its runs.

Running the same sweep against the same store skips the runs already there: an interrupted sweep (Ctrl-C,
a killed worker, a killed process) loses at most the chunks that were running, and no finished run is run
again. Runs whose chunk was lost with its worker (status ``"lost"``) are not final: the next run of the
sweep runs them again, and its rows replace them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from ..errors import StoreError, warn

__all__ = ["LOST", "SweepStore", "spec_hash"]

SPEC_FILE = "_sweep.json"
QUARANTINE = "_quarantine"
HASH_KEY = b"ipscsim.sweep_hash"
#: Status of a run whose chunk was lost with its worker: not a result, run again on the next call.
LOST = "lost"

log = logging.getLogger("ipscsim.sweep")


def spec_hash(spec: dict[str, Any]) -> str:
    """A stable hash of a sweep specification."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _finished_first(table) -> tuple[bool, int]:
    """Rank a part for its column order: one holding a finished run first, then the widest."""
    status = table.column("status").to_pylist() if "status" in table.column_names else []
    return "ok" in status, table.num_columns


class SweepStore:
    """A directory of Parquet part files holding a sweep's rows.

    Args:
        path: The directory (created if needed).
        spec: The sweep's specification (plain data).

    Raises:
        StoreError: if the directory holds a different sweep, or part files without the sweep's
            specification file.
    """

    def __init__(self, path: str | Path, spec: dict[str, Any]):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(
                f"store: {str(self.path)!r} is a file, not a directory; give a directory for the "
                "sweep's part files"
            )
        self.spec = spec
        self.hash = spec_hash(spec)
        meta_file = self.path / SPEC_FILE
        if meta_file.exists():
            self.meta = self._read_meta(meta_file)
        else:
            if self.parts():
                raise StoreError(
                    f"store {str(self.path)!r} holds part files but no {SPEC_FILE}, so they cannot be "
                    f"checked against this sweep; restore {SPEC_FILE} from a backup, or use an empty "
                    "directory"
                )
            self.path.mkdir(parents=True, exist_ok=True)
            self.meta = _new_meta(self.hash, spec)
            _durable_write(meta_file, json.dumps(self.meta, indent=2, default=str).encode())

    def _read_meta(self, meta_file: Path) -> dict[str, Any]:
        try:
            stored = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise StoreError(
                f"store {str(self.path)!r}: {SPEC_FILE} cannot be read ({exc}); restore it from a "
                "backup, or use another store directory"
            ) from None
        if not isinstance(stored, dict) or stored.get("hash") != self.hash:
            other = stored.get("hash") if isinstance(stored, dict) else None
            raise StoreError(
                f"store {str(self.path)!r} holds a different sweep (hash {other}, this one "
                f"{self.hash}); use another store directory, or rerun the sweep that wrote it"
            )
        return stored

    def parts(self) -> list[Path]:
        """The finished part files."""
        return sorted(self.path.glob("part-*.parquet"))

    def _tables(self, columns: list[str] | None = None) -> list[Any]:
        """Every readable part's table, identity checked; damaged parts are quarantined."""
        import pyarrow.parquet as pq

        tables = []
        for part in self.parts():
            try:
                stored = pq.read_schema(part).metadata or {}
                table = pq.read_table(part, columns=columns)
            except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError; truncated: OSError
                self._quarantine(part, exc)
                continue
            found = stored.get(HASH_KEY, b"").decode(errors="replace")
            if found != self.hash:
                raise StoreError(
                    f"store {str(self.path)!r}: part file {part.name!r} belongs to another sweep "
                    f"(hash {found or 'missing'}, this sweep {self.hash}); move it to that sweep's "
                    "store (or delete it) and run again"
                )
            tables.append(table)
        return tables

    def _quarantine(self, part: Path, exc: Exception) -> None:
        target = self.path / QUARANTINE
        target.mkdir(exist_ok=True)
        shutil.move(str(part), target / part.name)
        _fsync_dir(self.path)
        warn(
            f"store {str(self.path)!r}: part file {part.name!r} is damaged ({exc}); moved to "
            f"{QUARANTINE}/, and its runs will be run again",
            RuntimeWarning,
        )

    def read(self):
        """All stored rows as a DataFrame indexed by ``run_id``.

        A run stored twice keeps its first finished copy; a lost copy is kept only if no other exists.
        """
        import pandas as pd

        tables = self._tables()
        if not tables:
            return pd.DataFrame(columns=["run_id"]).set_index("run_id")
        df = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
        # columns in a finished run's order, whichever part came first (parts written before every
        # row shared one layout put a lost or invalid run's status and message before its readouts)
        order = max(tables, key=_finished_first).column_names
        df = df[[*order, *(c for c in df.columns if c not in order)]]
        if "status" in df:
            df = df.assign(_lost=df["status"].eq(LOST)).sort_values(["_lost"], kind="stable")
            df = df.drop(columns="_lost")
        df = df.drop_duplicates("run_id", keep="first").set_index("run_id").sort_index()
        return df

    def done(self) -> set[int]:
        """Run ids already stored with a result (lost runs are not done)."""
        ids: set[int] = set()
        for table in self._tables(columns=["run_id", "status"]):
            for run_id, status in zip(
                table.column("run_id").to_pylist(), table.column("status").to_pylist(), strict=True
            ):
                if status != LOST:
                    ids.add(int(run_id))
        return ids

    def write(self, rows: list[dict[str, Any]], chunk: int) -> Path:
        """Write one chunk's rows as a new part file (durably and atomically)."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
        md = dict(table.schema.metadata or {})
        md[HASH_KEY] = self.hash.encode()
        table = table.replace_schema_metadata(md)
        final = self.path / f"part-{chunk:06d}-{uuid.uuid4().hex[:8]}.parquet"
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        _durable_write(final, sink.getvalue().to_pybytes())
        log.debug("wrote %s (%d runs)", final.name, len(rows))
        return final


def _new_meta(digest: str, spec: dict[str, Any]) -> dict[str, Any]:
    from .._version import __version__

    return {
        "hash": digest,
        "spec": spec,
        "ipscsim_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "platform": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "node": platform.node(),
        },
    }


def _durable_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: a temporary file, flushed and fsynced, renamed, the directory fsynced."""
    tmp = path.with_name(path.name + f".{uuid.uuid4().hex[:6]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk (where the platform allows opening directories)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
