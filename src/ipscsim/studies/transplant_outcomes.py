"""Disease onset and end stage of a grafted ALS host, and the published in vivo outcomes they meet.

>>> import ipscsim as ips
>>> ips.transplant.outcome("NSI-566", host="rat_SOD1_G93A", sites=4, dose=1e5)  # doctest: +SKIP
>>> ips.transplant.validate()  # doctest: +SKIP

The host's lumbar enlargement (``lumbar_segments`` of ``segment_length_mm`` in ``hosts.csv``) holds the
MNs that decide hindlimb onset and end stage in the model. Its MNs alive, averaged over both ventral
horns (the cord outside the simulated box is untreated), fall on the host's course without a graft:

* **onset** is the age at which they fall to the share the untreated host has left at its published
  onset (``onset_day``), so an untreated host's onset is that day;
* **end stage** is the age at which they fall to ``mn_left_at_end_stage``, so an untreated host's end
  stage is ``end_stage_day``.

A graft delays both by the protection its factors give the MNs around it
(:func:`ipscsim.studies.transplant.simulate`). :func:`validate` compares the delays with the published
outcomes of grafts in SOD1 rodents (``model/data/graft_outcomes.csv``: the reported difference with a
two-sided interval from its reported spread), and states why a miss is missed.
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .graft_model import lumbar_alive

__all__ = ["lumbar_alive", "outcome", "targets", "validate"]


def _crossing(age: np.ndarray, alive: np.ndarray, level: float) -> float:
    """First age at which ``alive`` falls to ``level`` (linear between records); inf if never."""
    below = np.nonzero(alive <= level)[0]
    if below.size == 0:
        return math.inf
    i = int(below[0])
    if i == 0:
        return float(age[0])
    a0, a1 = alive[i - 1], alive[i]
    return float(age[i - 1] + (a0 - level) / (a0 - a1) * (age[i] - age[i - 1]))


#: The options :func:`outcome` passes on to the transplant model.
OPTIONS: tuple[str, ...] = (
    "dose", "sites", "immunosuppression", "origin", "age_at_transplant", "grid_mm",
    "secretion_scale", "progress",
)  # fmt: skip


def outcome(graft: Any, host: str | None = None, step_days: float = 0.25, **options: Any):
    """Onset and end-stage ages of a grafted host and of the same host untreated.

    Args:
        graft: As :func:`ipscsim.transplant.simulate` takes it.
        host: A rodent host (``rat_SOD1_G93A``, ``mouse_SOD1_G93A``) or ``human_ALS`` (days from
            onset; its grafts come after onset, so only the end stage can move).
        step_days: Days between records (0.01 to 7).
        **options: ``dose``, ``sites``, ``immunosuppression``, ``origin``, ``age_at_transplant``,
            ``grid_mm``, ``secretion_scale``, ``progress`` as :func:`ipscsim.transplant.simulate`
            takes them.

    Raises:
        ParameterError: for an unknown option or a bad value, naming it.

    Returns:
        Series: ``onset_day``, ``end_stage_day`` (grafted), ``onset_day_untreated``,
        ``end_stage_day_untreated``, ``onset_delay_days``, ``survival_gain_days`` (``inf`` if the
        grafted host never reaches it within twice the untreated end stage).
    """
    import pandas as pd

    from ..errors import ParameterError, is_real, suggest
    from . import graft_model as T

    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ParameterError(
            f"{unknown[0]}: not an option of outcome{suggest(unknown[0], OPTIONS)} (options: "
            f"{', '.join(OPTIONS)})"
        )
    if not is_real(step_days) or not 0.01 <= float(step_days) <= 7:
        raise ParameterError(f"step_days: {step_days!r} must be a number of days in [0.01, 7]")
    plan = T._resolve(
        graft, host, 120.0, options.get("dose"), options.get("sites"),
        options.get("immunosuppression"), options.get("origin"), options.get("grid_mm"),
        options.get("secretion_scale", 1.0), None, 1.0,
    )  # fmt: skip
    hr = plan.host_row
    age0 = T._age(plan, options.get("age_at_transplant"))
    end0, onset0 = float(hr["end_stage_day"]), float(hr["onset_day"])
    horizon = max(2.0 * end0 - age0, end0 - age0 + 30.0)
    t_m = np.arange(0.0, horizon + step_days, float(step_days)) / T.DAYS_PER_MONTH
    cells_site = plan.dose * plan.graft.acute * np.exp(-plan.rejection * t_m)
    cord = T._cord(plan)
    unit = T._unit_fields(cord, plan.grid_mm, bool(options.get("progress", False)))
    mn, _ = T._host_survival(plan, cord, unit, t_m, cells_site, age0)
    age = age0 + t_m * T.DAYS_PER_MONTH
    level_on = math.exp(-T._weibull(np.array([onset0]), float(hr["mn_loss_start_day"]), end0,
                                    float(hr["mn_left_at_end_stage"]))[0])  # fmt: skip
    level_end = float(hr["mn_left_at_end_stage"])
    out = {
        "onset_day": _crossing(age, mn["lumbar"].to_numpy(), level_on),
        "end_stage_day": _crossing(age, mn["lumbar"].to_numpy(), level_end),
        "onset_day_untreated": _crossing(age, mn["untreated"].to_numpy(), level_on),
        "end_stage_day_untreated": _crossing(age, mn["untreated"].to_numpy(), level_end),
    }
    out["onset_delay_days"] = out["onset_day"] - out["onset_day_untreated"]
    out["survival_gain_days"] = out["end_stage_day"] - out["end_stage_day_untreated"]
    return pd.Series(out, name=plan.graft.name)


@lru_cache(maxsize=1)
def _rows() -> tuple[dict[str, str], ...]:
    text = resources.files("ipscsim.model").joinpath("data/graft_outcomes.csv").read_text("utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def targets():
    """The published in vivo graft outcomes (``model/data/graft_outcomes.csv``) as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(list(_rows())).set_index("id")


def validate(progress: bool = False):
    """Each published graft outcome against the model's: value, interval, met, and why a miss is missed.

    Returns:
        DataFrame indexed by target id: ``readout``, ``published``, ``low``, ``high``, ``model``,
        ``met``, ``source``, ``known_limitation``.
    """
    import pandas as pd

    runs: dict[tuple, Any] = {}
    rows = []
    for r in _rows():
        key = (r["graft"], r["host"], int(r["sites"]), float(r["dose_per_site"]))
        if key not in runs:
            runs[key] = outcome(r["graft"], r["host"], sites=key[2], dose=key[3], progress=progress)
        value = float(runs[key][r["readout"]])
        low, high = float(r["low"]), float(r["high"])
        rows.append(
            {
                "id": r["id"],
                "readout": r["readout"],
                "published": float(r["value"]),
                "low": low,
                "high": high,
                "model": value,
                "met": bool(low <= value <= high),
                "source": r["source"],
                "known_limitation": r["known_limitation"],
            }
        )
    return pd.DataFrame(rows).set_index("id")
