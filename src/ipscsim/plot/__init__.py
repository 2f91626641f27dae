"""Plots: protocol timelines and time courses (matplotlib; every function returns its Figure)."""

from .palette import CELL_TYPE_COLORS, MARKER_COLORS
from .timecourse import plot_fractions, plot_markers, plot_result
from .timeline import plot_protocol

__all__ = [
    "CELL_TYPE_COLORS",
    "MARKER_COLORS",
    "plot_fractions",
    "plot_markers",
    "plot_protocol",
    "plot_result",
]
