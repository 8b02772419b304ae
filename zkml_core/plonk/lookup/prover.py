"""Prover side of LogUp: multiplicities, helper columns and running sums (Lagrange form)."""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml_core.plonk.evaluation import ArrayContext, multiplicities
from zkml_core.plonk.lookup.argument import compress
from zkml_core.plonk.scan import prefix_sum


def _blinded(field: Any, values_u: np.ndarray, n: int) -> np.ndarray:
    out = np.empty((n, 4), dtype=np.uint64)
    u = values_u.shape[0]
    out[:u] = values_u
    out[u:] = field.random(n - u)
    return out


def multiplicity_columns(field: Any, cs: Any, ctx: ArrayContext, usable: int, n: int) -> list[np.ndarray]:
    """m for every lookup group: how often each (usable) table row is looked up."""
    out = []
    for group in cs.lookup_groups():
        inputs = [[_rows(ctx.expr(e), usable) for e in cs.lookups[li].inputs] for li in group.lookups]
        table = [ctx.query(c, 0)[:usable] for c in group.table]
        counts = multiplicities(inputs, table)
        out.append(_blinded(field, field.from_ints(counts), n))
    return out


def _rows(values: np.ndarray, usable: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(values, (max(values.shape[0], usable), 4))[:usable])


def helpers_and_sums(
    field: Any, cs: Any, ctx: ArrayContext, m_lag: list[np.ndarray], theta: int, beta: int, usable: int, n: int
) -> tuple[list[list[np.ndarray]], list[np.ndarray]]:
    """(helper columns per group, running sum φ per group), blinded after row u / u+1."""
    F, u, alg = field, usable, ctx.alg
    b = F.from_ints([beta])
    helpers_all, sums = [], []
    for g, group in enumerate(cs.lookup_groups()):
        helpers = []
        hsum = F.zeros(u)
        for batch in group.batches:
            h = F.zeros(u)
            for li in batch:
                f = compress(alg, [_rows(ctx.expr(e), u) for e in cs.lookups[li].inputs], theta)
                h = F.add(h, F.inv(F.add(_rows(f, u), b)))
            helpers.append(_blinded(F, h, n))
            hsum = F.add(hsum, h)
        t = compress(alg, [ctx.query(c, 0)[:u] for c in group.table], theta)
        step = F.sub(hsum, F.mul(m_lag[g][:u], F.inv(F.add(_rows(t, u), b))))
        phi = np.empty((n, 4), dtype=np.uint64)
        phi[0] = 0
        phi[1 : u + 1] = prefix_sum(F, step)
        phi[u + 1 :] = F.random(n - u - 1)
        helpers_all.append(helpers)
        sums.append(phi)
    return helpers_all, sums
