"""BN254 optimal-ate Miller loop with the G2 point kept on the twist (F_q2 arithmetic).

py_ecc maps Q to F_q12 first and runs every point operation there. Here Q = (x', y')
stays on the twist E'(F_q2): y^2 = x^3 + 3/ξ, ξ = 9 + i, and only the line values are
F_q12 elements. py_ecc's untwist is x = x'·w^2, y = y'·w^3 (w^6 = ξ), so a line of
slope λ'·w through T, evaluated at P = (xP, yP), is

    yP − λ'·xP·w + (λ'·x'_T − y'_T)·w^3

with an F_q2 element c0 + c1·i embedded at w^k as (c0 − 9·c1)·w^k + c1·w^(k+6)
(py_ecc's F_q12 basis 1, w, ..., w^11, i = w^6 − 9). The loop runs over the bits of
6x + 2 and ends with the lines through π(Q) and −π²(Q), π the q-power Frobenius
(x', y') -> (conj(x')·ξ^((q−1)/3), conj(y')·ξ^((q−1)/2)). The value differs from
py_ecc's Miller loop only by factors the final exponentiation removes; the pairings
are equal (tested).
"""

from __future__ import annotations

from py_ecc import optimized_bn128 as bn

Q = bn.field_modulus
ATE_LOOP = 29793968203157093288  # 6x + 2

Fq2 = tuple[int, int]


def _mul(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


def _sub(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def _inv(a: Fq2) -> Fq2:
    n = pow((a[0] * a[0] + a[1] * a[1]) % Q, -1, Q)
    return (a[0] * n % Q, -a[1] * n % Q)


def _pow(a: Fq2, e: int) -> Fq2:
    r: Fq2 = (1, 0)
    while e:
        if e & 1:
            r = _mul(r, a)
        a = _mul(a, a)
        e >>= 1
    return r


_XI = (9, 1)
_FROB_X = _pow(_XI, (Q - 1) // 3)
_FROB_Y = _pow(_XI, (Q - 1) // 2)


def _frobenius(pt: tuple[Fq2, Fq2]) -> tuple[Fq2, Fq2]:
    (x0, x1), (y0, y1) = pt
    return _mul((x0, -x1 % Q), _FROB_X), _mul((y0, -y1 % Q), _FROB_Y)


def _embed(coeffs: list[int], c: Fq2, k: int) -> None:
    coeffs[k] = (coeffs[k] + c[0] - 9 * c[1]) % Q
    coeffs[k + 6] = (coeffs[k + 6] + c[1]) % Q


def _step(t: tuple[Fq2, Fq2], q: tuple[Fq2, Fq2] | None, xp: int, yp: int):
    """The line through t and q (tangent when q is None) at P, and t + q (or 2t)."""
    (xt, yt) = t
    if q is None:
        x2 = _mul(xt, xt)
        lam = _mul((3 * x2[0] % Q, 3 * x2[1] % Q), _inv((2 * yt[0] % Q, 2 * yt[1] % Q)))
        xq = xt
    else:
        xq, yq = q
        if xq == xt:  # vertical: t = −q (t = q does not occur in the loop)
            coeffs = [0] * 12
            coeffs[0] = xp
            _embed(coeffs, ((-xt[0]) % Q, (-xt[1]) % Q), 2)
            return bn.FQ12(coeffs), None
        lam = _mul(_sub(yq, yt), _inv(_sub(xq, xt)))
    coeffs = [0] * 12
    coeffs[0] = yp
    _embed(coeffs, ((-lam[0] * xp) % Q, (-lam[1] * xp) % Q), 1)
    _embed(coeffs, _sub(_mul(lam, xt), yt), 3)
    x3 = _sub(_sub(_mul(lam, lam), xt), xq)
    y3 = _sub(_mul(lam, _sub(xt, x3)), yt)
    return bn.FQ12(coeffs), (x3, y3)


def miller_loop(q2: tuple, p1: tuple) -> bn.FQ12:
    """The Miller loop value for py_ecc points Q in G2 and P in G1 (neither infinity)."""
    qx, qy = bn.normalize(q2)
    px, py = bn.normalize(p1)
    xp, yp = px.n, py.n
    qa = ((qx.coeffs[0], qx.coeffs[1]), (qy.coeffs[0], qy.coeffs[1]))
    t = qa
    f = bn.FQ12.one()
    for bit in bin(ATE_LOOP)[3:]:
        line, t = _step(t, None, xp, yp)
        f = f * f * line
        if bit == "1":
            line, t = _step(t, qa, xp, yp)
            f = f * line
    q1 = _frobenius(qa)
    q2x, q2y = _frobenius(q1)
    nq2 = (q2x, ((-q2y[0]) % Q, (-q2y[1]) % Q))
    line, t = _step(t, q1, xp, yp)
    f = f * line
    line, _ = _step(t, nq2, xp, yp)
    return f * line
