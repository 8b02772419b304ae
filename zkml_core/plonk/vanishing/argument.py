"""Folding constraints with y (the same order on both sides)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def fold(alg: Any, constraints: Iterable, y: int) -> Any:
    """Σ y^(K−1−k) C_k by Horner, C_0 first."""
    acc = None
    yy = alg.const(y)
    for c in constraints:
        acc = c if acc is None else alg.add(alg.mul(acc, yy), c)
    return acc if acc is not None else alg.const(0)
