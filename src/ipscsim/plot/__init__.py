"""Plots: protocol timelines, time courses, cells, fields, survival, transplants (each returns a Figure)."""

from .palette import CELL_TYPE_COLORS, MARKER_COLORS
from .spatial import plot_cells, plot_field
from .survival import plot_survival, plot_transplant
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
    "plot_survival",
    "plot_transplant",
]
