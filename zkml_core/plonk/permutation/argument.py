"""The permutation σ (keygen) and the permutation constraints (prover and verifier)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from zkml_core.plonk.constraint_system import ConstraintSystem
from zkml_core.plonk.evaluation import product


def delta(field: Any) -> int:
    """g^(2^s): an element of odd order, so the cosets δ^j·⟨ω⟩ are disjoint."""
    return pow(field.generator, 1 << field.two_adicity, field.p)


def chunks(cs: ConstraintSystem) -> list[list[int]]:
    """Indices into ``cs.equality``, grouped per grand product."""
    size = cs.permutation_chunk_size()
    m = len(cs.equality)
    return [list(range(i, min(i + size, m))) for i in range(0, m, size)]


@njit(cache=True)
def _roots(num: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    parent = np.arange(num)
    for e in range(a.shape[0]):
        x = a[e]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        y = b[e]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            if x < y:
                parent[y] = x
            else:
                parent[x] = y
    for i in range(num):
        r = i
        while parent[r] != r:
            r = parent[r]
        parent[i] = r
    return parent


def cycle_successors(num: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For cells 0..num-1 joined by the equalities a[e] == b[e]: the next cell of each
    cell's cycle (cells without copies map to themselves)."""
    roots = _roots(num, a.astype(np.int64), b.astype(np.int64))
    order = np.argsort(roots, kind="stable")
    sorted_roots = roots[order]
    nxt = np.empty(num, dtype=np.int64)
    nxt[order[:-1]] = order[1:]
    ends = np.flatnonzero(np.append(sorted_roots[1:] != sorted_roots[:-1], True))
    starts = np.concatenate(([0], ends[:-1] + 1))
    nxt[order[ends]] = order[starts]
    return nxt


def build_sigma(field: Any, cs: ConstraintSystem, asg: Any, omega_powers: np.ndarray) -> list[np.ndarray]:
    """σ_j in Lagrange form for every equality column j, from the recorded copies."""
    m, n = len(cs.equality), asg.n
    if m == 0:
        return []
    eq_index = np.full(len(asg.columns), -1, dtype=np.int64)
    for j, col in enumerate(cs.equality):
        eq_index[asg.gid(col)] = j
    if asg.copies:
        ga, ra, gb, rb = (np.concatenate([c[i] for c in asg.copies]) for i in range(4))
        a = eq_index[ga] * n + ra
        b = eq_index[gb] * n + rb
    else:
        a = b = np.zeros(0, dtype=np.int64)
    nxt = cycle_successors(m * n, a, b)
    deltas = field.powers(delta(field), m)
    sigma = field.mul(omega_powers[nxt % n], deltas[nxt // n])
    return [np.ascontiguousarray(sigma[j * n : (j + 1) * n]) for j in range(m)]


def constraints(ctx: Any, cs: ConstraintSystem, beta: int, gamma: int, last_rotation: int) -> list:
    """The permutation constraints, in a fixed order, as values of ``ctx``'s algebra."""
    groups = chunks(cs)
    if not groups:
        return []
    alg = ctx.alg
    one = alg.const(1)
    d = ctx.delta
    out = []
    z0 = ctx.poly(("z", 0), 0)
    out.append(alg.mul(ctx.l0, alg.sub(one, z0)))
    zl = ctx.poly(("z", len(groups) - 1), 0)
    out.append(alg.mul(ctx.l_last, alg.sub(alg.mul(zl, zl), zl)))
    for c in range(1, len(groups)):
        prev_last = ctx.poly(("z", c - 1), last_rotation)
        out.append(alg.mul(ctx.l0, alg.sub(ctx.poly(("z", c), 0), prev_last)))
    b, g = alg.const(beta), alg.const(gamma)
    p = ctx.p
    for c, idxs in enumerate(groups):
        left, right = [ctx.poly(("z", c), 1)], [ctx.poly(("z", c), 0)]
        for j in idxs:
            v = alg.add(ctx.query(cs.equality[j], 0), g)
            left.append(alg.add(v, alg.mul(ctx.poly(("sigma", j), 0), b)))
            right.append(alg.add(v, alg.mul(ctx.X, alg.const(beta * pow(d, j, p)))))
        out.append(alg.mul(ctx.l_active, alg.sub(product(alg, left), product(alg, right))))
    return out

