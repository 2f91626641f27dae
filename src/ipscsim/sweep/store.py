"""The sweep store: a Parquet dataset (a directory of part files) that a sweep appends to and resumes.

Layout of ``store/``:

* ``_sweep.json``: the sweep's specification, its hash and provenance (ipscsim version, time, machine);
* ``part-<chunk>-<token>.parquet``: one file per finished chunk, a row per run, written to a temporary
  name and renamed, so a file is either complete or absent. Each file's schema metadata repeats the
  specification hash.

Running the same sweep against the same store skips the runs already there: an interrupted sweep (Ctrl-C,
a killed worker, a killed process) loses at most the chunks that were running, and no finished run is run
again. A store written by a different sweep is refused with its hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["SweepStore", "spec_hash"]

SPEC_FILE = "_sweep.json"


def spec_hash(spec: dict[str, Any]) -> str:
    """A stable hash of a sweep specification."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


class SweepStore:
    """A directory of Parquet part files holding a sweep's rows.

    Args:
        path: The directory (created if needed).
        spec: The sweep's specification (plain data).

    Raises:
        ValueError: if the directory holds a different sweep.
    """

    def __init__(self, path: str | Path, spec: dict[str, Any]):
        from .._version import __version__

        self.path = Path(path)
        self.spec = spec
        self.hash = spec_hash(spec)
        meta_file = self.path / SPEC_FILE
        if meta_file.exists():
            stored = json.loads(meta_file.read_text(encoding="utf-8"))
            if stored.get("hash") != self.hash:
                raise ValueError(
                    f"store {str(self.path)!r} holds a different sweep (hash {stored.get('hash')}, "
                    f"this one {self.hash}); use another store directory, or rerun the sweep that "
                    "wrote it"
                )
            self.meta = stored
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self.meta = {
                "hash": self.hash,
                "spec": spec,
                "ipscsim_version": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "platform": {
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "node": platform.node(),
                },
            }
            _atomic_write_text(meta_file, json.dumps(self.meta, indent=2, default=str))

    def parts(self) -> list[Path]:
        """The finished part files."""
        return sorted(self.path.glob("part-*.parquet"))

    def read(self):
        """All stored rows as a DataFrame indexed by ``run_id`` (first copy kept if one is duplicated)."""
        import pandas as pd
        import pyarrow.parquet as pq

        parts = self.parts()
        if not parts:
            return pd.DataFrame(columns=["run_id"]).set_index("run_id")
        df = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
        df = df.drop_duplicates("run_id", keep="first").set_index("run_id").sort_index()
        return df

    def done(self) -> set[int]:
        """Run ids already stored."""
        import pyarrow.parquet as pq

        ids: set[int] = set()
        for p in self.parts():
            ids.update(int(i) for i in pq.read_table(p, columns=["run_id"]).column(0).to_pylist())
        return ids

    def write(self, rows: list[dict[str, Any]], chunk: int) -> Path:
        """Write one chunk's rows as a new part file (atomically)."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
        md = dict(table.schema.metadata or {})
        md[b"ipscsim.sweep_hash"] = self.hash.encode()
        table = table.replace_schema_metadata(md)
        final = self.path / f"part-{chunk:06d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = final.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, final)
        return final


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
