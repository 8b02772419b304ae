"""LogUp constraints shared by prover (on the extended domain) and verifier (at x)."""

from __future__ import annotations

from typing import Any

from zkml_core.plonk.constraint_system import ConstraintSystem
from zkml_core.plonk.evaluation import product, total


def compress(alg: Any, values: list, theta: int) -> Any:
    """Σ_j θ^j values[j] (Horner)."""
    t = alg.const(theta)
    acc = values[-1]
    for v in reversed(values[:-1]):
        acc = alg.add(alg.mul(acc, t), v)
    return acc


def constraints(ctx: Any, cs: ConstraintSystem, theta: int, beta: int) -> list:
    alg = ctx.alg
    b = alg.const(beta)
    out = []
    for g, group in enumerate(cs.lookup_groups()):
        phi, phi_next = ctx.poly(("phi", g), 0), ctx.poly(("phi", g), 1)
        out.append(alg.mul(ctx.l0, phi))
        out.append(alg.mul(ctx.l_last, phi))
        helpers = []
        for bi, batch in enumerate(group.batches):
            h = ctx.poly(("h", g, bi), 0)
            helpers.append(h)
            dens = [alg.add(compress(alg, [ctx.expr(e) for e in cs.lookups[li].inputs], theta), b) for li in batch]
            others = [product(alg, dens[:i] + dens[i + 1 :]) if len(dens) > 1 else alg.const(1) for i in range(len(dens))]
            out.append(alg.mul(ctx.l_active, alg.sub(alg.mul(h, product(alg, dens)), total(alg, others))))
        t = alg.add(compress(alg, [ctx.query(c, 0) for c in group.table], theta), b)
        step = alg.sub(alg.sub(phi_next, phi), total(alg, helpers))
        out.append(alg.mul(ctx.l_active, alg.add(alg.mul(step, t), ctx.poly(("m", g), 0))))
    return out
