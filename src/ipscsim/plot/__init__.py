"""Plots: protocol timelines, time courses, comparisons, sweeps, sensitivity, cells, fields, survival.

Every drawing helper returns the matplotlib Figure (:func:`animate_cells` returns the animation,
:func:`overlay_published` the targets it drew), takes ``ax=`` where it draws one panel, labels every
axis with its unit, and colours each cell type, marker, pathway and factor from
:mod:`~ipscsim.plot.palette`, the same in every plot. :mod:`~ipscsim.plot.html` draws the small
inline SVGs of the Jupyter displays.

* :mod:`~ipscsim.plot.timeline`: :func:`plot_protocol`, :func:`shade_windows`;
* :mod:`~ipscsim.plot.timecourse`: :func:`plot_result`, :func:`plot_fractions`,
  :func:`plot_markers`, :func:`plot_counts`, :func:`plot_factors`;
* :mod:`~ipscsim.plot.compare`: :func:`plot_comparison`, :func:`overlay_published`;
* :mod:`~ipscsim.plot.sweep`: :func:`plot_sweep`, :func:`sweep_grid`;
* :mod:`~ipscsim.plot.sensitivity`: :func:`plot_sensitivity`;
* :mod:`~ipscsim.plot.spatial`: :func:`plot_cells`, :func:`plot_field`;
  :mod:`~ipscsim.plot.animation`: :func:`animate_cells`;
* :mod:`~ipscsim.plot.survival`: :func:`plot_survival`, :func:`plot_transplant`,
  :func:`plot_transplant_map`;
* :mod:`~ipscsim.plot.labels`: axis labels with units for readouts and sweep inputs.
"""

from .animation import animate_cells
from .compare import overlay_published, plot_comparison
from .labels import input_label, readout_label
from .palette import (
    CELL_TYPE_COLORS,
    FACTOR_COLORS,
    MARKER_COLORS,
    PATHWAY_COLORS,
    compound_color,
    readout_color,
)
from .sensitivity import plot_sensitivity
from .spatial import plot_cells, plot_field
from .survival import plot_survival, plot_transplant, plot_transplant_map
from .sweep import plot_sweep, sweep_grid
from .timecourse import plot_counts, plot_factors, plot_fractions, plot_markers, plot_result
from .timeline import plot_protocol, shade_windows

__all__ = [
    "CELL_TYPE_COLORS",
    "FACTOR_COLORS",
    "MARKER_COLORS",
    "PATHWAY_COLORS",
    "animate_cells",
    "compound_color",
    "input_label",
    "overlay_published",
    "plot_cells",
    "plot_comparison",
    "plot_counts",
    "plot_factors",
    "plot_field",
    "plot_fractions",
    "plot_markers",
    "plot_protocol",
    "plot_result",
    "plot_sensitivity",
    "plot_survival",
    "plot_sweep",
    "plot_transplant",
    "plot_transplant_map",
    "readout_color",
    "readout_label",
    "shade_windows",
    "sweep_grid",
]
