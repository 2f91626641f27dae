"""The cells of an agent-based run as a structure of arrays (never one Python object per cell).

Every per-cell quantity is one numpy array indexed by the cell's slot; live cells occupy slots
``0..n-1``. Storage grows geometrically when births would overflow it and is compacted every step (dead
cells removed, daughters appended), so no cell is ever lost or duplicated. Per cell (about 200 bytes):

* ``genes`` (float64, ``N_GENES``): the gene-network state (the ``PROGENITORS`` column is unused);
* ``phi``, ``theta`` (float32): morphogen sensitivity and tempo factors (heterogeneity, inherited);
* ``pos`` (float32, 3): position in um; ``group`` (int32): aggregate (-1 on an adherent patch);
* ``phase``, ``thresh`` (float32): division progress and the threshold at which the cell divides;
* ``kind`` (int8): 0 progenitor, else the neuron class (:data:`NEURON_KINDS`);
* ``cid`` (uint64): a unique id, the key of the cell's random streams; ``born`` (float32): day the
  cell was born (as a neuron, for neurons);
* scratch of the step: ``notch``, ``crowd``, ``endo_t``, ``endo_b``, ``disp``, ``event``, ``shell``,
  ``cell_key``, ``src``, ``order``.
"""

from __future__ import annotations

import numpy as np

from ...model import layout as L

__all__ = ["KIND_NAMES", "NEURON_KINDS", "Cells"]

#: Neuron classes by ``kind`` code (1-based), in the order of the ODE engine's neuron globals.
NEURON_KINDS: tuple[int, ...] = L.NEURON_GLOBALS
#: Names of the ``kind`` codes.
KIND_NAMES: tuple[str, ...] = (
    "progenitor",
    "MN",
    "MN_CHAT",
    "V3",
    "V2",
    "rostral_neuron",
    "MN_hox_negative",
    "MN_CHAT_hox_negative",
)

_FIELDS: dict[str, tuple[type, tuple[int, ...]]] = {
    "genes": (np.float64, (L.N_GENES,)),
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
    "endo_t": (np.float32, ()),
    "endo_b": (np.float32, ()),
    "disp": (np.float32, (3,)),
    "event": (np.int8, ()),
    "shell": (np.int16, ()),
    "cell_key": (np.int64, ()),
    "src": (np.float32, ()),
    "order": (np.int32, ()),
}


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
        """Reorder the live cells (``index`` a permutation of ``0..n-1``), e.g. into spatial order."""
        self.keep(index)

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
