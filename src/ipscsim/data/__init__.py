"""Reference data: published outcomes and phenotypes the model is held to."""

from __future__ import annotations

import csv
from importlib import resources

__all__ = ["phenotypes", "published_outcomes"]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ipscsim.data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def published_outcomes() -> list[dict[str, str]]:
    """Rows of ``published_outcomes.csv``.

    Columns: protocol, readout, day, relation, value, source, evidence, and known_miss (why the model
    misses the row; empty when it meets it).
    """
    return _rows("published_outcomes.csv")


def phenotypes() -> list[dict[str, str]]:
    """Rows of ``phenotypes.csv`` (id, base_protocol, perturbation, readout, day, expected, source)."""
    return _rows("phenotypes.csv")
