"""A posterior sample of model parameters: what Bayesian calibration returns and what the package ships.

A :class:`Posterior` is a table of parameter sets drawn from the posterior distribution of some model
parameters given data (each row one draw, jointly), with the log-likelihood of each draw and the
sampler's settings and diagnostics. :func:`ipscsim.validation.bayes.sample_posterior` makes one
(``ipscsim.calibrate(..., method="mcmc")`` on a lab's own data does too); the package ships the
posterior given its literature table (``model/data/posterior.csv`` with its settings in
``posterior.toml``), which ``ipscsim.simulate(..., uncertainty=n)`` draws from.

>>> from ipscsim.model.posterior import shipped_posterior
>>> post = shipped_posterior()
>>> post.samples.shape[1] == len(post.names)
True
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, check_int, is_real
from .layout import PARAM_INDEX

__all__ = ["Posterior", "shipped_posterior"]


@dataclass(frozen=True)
class Posterior:
    """Draws from the joint posterior of some parameters.

    Attributes:
        names: The parameters the posterior is over (the others are not part of it).
        samples: ``(n_draws, len(names))`` parameter values, one joint draw per row.
        log_likelihood: ``(n_draws,)`` log-likelihood of each draw (``-0.5`` times the sum of squared
            residuals in tolerance units).
        meta: Sampler settings and diagnostics (walkers, steps, burn-in, thinning, acceptance,
            autocorrelation times, effective sample size, targets, wall time, date).
    """

    names: tuple[str, ...]
    samples: np.ndarray
    log_likelihood: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.names, str):  # one name, not its letters
            object.__setattr__(self, "names", (self.names,))
        object.__setattr__(self, "names", tuple(self.names))
        if len(set(self.names)) != len(self.names):
            raise ParameterError(f"names: {self.names!r} names a parameter twice")
        s = np.asarray(self.samples, dtype=np.float64)
        if s.ndim != 2 or s.shape[1] != len(self.names) or s.shape[0] < 1:
            raise ParameterError(
                f"samples: shape {s.shape} must be (draws, {len(self.names)}) for the parameters "
                f"{', '.join(self.names)}"
            )
        for n in self.names:
            if n not in PARAM_INDEX:
                raise ParameterError(f"names: {n!r} is not a model parameter")
        if not np.all(np.isfinite(s)):
            raise ParameterError("samples: every draw must be finite")
        object.__setattr__(self, "samples", s)
        ll = np.asarray(self.log_likelihood, dtype=np.float64)
        if ll.shape != (len(s),):
            raise ParameterError(
                f"log_likelihood: shape {ll.shape} must be ({len(s)},), one value per draw"
            )
        object.__setattr__(self, "log_likelihood", ll)

    def __len__(self) -> int:
        return int(self.samples.shape[0])

    def median(self) -> dict[str, float]:
        """The posterior median of each parameter."""
        return {
            n: float(v) for n, v in zip(self.names, np.median(self.samples, axis=0), strict=True)
        }

    def intervals(self, level: float = 0.9) -> Any:
        """Central ``level`` credible interval, median and mean of each parameter (a DataFrame)."""
        import pandas as pd

        if not (is_real(level) and 0.0 < float(level) < 1.0):
            raise ParameterError(f"level: {level!r} must be in (0, 1), e.g. 0.9")
        tail = (1.0 - level) / 2.0
        q = np.quantile(self.samples, [tail, 0.5, 1.0 - tail], axis=0)
        return pd.DataFrame(
            {"lower": q[0], "median": q[1], "upper": q[2], "mean": self.samples.mean(axis=0)},
            index=pd.Index(self.names, name="parameter"),
        )

    def draw(self, n: int, seed: Any = None) -> np.ndarray:
        """``n`` rows of the sample (without replacement while the sample lasts), ``(n, names)``."""
        n = check_int("n (draws)", n, 1, 10_000_000)  # -3 gave every row, 0 none
        rng = np.random.default_rng(seed)
        k = len(self)
        idx = rng.permutation(k)[:n] if n <= k else rng.integers(0, k, size=n)
        return self.samples[idx]

    def to_csv(self, path: str | Path) -> Path:
        """Write the draws (one column per parameter and ``log_likelihood``) and a TOML of ``meta``."""
        import tomli_w

        path = Path(path)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([*self.names, "log_likelihood"])
        for row, ll in zip(self.samples, self.log_likelihood, strict=True):
            w.writerow([f"{v:.10g}" for v in row] + [f"{ll:.8g}"])
        path.write_text(buf.getvalue(), encoding="utf-8")
        path.with_suffix(".toml").write_text(tomli_w.dumps(_plain(self.meta)), encoding="utf-8")
        return path

    @classmethod
    def from_csv(cls, path: str | Path) -> Posterior:
        """Read a posterior written by :meth:`to_csv` (its TOML beside it, if present)."""
        from .._toml import read_text_file, read_toml_file

        path = Path(path)
        side = path.with_suffix(".toml")
        meta = read_toml_file(side, "posterior settings", ParameterError) if side.exists() else {}
        return _parse(read_text_file(path, "posterior", ParameterError), str(path), meta)


def _parse(text: str, origin: str, meta: dict[str, Any]) -> Posterior:
    rows = list(csv.reader(text.splitlines()))
    if len(rows) < 2 or not rows[0] or rows[0][-1] != "log_likelihood":
        raise ParameterError(
            f"{origin}: a posterior CSV needs a header of parameter names ending in "
            "'log_likelihood' and at least one draw (write one with Posterior.to_csv)"
        )
    try:
        data = np.array([[float(v) for v in r] for r in rows[1:]], dtype=np.float64)
    except ValueError as e:
        raise ParameterError(f"{origin}: a value is not a number ({e})") from None
    if data.shape[1] != len(rows[0]):
        raise ParameterError(f"{origin}: rows must have {len(rows[0])} columns like the header")
    return Posterior(tuple(rows[0][:-1]), data[:, :-1], data[:, -1], meta)


def _plain(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with numpy scalars and arrays as TOML-writable Python values (NaN as a string)."""
    out: dict[str, Any] = {}
    for k, v in meta.items():
        if isinstance(v, dict):
            out[k] = _plain(v)
        elif isinstance(v, (np.ndarray, list, tuple)):
            out[k] = [_scalar(x) for x in np.asarray(v).tolist()]
        else:
            out[k] = _scalar(v)
    return out


def _scalar(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(float(v)) else str(float(v))
    return v


@lru_cache(maxsize=1)
def shipped_posterior() -> Posterior:
    """The posterior given the package's literature table (``model/data/posterior.csv``)."""
    from .._toml import loads_toml

    files = resources.files("ipscsim.model").joinpath("data")
    meta = loads_toml(files.joinpath("posterior.toml").read_text("utf-8"), "posterior.toml")
    return _parse(files.joinpath("posterior.csv").read_text("utf-8"), "posterior.csv", meta)
