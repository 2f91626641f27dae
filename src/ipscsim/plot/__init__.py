"""Plots: protocol timelines, time courses, cells in space, fields (matplotlib; each returns a Figure)."""

from .palette import CELL_TYPE_COLORS, MARKER_COLORS
from .spatial import plot_cells, plot_field
from .timecourse import plot_fractions, plot_markers, plot_result
from .timeline import plot_protocol

__all__ = [
    "CELL_TYPE_COLORS",
    "MARKER_COLORS",
    "plot_cells",
    "plot_field",
    "plot_fractions",
    "plot_markers",
    "plot_protocol",
    "plot_result",
]
