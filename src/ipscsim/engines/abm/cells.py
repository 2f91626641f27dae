"""The cells of an agent-based run as a structure of arrays (never one Python object per cell).

Every per-cell quantity is one numpy array indexed by the cell's slot; live cells occupy slots
``0..n-1``. Storage grows geometrically when births would overflow it and is compacted every step (dead
cells removed, daughters appended), so no cell is ever lost or duplicated. Per cell (96 bytes a slot
plus 4 per gene: 208 with the network's 28 genes):

* ``genes`` (float32, ``N_GENES``): the gene-network state of :mod:`ipscsim.model.network`,
  stored in single precision (relative 6e-8, far below the expression noise) and stepped in double;
* ``phi``, ``theta`` (float32): morphogen sensitivity and tempo factors (heterogeneity, inherited);
* ``pos`` (float32, 3): position in um; ``group`` (int32): aggregate (-1 on an adherent patch);
* ``phase``, ``thresh`` (float32): division progress and the threshold at which the cell divides;
* ``kind`` (int8): 0 progenitor, else the neuron class (1-based in
  :data:`ipscsim.model.network.NEURON_CLASSES`; names in :data:`KIND_NAMES`);
* ``cid`` (uint64): a unique id, the key of the cell's random streams; ``born`` (float32): day the
  cell was born (as a neuron, for neurons);
* scratch of the step: ``notch``, ``crowd``, ``disp``, ``event``, ``shell``, ``cell_key``, ``order``
  and the bin-ordered copies ``sx``, ``sy``, ``sz``, ``src`` of the neighbour pass.

:meth:`Cells.permute` reorders the cells' state in place (in parallel), e.g. into the spatial order of
the cell list, which keeps neighbours close in memory.
"""

from __future__ import annotations

import numpy as np

from ...model import layout as L
from .._jit import jit, prange

__all__ = ["KIND_NAMES", "Cells"]

#: Names of the ``kind`` codes.
KIND_NAMES: tuple[str, ...] = L.KIND_NAMES

_FIELDS: dict[str, tuple[type, tuple[int, ...]]] = {
    "genes": (np.float32, (L.N_GENES,)),
    "phi": (np.float32, ()),
    "theta": (np.float32, ()),
    "pos": (np.float32, (3,)),
    "group": (np.int32, ()),
    "phase": (np.float32, ()),
    "thresh": (np.float32, ()),
    "kind": (np.int8, ()),
    "cid": (np.uint64, ()),
    "born": (np.float32, ()),
    "notch": (np.float32, ()),
    "crowd": (np.float32, ()),
    "disp": (np.float32, (3,)),
    "event": (np.int8, ()),
    "shell": (np.int16, ()),
    "cell_key": (np.int64, ()),
    "order": (np.int32, ()),
    "sx": (np.float32, ()),
    "sy": (np.float32, ()),
    "sz": (np.float32, ()),
    "src": (np.float32, ()),
}
#: The fields that carry a cell's state from step to step (the rest is rewritten every step before it
#: is read; the neighbour pass needs only the cell list's ``order`` and bin offsets after a re-sort).
_STATE = (
    "genes",
    "phi",
    "theta",
    "pos",
    "group",
    "phase",
    "thresh",
    "kind",
    "cid",
    "born",
)


@jit(parallel=True)
def _permute_rows(a, index, n, tmp):
    """``a[:n] = a[index]`` for a 2-D array (rows are cells), through ``tmp``."""
    m = a.shape[1]
    for k in prange(n):
        j = index[k]
        for c in range(m):
            tmp[k, c] = a[j, c]
    for k in prange(n):
        for c in range(m):
            a[k, c] = tmp[k, c]


class Cells:
    """Arrays of per-cell state with spare capacity; ``n`` live cells in slots ``0..n-1``."""

    def __init__(self, capacity: int):
        self.n = 0
        self.capacity = max(16, int(capacity))
        for name, (dtype, shape) in _FIELDS.items():
            setattr(self, name, np.zeros((self.capacity, *shape), dtype=dtype))
        self.next_id = 0

    def reserve(self, needed: int) -> None:
        """Grow (by at least half) so that ``needed`` cells fit; live cells are kept."""
        if needed <= self.capacity:
            return
        new = max(int(needed), int(self.capacity * 1.5) + 1)
        for name, (dtype, shape) in _FIELDS.items():
            old = getattr(self, name)
            arr = np.zeros((new, *shape), dtype=dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        self.capacity = new

    def permute(self, index: np.ndarray) -> None:
        """Reorder the live cells' state (``index`` a permutation of ``0..n-1``), e.g. into bin order.

        Scratch fields are left as they are (each step rewrites them).
        """
        n = self.n
        index = np.ascontiguousarray(index[:n])
        rows = [getattr(self, name).reshape(self.capacity, -1) for name in _STATE]
        buf = np.empty(n * max(r.shape[1] * r.itemsize for r in rows), np.uint8)
        for arr in rows:
            tmp = buf[: n * arr.shape[1] * arr.itemsize].view(arr.dtype).reshape(n, arr.shape[1])
            _permute_rows(arr, index, n, tmp)

    def keep(self, index: np.ndarray) -> None:
        """Keep only the live cells at ``index`` (in that order), e.g. the ones a replating seeds."""
        index = np.asarray(index, dtype=np.int64)
        for name in _FIELDS:
            arr = getattr(self, name)
            arr[: len(index)] = arr[index]
        self.n = len(index)

    @property
    def nbytes(self) -> int:
        """Bytes held by the per-cell arrays (capacity included)."""
        return sum(getattr(self, name).nbytes for name in _FIELDS)
