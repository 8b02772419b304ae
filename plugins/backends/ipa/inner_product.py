"""The inner-product argument (Bulletproofs-style, as in halo2's IPA commitment scheme).

Claim: the Pedersen commitment ``P = <p, G> + blind·H`` opens to a polynomial with
p(x) = v, with p of exactly n = 2^k coefficients. Proof (written to the transcript):

1. the prover samples a random polynomial s with s(x) = 0 and writes S = commit(s, s_blind);
   challenges xi, z;
2. p' = p + xi·s − v (constant term), so p'(x) = 0 and P' = P − v·G_0 + xi·S commits to it
   with blind f = blind + xi·s_blind; with b = (1, x, x², ...) the claim is <p', b> = 0;
3. k rounds, j = 0..k−1, on the halves (lo, hi) of a = p', b and G (length 2^(k−j)):
   L_j = <a_hi, G_lo> + z<a_hi, b_lo>·U + l_j·H,  R_j = <a_lo, G_hi> + z<a_lo, b_hi>·U + r_j·H
   (l_j, r_j fresh blinds); challenge u_j; a ← a_lo + u_j⁻¹·a_hi, b ← b_lo + u_j·b_hi,
   G ← G_lo + u_j·G_hi, f ← f + l_j·u_j⁻¹ + r_j·u_j;
4. the prover writes the final scalars c = a_0 and f.

The verifier checks, as one engine MSM of n + O(k + terms) points,

    P' + Σ_j (u_j⁻¹·L_j + u_j·R_j) − c·G'_0 − c·b_0·z·U − f·H == 0

where G'_0 = <s_vec, G> with s_vec[i] = Π_{j: bit k−1−j of i is set} u_j (the folded
generator, linear time) and b_0 = Π_j (1 + u_j·x^(2^(k−1−j))).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml_core.arith import poly
from zkml_core.arith.curve import VESTA
from zkml_core.arith.field import PASTA_FP

from .params import IPAParams

F, C = PASTA_FP, VESTA


def commit(params: IPAParams, coeffs: np.ndarray, blind: int | np.ndarray) -> np.ndarray:
    """Pedersen vector commitment <coeffs, G> + blind·H, one MSM; ``(1, 2, 4)``."""
    m = len(coeffs)
    if m > params.n:
        raise ValueError(f"polynomial of {m} coefficients exceeds the params' 2^{params.k}")
    b = F.from_ints([blind]) if isinstance(blind, int) else np.asarray(blind).reshape(1, 4)
    points = np.concatenate([params.g[:m], params.h], axis=0)
    return C.msm(points, np.concatenate([np.asarray(coeffs, dtype=np.uint64).reshape(-1, 4), b], axis=0))


def _scalar(x: int) -> np.ndarray:
    return F.from_ints([x])


def create_proof(params: IPAParams, transcript: Any, p_coeffs: np.ndarray, p_blind: int, x: int) -> None:
    """Write the IPA proof that the polynomial ``p_coeffs`` (n coefficients, committed
    with ``p_blind``) evaluates at ``x`` to p(x) (module docstring, steps 1-4)."""
    p = F.p
    n = params.n
    if len(p_coeffs) != n:
        raise ValueError(f"the IPA opens polynomials of exactly {n} coefficients, got {len(p_coeffs)}")
    s_poly = F.random(n)
    s_poly[:1] = F.sub(s_poly[:1], _scalar(poly.evaluate(F, s_poly, x)))
    s_blind = F.to_ints(F.random(1))[0]
    transcript.write_point(commit(params, s_poly, s_blind))
    xi = transcript.squeeze_challenge()
    z = transcript.squeeze_challenge()

    a = F.add(F.mul(s_poly, _scalar(xi)), p_coeffs)
    a[:1] = F.sub(a[:1], _scalar(poly.evaluate(F, a, x)))
    f = (s_blind * xi + p_blind) % p
    b = F.powers(x, n)
    g = params.g
    extra = np.concatenate([params.u, params.h], axis=0)
    for _ in range(params.k):
        half = len(a) // 2
        lr_blinds = F.to_ints(F.random(2))
        halves = ((a[half:], g[:half], b[:half]), (a[:half], g[half:], b[half:]))
        for (a_part, g_part, b_part), blind in zip(halves, lr_blinds, strict=True):
            value = F.to_ints(F.inner(a_part, b_part))[0]
            scalars = np.concatenate([a_part, F.from_ints([value * z % p, blind])], axis=0)
            transcript.write_point(C.msm(np.concatenate([g_part, extra], axis=0), scalars))
        u = transcript.squeeze_challenge()
        u_inv = pow(u, -1, p)  # a zero challenge has probability ~2^-254
        a = F.add(a[:half], F.mul(a[half:], _scalar(u_inv)))
        b = F.add(b[:half], F.mul(b[half:], _scalar(u)))
        g = C.add(g[:half], C.mul_by(g[half:], u))
        f = (f + lr_blinds[0] * u_inv + lr_blinds[1] * u) % p
    transcript.write_scalar(F.to_ints(a)[0])
    transcript.write_scalar(f)


def fold_scalars(us: list[int]) -> np.ndarray:
    """s_vec of the module docstring: the folded generator G'_0 = <s_vec, G>, ``(2^k, 4)``."""
    s = F.ones(1)
    for u in reversed(us):  # the last challenge multiplies the lowest index bit
        s = np.concatenate([s, F.mul(s, _scalar(u))], axis=0)
    return s


def fold_b(x: int, us: list[int]) -> int:
    """b_0 = Π_j (1 + u_j·x^(2^(k−1−j))): the folded powers-of-x vector."""
    p = F.p
    acc, cur = 1, x % p
    for u in reversed(us):
        acc = acc * (1 + u * cur) % p
        cur = cur * cur % p
    return acc


def verify_proof(params: IPAParams, transcript: Any, terms: list[tuple[int, np.ndarray]], x: int, v: int) -> bool:
    """Read an IPA proof that the commitment Σ s·P over ``terms`` opens to v at x."""
    p = F.p
    s_comm = transcript.read_point()
    xi = transcript.squeeze_challenge()
    z = transcript.squeeze_challenge()
    rounds = []
    for _ in range(params.k):
        left, right = transcript.read_point(), transcript.read_point()
        rounds.append((left, right, transcript.squeeze_challenge()))
    c = transcript.read_scalar()
    f = transcript.read_scalar()
    us = [u for _, _, u in rounds]
    if any(u == 0 for u in us):
        return False

    g_scalars = F.mul(fold_scalars(us), _scalar(-c))
    g_scalars[:1] = F.sub(g_scalars[:1], _scalar(v))  # P' = P − v·G_0 + xi·S
    points = [params.g] + [pt for _, pt in terms] + [s_comm]
    scalars = [s % p for s, _ in terms] + [xi]
    for left, right, u in rounds:
        points += [left, right]
        scalars += [pow(u, -1, p), u]
    points += [params.u, params.h]
    scalars += [-c * fold_b(x, us) * z % p, -f % p]
    total = C.msm(np.concatenate(points, axis=0), np.concatenate([g_scalars, F.from_ints(scalars)], axis=0))
    return bool(np.all(total == 0))
