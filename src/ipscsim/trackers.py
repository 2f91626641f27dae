"""Trackers: code that runs beside a simulation at its interrupts (py-pde's idea).

An engine integrates in compiled code up to its next interrupt, then hands the run to every tracker
whose time has come, and goes on. The agent-based engine interrupts after every step; the ODE engine
at the protocol's breakpoints (media changes, step edges, replating), so a tracker's ``interval`` is
honoured there at the first breakpoint past each mark (the step sequence, and so the result, is the
same with and without trackers).

A tracker sees the run object: ``run.t`` (day), ``run.composition()`` (fraction of live cells of
each cell type now) and the engine's own state (``run.snapshot()``, a DataFrame of every cell, for
the agent-based engine; ``run.y``, the state vector, for the ODE engine).

>>> import ipscsim as ips
>>> stop = ips.trackers.StopWhen(lambda run, t: run.composition()["MN"] > 0.3)
>>> r = ips.simulate("maury2015", trackers=[stop])           # doctest: +SKIP
>>> r.meta["solver"]["stopped"]                              # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ParameterError, is_real

__all__ = [
    "CallbackTracker",
    "DataTracker",
    "ProgressLog",
    "ProgressTracker",
    "StopRun",
    "StopWhen",
    "Tracker",
    "TrackerCollection",
]

log = logging.getLogger("ipscsim")


class StopRun(Exception):
    """Raised by a tracker to end a run early; the run keeps what it recorded up to then."""


class Tracker:
    """Base class: override :meth:`handle` (and :meth:`initialize`, :meth:`finalize` if needed).

    Args:
        interval: Days between calls (``None``: at every interrupt).
    """

    def __init__(self, interval: float | None = None) -> None:
        if interval is not None and not (
            is_real(interval) and interval > 0 and math.isfinite(interval)
        ):
            raise ParameterError(f"interval: {interval!r} must be a number of days > 0, or None")
        self.interval = None if interval is None else float(interval)
        self._next = 0.0

    def initialize(self, run: Any) -> None:
        """Called once before the first step."""

    def handle(self, run: Any, t: float) -> None:
        """Called at an interrupt when the tracker's time has come; may raise :class:`StopRun`."""

    def finalize(self, run: Any) -> None:
        """Called once when the run ends (also after an early stop)."""

    def due(self, t: float) -> bool:
        """Whether the tracker's time has come at day ``t`` (and schedule its next call)."""
        if self.interval is None:
            return True
        if t + 1e-9 < self._next:
            return False
        self._next = (math.floor((t + 1e-9) / self.interval) + 1) * self.interval
        return True


class CallbackTracker(Tracker):
    """Call ``fn(run, t)`` at each interval (a return value of ``False`` stops the run)."""

    def __init__(self, fn: Callable[[Any, float], Any], interval: float | None = None) -> None:
        super().__init__(interval)
        if not callable(fn):
            raise ParameterError(f"fn: {fn!r} must be callable as fn(run, t)")
        self.fn = fn

    def handle(self, run: Any, t: float) -> None:
        """Call the function; stop the run if it returns ``False``."""
        if self.fn(run, t) is False:
            raise StopRun(f"callback returned False at day {t:g}")


class DataTracker(CallbackTracker):
    """Store ``fn(run, t)`` at each interval: ``.times`` and ``.data`` (storage, as in py-pde).

    >>> store = DataTracker(lambda run, t: run.composition(), interval=1.0)
    """

    def initialize(self, run: Any) -> None:
        """Start empty."""
        self.times: list[float] = []
        self.data: list[Any] = []

    def handle(self, run: Any, t: float) -> None:
        """Keep the value."""
        self.times.append(float(t))
        self.data.append(self.fn(run, t))

    def frame(self):
        """The stored values as a DataFrame indexed by day (values that are mappings become columns)."""
        import pandas as pd

        return pd.DataFrame(self.data, index=pd.Index(self.times, name="day"))


class StopWhen(Tracker):
    """End the run when ``condition(run, t)`` is true (early stopping)."""

    def __init__(self, condition: Callable[[Any, float], bool], interval: float | None = None):
        super().__init__(interval)
        if not callable(condition):
            raise ParameterError(f"condition: {condition!r} must be callable as condition(run, t)")
        self.condition = condition

    def handle(self, run: Any, t: float) -> None:
        """Stop when the condition holds."""
        if self.condition(run, t):
            raise StopRun(f"StopWhen condition met at day {t:g}")


class ProgressTracker(Tracker):
    """A progress bar over simulated days (tqdm.auto)."""

    def __init__(self, interval: float | None = None, desc: str | None = None) -> None:
        super().__init__(interval)
        self.desc = desc
        self._bar: Any = None
        self._shown = 0.0
        self._total = 0.0

    def initialize(self, run: Any) -> None:
        """Open the bar."""
        from tqdm.auto import tqdm

        self._total = round(float(getattr(run, "days", 0.0)), 6)
        self._bar = tqdm(total=self._total, desc=self.desc or "days", unit="day", leave=False)
        self._shown = 0.0

    def handle(self, run: Any, t: float) -> None:
        """Move the bar to day ``t``."""
        t = min(round(t, 6), self._total)
        if self._bar is not None and t > self._shown:
            self._bar.update(t - self._shown)
            self._shown = t

    def finalize(self, run: Any) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class TrackerCollection:
    """The trackers of one run, called together by the engine's driver."""

    def __init__(self, trackers: Sequence[Tracker] | Tracker | None = None) -> None:
        if isinstance(trackers, TrackerCollection):
            trackers = trackers.items
        if trackers is None:
            trackers = ()
        elif isinstance(trackers, Tracker):
            trackers = (trackers,)
        elif isinstance(trackers, type) or not isinstance(trackers, (list, tuple)):
            trackers = (trackers,)  # a class or a string is one wrong tracker, not a sequence
        items = list(trackers)
        for tr in items:
            if isinstance(tr, type) and issubclass(tr, Tracker):
                raise ParameterError(
                    f"trackers: {tr.__name__} is the class; pass an instance, e.g. "
                    f"ipscsim.trackers.{tr.__name__}(...)"
                )
            if not isinstance(tr, Tracker):
                raise ParameterError(
                    f"trackers: {tr!r} is not a Tracker (use ipscsim.trackers.CallbackTracker(fn) "
                    "to wrap a function)"
                )
        self.items = items
        self.stopped = ""

    def __bool__(self) -> bool:
        return bool(self.items)

    def initialize(self, run: Any) -> None:
        """Initialise every tracker."""
        for tr in self.items:
            tr._next = 0.0
            tr.initialize(run)

    def handle(self, run: Any, t: float) -> bool:
        """Call the trackers that are due; return ``False`` when one stopped the run."""
        for tr in self.items:
            if tr.due(t):
                try:
                    tr.handle(run, t)
                except StopRun as exc:
                    self.stopped = str(exc) or f"{type(tr).__name__} stopped the run at day {t:g}"
                    log.info("run stopped early: %s", self.stopped)
                    return False
        return True

    def finalize(self, run: Any) -> None:
        """Finalise every tracker."""
        for tr in self.items:
            tr.finalize(run)


class ProgressLog(list):
    """A list of evaluations that advances a progress bar (tqdm.auto) on every ``append``.

    What the fits and searches keep as their trace: ``calibrate`` and ``optimize`` append one row per
    evaluated candidate, so the bar counts evaluations against the budget.

    Args:
        total: The evaluations expected (the budget; the bar may stop short when a search converges),
            or ``None`` for a count.
        desc: The bar's label.
        enabled: ``False``: no bar, a plain list.
    """

    def __init__(self, total: int | None, desc: str, enabled: bool = True) -> None:
        super().__init__()
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="eval", leave=False)

    def append(self, item: Any) -> None:
        """Keep ``item`` and advance the bar by one."""
        super().append(item)
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        """Close the bar (the rows stay)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
