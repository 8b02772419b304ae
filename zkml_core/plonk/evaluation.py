"""Vectorised evaluation of expressions on whole columns, and table-membership helpers.

The same constraint code runs on whole columns (:class:`ArrayContext`: the MockProver
and the prover's Lagrange-form witness on the 2^k rows, the quotient on the extended
coset where one row of rotation is ``step`` positions) and on single opened values
(:class:`PointContext`: the verifier at x).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from zkml_core.plonk.constraint_system import Column
from zkml_core.plonk.expression import Expression, evaluate


def nonzero_rows(values: np.ndarray) -> np.ndarray:
    """Indices of the rows of a field array that are not zero."""
    return np.flatnonzero(np.any(values != 0, axis=1))


def _column_ids(col: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense ids of the rows of one ``(N, 4)`` field array (equal rows, equal ids).

    Sorting the first limb alone is fast (np.unique over whole rows sorts a void dtype,
    ~10x slower); rows that share a first limb but differ later (rare: Montgomery limbs
    look random) send the column to the whole-row sort, so ids stay exact."""
    u, inv = np.unique(col[:, 0], return_inverse=True)
    inv = inv.reshape(-1)
    first = np.empty(len(u), dtype=np.int64)
    first[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)
    if not np.array_equal(col[first[inv]], col):
        u, inv = np.unique(col, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
    return inv.astype(np.int64), len(u)


def _unique_ids(table: list[np.ndarray], inputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """Dense ids of the table's rows and the inputs' tuples, equal exactly when the
    tuples are equal: returns (table ids, input ids, number of ids)."""
    t = table[0].shape[0]
    m = max(c.shape[0] for c in inputs)
    ids, count = None, 1
    for tc, ic in zip(table, inputs, strict=True):
        both = np.concatenate([np.broadcast_to(tc, (t, 4)), np.broadcast_to(ic, (m, 4))])
        col_ids, col_count = _column_ids(both)
        if ids is None:
            ids, count = col_ids, col_count
        else:  # pairs of ids -> dense ids again (count * col_count < 2^63: both <= 2^31)
            u, inv = np.unique(ids * col_count + col_ids, return_inverse=True)
            ids, count = inv.reshape(-1).astype(np.int64), len(u)
    return ids[:t], ids[t:], count


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


class ArrayAlgebra:
    """+ − × on field arrays, where either operand may be a broadcast ``(1, 4)`` value."""

    def __init__(self, field: Any) -> None:
        self.F = field
        self._consts: dict[int, np.ndarray] = {}

    def const(self, v: int) -> np.ndarray:
        c = self._consts.get(v)
        if c is None:
            c = self._consts[v] = self.F.from_ints([v % self.F.p])
        return c

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.F.add(b, a) if a.shape[0] == 1 and b.shape[0] != 1 else self.F.add(a, b)

    def sub(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape[0] == 1 and b.shape[0] != 1:
            return self.F.add(self.F.neg(b), a)
        return self.F.sub(a, b)

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.F.mul(b, a) if a.shape[0] == 1 and b.shape[0] != 1 else self.F.mul(a, b)

    def neg(self, a: np.ndarray) -> np.ndarray:
        return self.F.neg(a)


class IntAlgebra:
    """The same operations on Python ints mod p (the verifier's side)."""

    def __init__(self, p: int) -> None:
        self.p = p

    def const(self, v: int) -> int:
        return v % self.p

    def add(self, a: int, b: int) -> int:
        return (a + b) % self.p

    def sub(self, a: int, b: int) -> int:
        return (a - b) % self.p

    def mul(self, a: int, b: int) -> int:
        return a * b % self.p

    def neg(self, a: int) -> int:
        return -a % self.p


class ArrayContext:
    """Values of every polynomial at every position of a domain (prover side).

    ``get(key)`` returns the array of a polynomial (keys: ``("advice", i)``,
    ``("fixed", i)``, ``("instance", i)``, ``("sigma", j)``, ``("z", c)``, ...); one row
    of rotation is ``step`` positions. ``l0``, ``l_last``, ``l_active`` and ``X`` are
    arrays on the same domain.
    """

    def __init__(self, field: Any, get: Callable[[tuple], np.ndarray], step: int, challenges: dict[int, int], **fixed_polys: np.ndarray) -> None:
        self.alg = ArrayAlgebra(field)
        self.get = get
        self.step = step
        self.challenges = challenges
        self._rotated: dict[tuple, np.ndarray] = {}
        for name, value in fixed_polys.items():
            setattr(self, name, value)

    def poly(self, key: tuple, rotation: int) -> np.ndarray:
        rk = (key, rotation)
        arr = self._rotated.get(rk)
        if arr is None:
            base = self.get(key)
            arr = base if rotation == 0 else np.roll(base, -rotation * self.step, axis=0)
            self._rotated[rk] = arr
        return arr

    def query(self, column: Column, rotation: int) -> np.ndarray:
        return self.poly(column.key, rotation)

    def expr(self, e: Expression) -> np.ndarray:
        alg = self.alg
        return evaluate(
            e, constant=alg.const, query=lambda q: self.query(q.column, q.rotation),
            challenge=lambda ch: alg.const(self.challenges[ch.index]),
            add=alg.add, mul=alg.mul, neg=alg.neg,
        )


class PointContext:
    """Opened evaluations at the challenge point x (verifier side): ``evals[(key, rot)]``."""

    def __init__(self, modulus: int, evals: dict[tuple, int], challenges: dict[int, int], **fixed_values: int) -> None:
        self.alg = IntAlgebra(modulus)
        self.evals = evals
        self.challenges = challenges
        for name, value in fixed_values.items():
            setattr(self, name, value)

    def poly(self, key: tuple, rotation: int) -> int:
        return self.evals[(key, rotation)]

    def query(self, column: Column, rotation: int) -> int:
        return self.evals[(column.key, rotation)]

    def expr(self, e: Expression) -> int:
        alg = self.alg
        return evaluate(
            e, constant=alg.const, query=lambda q: self.query(q.column, q.rotation),
            challenge=lambda ch: alg.const(self.challenges[ch.index]),
            add=alg.add, mul=alg.mul, neg=alg.neg,
        )


def product(alg: Any, values: list) -> Any:
    out = values[0]
    for v in values[1:]:
        out = alg.mul(out, v)
    return out


def total(alg: Any, values: list) -> Any:
    out = values[0]
    for v in values[1:]:
        out = alg.add(out, v)
    return out
