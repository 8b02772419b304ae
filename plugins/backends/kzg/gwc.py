"""GWC multi-point opening for KZG (Gabizon-Williamson-Ciobotaru, as in halo2's ``gwc``).

Queries are grouped by point in order of first appearance (both sides list them in
the same order). With z_j the j-th point and p_{j,0}, p_{j,1}, ... its polynomials:

1. v = challenge; q_j = Σ_i v^i p_{j,i} and e_j = Σ_i v^i p_{j,i}(z_j);
2. the prover writes W_j = [(q_j(X) − e_j) / (X − z_j)] for each point j (one G1 point
   each; the division is exact because q_j(z_j) = e_j);
3. u = challenge; since tau·W_j = C_j − e_j·G1 + z_j·W_j for honest W_j, the verifier
   checks the single 2-pairing equation

       e(Σ_j u^j (C_j − e_j·G1 + z_j·W_j), G2) · e(−Σ_j u^j W_j, tau·G2) == 1

   with C_j = Σ_i v^i C_{j,i}; both G1 sides are one engine MSM each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from py_ecc import optimized_bn128 as bn

from zkml_core.arith import poly
from zkml_core.arith.curve import BN254_G1
from zkml_core.arith.field import BN254_FR

from .pairing import g1_to_pyecc, pairing_product_is_one


def group_by_point(queries: list, p: int) -> list[tuple[int, list]]:
    """``[(point, [query, ...]), ...]`` in order of each point's first appearance."""
    groups: dict[int, list] = {}
    for q in queries:
        groups.setdefault(q.point % p, []).append(q)
    return list(groups.items())


def _combine(F: Any, polys: list[np.ndarray], v: int) -> np.ndarray:
    """Σ_i v^i polys[i], zero-padded to the longest."""
    m = max(len(a) for a in polys)
    acc = F.zeros(m)
    vi = 1
    for a in polys:
        term = a if vi == 1 else F.mul(a, F.full(1, vi))
        acc[: len(a)] = F.add(acc[: len(a)], term)
        vi = vi * v % F.p
    return acc


def open_gwc(commit: Any, transcript: Any, queries: list) -> None:
    """Write the GWC opening proof of ``queries`` (ProverQuery) to ``transcript``.

    ``commit(coeffs) -> (1, 2, 4)`` commits in coefficient form."""
    F = BN254_FR
    v = transcript.squeeze_challenge()
    for z, group in group_by_point(queries, F.p):
        q = _combine(F, [np.asarray(g.coeffs) for g in group], v)
        transcript.write_point(commit(poly.divide_by_linear(F, q, z)))
    transcript.squeeze_challenge()  # u: keeps both transcripts in step


def verify_gwc(vparams: Any, transcript: Any, queries: list) -> bool:
    """Read the W_j and check the pairing equation of the module docstring."""
    F, C, p = BN254_FR, BN254_G1, BN254_FR.p
    v = transcript.squeeze_challenge()
    groups = group_by_point(queries, p)
    witnesses = [transcript.read_point() for _ in groups]
    u = transcript.squeeze_challenge()
    if not groups:
        return True  # nothing was claimed

    lhs_points: list[np.ndarray] = []
    lhs_scalars: list[int] = []
    g1_scalar = 0
    uj = 1
    for (z, group), w in zip(groups, witnesses, strict=True):
        vi = 1
        e = 0
        for q in group:
            c = uj * vi % p
            for s, point in q.commitment:
                lhs_points.append(point)
                lhs_scalars.append(c * s % p)
            e = (e + vi * q.eval) % p
            vi = vi * v % p
        g1_scalar = (g1_scalar - uj * e) % p
        lhs_points.append(w)
        lhs_scalars.append(uj * z % p)
        uj = uj * u % p
    lhs_points.append(vparams.g1)
    lhs_scalars.append(g1_scalar)

    lhs = C.msm(np.concatenate(lhs_points, axis=0), F.from_ints(lhs_scalars))
    rhs = C.msm(np.concatenate(witnesses, axis=0), F.powers(u, len(witnesses)))
    return pairing_product_is_one([
        (g1_to_pyecc(C, lhs), vparams.g2),
        (bn.neg(g1_to_pyecc(C, rhs)), vparams.tau_g2),
    ])
