"""A protocol designer in the notebook: edit a protocol with widgets and watch the outcome change.

``ips.designer(p)`` shows each step's concentration (a log slider) and window (a range slider, or
off), the length, the media-change days and each culture operation's day; every change runs the ODE
engine (milliseconds) and redraws the results figure (fractions over time, final composition,
markers) with the readouts a lab plans with (MN fraction and yield, interneurons, residual
pluripotent cells per million). The edited protocol is ``designer.protocol``; ``designer.save(path)``
writes it as TOML. Needs ipywidgets (``pip install "ipscsim[notebook]"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import IpscsimError

__all__ = ["Designer", "designer"]

#: Readouts the designer shows under the figure, with their labels.
READOUTS: dict[str, str] = {
    "mn_fraction": "MN fraction",
    "mn_yield": "MNs per seeded cell",
    "interneuron_fraction": "interneuron fraction",
    "residual_pluripotent_per_million": "pluripotent cells per million",
}


class Designer:
    """Widgets that edit a protocol and show its simulated outcome live.

    Args:
        protocol: A Protocol, preset name, protocol file or dict to start from.
        params: Parameter overrides for the simulations (as :func:`ipscsim.simulate` takes them).

    Attributes:
        steps: Per step of the starting protocol, ``(on, concentration, window)`` widgets.
        days: The protocol's length (days).
        media: The media-change days, comma separated.
        operations: One day widget per culture operation.
        result: The last simulation (of :attr:`protocol`).
        figure: The last results figure.
        message: Why the last edit could not be simulated (empty when it could).
    """

    def __init__(self, protocol: Any, params: Any = None) -> None:
        import ipywidgets as w

        from ..protocols.presets import as_protocol

        self.base = as_protocol(protocol)
        self.params = params
        self.days = w.FloatSlider(value=self.base.days, min=1, max=max(60, 2 * self.base.days),
                                  step=0.5, description="days")  # fmt: skip
        self.steps = [self._step_widgets(s) for s in self.base.steps]
        self.media = w.Text(value=", ".join(f"{d:g}" for d in self.base.media_change_days()),
                            description="media days", layout=w.Layout(width="95%"))  # fmt: skip
        self.operations = [
            w.FloatText(value=op.day, description=f"{op.kind} day", step=0.5)
            for op in self.base.operations
        ]
        self.readouts, self.output = w.HTML(), w.Output()
        self.path = w.Text(value=f"{self.base.name}_edited.toml", description="save as")
        button = w.Button(description="save TOML")
        button.on_click(lambda _: self.save())
        rows = [w.HBox([on, conc, window]) for on, conc, window in self.steps]
        self.widget = w.VBox([self.days, *rows, self.media, *self.operations,
                              w.HBox([self.path, button]), self.readouts, self.output])  # fmt: skip
        for widget in self._inputs():
            widget.observe(lambda _: self.refresh(), names="value")
        self.result, self.figure, self.message = None, None, ""
        self.refresh()

    def _step_widgets(self, s: Any) -> tuple[Any, Any, Any]:
        import math

        import ipywidgets as w

        c = max(s.concentration, 1e-6)
        on = w.Checkbox(value=True, description=f"{s.compound} ({s.unit})", indent=False)
        conc = w.FloatLogSlider(value=c, base=10, min=math.log10(c) - 2, max=math.log10(c) + 2,
                                step=0.05, description="dose", readout_format=".3g")  # fmt: skip
        window = w.FloatRangeSlider(value=(s.start, s.end), min=0, max=2 * self.base.days,
                                    step=0.5, description="days")  # fmt: skip
        return on, conc, window

    def _inputs(self) -> list[Any]:
        return [self.days, self.media, *self.operations, *(x for row in self.steps for x in row)]

    @property
    def protocol(self):
        """The protocol as edited (a new :class:`~ipscsim.protocols.Protocol`).

        Raises:
            ProtocolError: if the edits make an invalid protocol (naming the step and the fix).
        """
        from ..errors import ProtocolError
        from ..protocols import Protocol

        data = self.base.to_dict()
        data["name"] = f"{self.base.name}_edited"
        data["days"] = float(self.days.value)
        data["steps"] = [
            {**s.to_dict(), "concentration": float(conc.value), "start": float(window.value[0]),
             "end": float(window.value[1])}
            for s, (on, conc, window) in zip(self.base.steps, self.steps, strict=True)
            if on.value
        ]  # fmt: skip
        data["operations"] = [
            {**op_data, "day": float(day.value)}
            for op_data, day in zip(data.get("operations", []), self.operations, strict=True)
        ]
        try:
            media = [float(x) for x in self.media.value.replace(";", ",").split(",") if x.strip()]
        except ValueError:
            raise ProtocolError(
                f"media days: {self.media.value!r} must be days separated by commas"
            ) from None
        data.pop("media_change_every", None)
        data["media_changes"] = [d for d in media if d <= data["days"]]
        return Protocol.from_dict(data)

    def refresh(self) -> None:
        """Simulate the edited protocol and redraw (an invalid edit shows its error instead)."""
        import matplotlib.pyplot as plt

        from ..api import simulate

        try:
            protocol = self.protocol
            result = simulate(protocol, params=self.params)
        except IpscsimError as exc:
            self.message = str(exc)
            self.readouts.value = f"<b style='color:#B00'>{self.message}</b>"
            return
        self.message, self.result = "", result
        summary = result.summary()
        self.readouts.value = (
            "<table>"
            + "".join(
                f"<tr><td>{label}</td><td><b>{summary[key]:.3g}</b></td></tr>"
                for key, label in READOUTS.items()
            )
            + "</table>"
        )
        self.figure = result.plot(panels=("fractions", "markers"))
        with self.output:
            self.output.clear_output(wait=True)
            from IPython.display import display

            display(self.figure)
        plt.close(self.figure)  # shown in the output only (not again by an inline backend)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the edited protocol as TOML (default: the path in the widget)."""
        out = Path(path if path is not None else self.path.value)
        self.protocol.to_toml(out)
        return out

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def designer(protocol: Any, params: Any = None) -> Designer:
    """Edit ``protocol`` in the notebook and watch its outcome (see :class:`Designer`)."""
    return Designer(protocol, params)
