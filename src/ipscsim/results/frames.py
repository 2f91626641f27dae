"""A DataFrame that may still be called, for accessors that were methods and are now properties."""

from __future__ import annotations

import pandas as pd

from ..errors import warn

__all__ = ["CallableFrame"]


class CallableFrame(pd.DataFrame):
    """A DataFrame whose call returns itself as a plain DataFrame, with a ``DeprecationWarning``.

    ``Result.table`` was a method and is now a property like ``Result.fractions``: ``r.table`` is the
    table, and code written as ``r.table()`` keeps working for one release.
    """

    @property
    def _constructor(self):  # operations on it give plain DataFrames
        return pd.DataFrame

    def __call__(self) -> pd.DataFrame:
        """The table as a plain DataFrame (the old method form)."""
        warn(
            "Result.table is a property now, like Result.fractions: write r.table, not r.table()",
            DeprecationWarning,
        )
        return pd.DataFrame(self)
