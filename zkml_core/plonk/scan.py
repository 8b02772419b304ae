"""Prefix products and sums of field arrays (grand products, LogUp running sums).

Blocked scan: the n values are laid out as a (B, L) grid with B ≈ L ≈ √n; L vectorised
steps scan every block at once, the B block totals are scanned the same way
(recursively), and one vectorised operation folds them back in. O(n) field operations
in O(√n) engine calls, no per-row Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _scan(values: np.ndarray, op: Callable[[np.ndarray, np.ndarray], np.ndarray], identity: np.ndarray) -> np.ndarray:
    n = values.shape[0]
    if n <= 64:
        out = values.copy()
        for i in range(1, n):
            out[i : i + 1] = op(out[i - 1 : i], out[i : i + 1])
        return out
    L = 1 << ((int(n - 1).bit_length() + 1) // 2)
    B = -(-n // L)
    padded = np.broadcast_to(identity, (B * L, 4)).copy()
    padded[:n] = values
    # column-major grid: cols[j] holds element j of every block, contiguous for the engine
    cols = np.ascontiguousarray(padded.reshape(B, L, 4).transpose(1, 0, 2))
    for j in range(1, L):
        cols[j] = op(cols[j - 1], cols[j])
    totals = _scan(np.ascontiguousarray(cols[L - 1]), op, identity)
    carry = np.concatenate([identity.reshape(1, 4), totals[:-1]])
    grid = np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(B * L, 4)
    flat = op(np.repeat(carry, L, axis=0), grid)
    return np.ascontiguousarray(flat[:n])


def prefix_product(field: Any, values: np.ndarray) -> np.ndarray:
    """out[i] = values[0] · ... · values[i]."""
    return _scan(values, field.mul, field.ones(1))


def prefix_sum(field: Any, values: np.ndarray) -> np.ndarray:
    """out[i] = values[0] + ... + values[i]."""
    return _scan(values, field.add, field.zeros(1))
