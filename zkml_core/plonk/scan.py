"""Prefix products and sums of field arrays (grand products, LogUp running sums).

Hillis–Steele scan: log2(n) whole-array engine calls (out[i] ∘= out[i − 2^j]). It does
n·log2(n) operations instead of n, but in a handful of large vectorised calls: a
sequential scan would be n Python-level calls, and a blocked one ~2√n small calls whose
fixed cost (thread start-up of the parallel kernels) dominated on a busy machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _scan(values: np.ndarray, op: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    out = np.ascontiguousarray(values).copy()
    n = out.shape[0]
    shift = 1
    while shift < n:
        out[shift:] = op(out[: n - shift], out[shift:])
        shift <<= 1
    return out


def prefix_product(field: Any, values: np.ndarray) -> np.ndarray:
    """out[i] = values[0] · ... · values[i]."""
    return _scan(values, field.mul)


def prefix_sum(field: Any, values: np.ndarray) -> np.ndarray:
    """out[i] = values[0] + ... + values[i]."""
    return _scan(values, field.add)
