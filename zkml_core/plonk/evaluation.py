"""Vectorised evaluation of expressions on whole columns, and table-membership helpers.

Shared by the MockProver (on the 2^k rows) and the prover (on the extended coset,
where one row of rotation is ``step`` positions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from zkml_core.plonk.constraint_system import Column
from zkml_core.plonk.expression import Challenge, Expression, Query, evaluate


class ColumnEvaluator:
    """Evaluates expressions over all positions of field-array columns.

    ``column(col)`` returns the ``(N, 4)`` values of a column; a rotation ``r`` reads
    position ``i + r * step`` (cyclically). Rotated copies are cached.
    """

    def __init__(self, field: Any, column: Callable[[Column], np.ndarray], challenges: dict[int, int], step: int = 1) -> None:
        self.F = field
        self.column = column
        self.challenges = challenges
        self.step = step
        self._rotated: dict[tuple[Column, int], np.ndarray] = {}
        self._consts: dict[int, np.ndarray] = {}

    def const(self, v: int) -> np.ndarray:
        c = self._consts.get(v)
        if c is None:
            c = self._consts[v] = self.F.from_ints([v % self.F.p])
        return c

    def query(self, q: Query) -> np.ndarray:
        key = (q.column, q.rotation)
        arr = self._rotated.get(key)
        if arr is None:
            base = self.column(q.column)
            arr = base if q.rotation == 0 else np.roll(base, -q.rotation * self.step, axis=0)
            self._rotated[key] = arr
        return arr

    def _add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.F.add(b, a) if a.shape[0] == 1 and b.shape[0] != 1 else self.F.add(a, b)

    def _mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.F.mul(b, a) if a.shape[0] == 1 and b.shape[0] != 1 else self.F.mul(a, b)

    def evaluate(self, expr: Expression) -> np.ndarray:
        """Values of ``expr`` at every position: ``(N, 4)`` (or ``(1, 4)`` if constant)."""
        return evaluate(
            expr,
            constant=self.const,
            query=self.query,
            challenge=lambda ch: self.const(self.challenges[ch.index]),
            add=self._add,
            mul=self._mul,
            neg=self.F.neg,
        )

    def clear(self) -> None:
        self._rotated.clear()


def evaluate_at_point(expr: Expression, p: int, query: Callable[[Query], int], challenge: Callable[[Challenge], int]) -> int:
    """``expr`` at one point with Python ints mod ``p`` (the verifier's side)."""
    return evaluate(
        expr,
        constant=lambda v: v % p,
        query=query,
        challenge=challenge,
        add=lambda a, b: (a + b) % p,
        mul=lambda a, b: (a * b) % p,
        neg=lambda a: (-a) % p,
    )


def nonzero_rows(values: np.ndarray) -> np.ndarray:
    """Indices of the rows of a field array that are not zero."""
    return np.flatnonzero(np.any(values != 0, axis=1))


def _keys(columns: list[np.ndarray], n: int) -> np.ndarray:
    """One row of ``4 * len(columns)`` limbs per position (constants broadcast)."""
    return np.concatenate([np.broadcast_to(c, (n, 4)) for c in columns], axis=1)


def _unique_ids(table: list[np.ndarray], inputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    t = table[0].shape[0]
    m = max(c.shape[0] for c in inputs)
    both = np.concatenate([_keys(table, t), _keys(inputs, m)], axis=0)
    _, inv = np.unique(both, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    return inv[:t], inv[t:], int(inv.max()) + 1


def rows_in_set(inputs: list[np.ndarray], table: list[np.ndarray]) -> np.ndarray:
    """For each position, whether the tuple of ``inputs`` values is a row of ``table``."""
    tid, iid, _ = _unique_ids(table, inputs)
    return np.isin(iid, tid)


def multiplicities(inputs: list[list[np.ndarray]], table: list[np.ndarray]) -> np.ndarray:
    """How many input tuples (over all lookups ``inputs``) equal each table row (int64).

    A value repeated in the table is counted on its first row only; inputs not in the
    table are ignored (the argument then fails)."""
    t = table[0].shape[0]
    counts = np.zeros(t, dtype=np.int64)
    if not inputs:
        return counts
    k = len(table)
    flat = [np.concatenate([np.broadcast_to(inp[j], (max(c.shape[0] for c in inp), 4)) for inp in inputs]) for j in range(k)]
    tid, iid, nids = _unique_ids(table, flat)
    per_id = np.bincount(iid, minlength=nids)
    first_row = np.full(nids, -1, dtype=np.int64)
    # first table row of each id: assign in reverse so the smallest row wins
    first_row[tid[::-1]] = np.arange(t - 1, -1, -1)
    has = first_row[tid] == np.arange(t)
    counts[has] = per_id[tid[has]]
    return counts
