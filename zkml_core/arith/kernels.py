"""Montgomery arithmetic kernels on 4 x 64-bit limbs (numba).

Every kernel takes the modulus as a ``(4,)`` uint64 array ``p`` and ``inv = -p^-1 mod
2^64``, so BN254 Fr/Fq and Pasta Fp/Fq share one compiled code path (one signature per
kernel). Values are always fully reduced (< p), so equality is limb equality.

The 64x64 -> 128-bit product comes from a tiny LLVM intrinsic (numba has no 128-bit
integer). Multiplication is CIOS without the final carry word: valid because every
modulus here leaves the top limb's high bit clear (the "no-carry" optimisation).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

U64 = np.uint64
ZERO = U64(0)
ONE = U64(1)


@intrinsic
def mul_wide(typingctx, a, b):
    """(lo, hi) of the 128-bit product of two uint64."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        prod = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        lo = builder.trunc(prod, ir.IntType(64))
        hi = builder.trunc(builder.lshr(prod, ir.Constant(i128, 64)), ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [lo, hi])

    return sig, codegen


@njit(inline="always", cache=True)
def mac(a, b, c, carry):
    """a*b + c + carry as (lo, hi); never overflows 128 bits."""
    lo, hi = mul_wide(a, b)
    lo2 = lo + c
    hi += U64(lo2 < lo)
    lo3 = lo2 + carry
    hi += U64(lo3 < lo2)
    return lo3, hi


@njit(inline="always", cache=True)
def adc(a, b, carry):
    s = a + b
    c1 = U64(s < a)
    s2 = s + carry
    c2 = U64(s2 < s)
    return s2, c1 + c2


@njit(inline="always", cache=True)
def sbb(a, b, borrow):
    d = a - b
    b1 = U64(a < b)
    d2 = d - borrow
    b2 = U64(d < borrow)
    return d2, b1 + b2


@njit(inline="always", cache=True)
def _cios_step(t0, t1, t2, t3, a0, a1, a2, a3, bi, p0, p1, p2, p3, inv):
    t0, c = mac(a0, bi, t0, ZERO)
    t1, c = mac(a1, bi, t1, c)
    t2, c = mac(a2, bi, t2, c)
    t3, c = mac(a3, bi, t3, c)
    t4 = c
    m = t0 * inv
    _, c = mac(m, p0, t0, ZERO)
    t0, c = mac(m, p1, t1, c)
    t1, c = mac(m, p2, t2, c)
    t2, c = mac(m, p3, t3, c)
    t3 = t4 + c
    return t0, t1, t2, t3


@njit(inline="always", cache=True)
def reduce_once(t0, t1, t2, t3, p0, p1, p2, p3):
    """t - p if t >= p else t (for t < 2p)."""
    d0, b = sbb(t0, p0, ZERO)
    d1, b = sbb(t1, p1, b)
    d2, b = sbb(t2, p2, b)
    d3, b = sbb(t3, p3, b)
    if b == ZERO:
        return d0, d1, d2, d3
    return t0, t1, t2, t3


@njit(inline="always", cache=True)
def mont_mul(a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3, inv):
    t0, t1, t2, t3 = _cios_step(ZERO, ZERO, ZERO, ZERO, a0, a1, a2, a3, b0, p0, p1, p2, p3, inv)
    t0, t1, t2, t3 = _cios_step(t0, t1, t2, t3, a0, a1, a2, a3, b1, p0, p1, p2, p3, inv)
    t0, t1, t2, t3 = _cios_step(t0, t1, t2, t3, a0, a1, a2, a3, b2, p0, p1, p2, p3, inv)
    t0, t1, t2, t3 = _cios_step(t0, t1, t2, t3, a0, a1, a2, a3, b3, p0, p1, p2, p3, inv)
    return reduce_once(t0, t1, t2, t3, p0, p1, p2, p3)


@njit(inline="always", cache=True)
def mod_add(a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3):
    # a + b < 2p < 2^256 since p's top bit is clear, so no carry out
    s0, c = adc(a0, b0, ZERO)
    s1, c = adc(a1, b1, c)
    s2, c = adc(a2, b2, c)
    s3, c = adc(a3, b3, c)
    return reduce_once(s0, s1, s2, s3, p0, p1, p2, p3)


@njit(inline="always", cache=True)
def mod_sub(a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3):
    d0, b = sbb(a0, b0, ZERO)
    d1, b = sbb(a1, b1, b)
    d2, b = sbb(a2, b2, b)
    d3, b = sbb(a3, b3, b)
    if b != ZERO:
        d0, c = adc(d0, p0, ZERO)
        d1, c = adc(d1, p1, c)
        d2, c = adc(d2, p2, c)
        d3, c = adc(d3, p3, c)
    return d0, d1, d2, d3


# -- array kernels: out[i] = op(a[i], b[i or 0]) -----------------------------------------


@njit(cache=True, parallel=True)
def mul_arr(a, b, out, p, inv):
    n = a.shape[0]
    # broadcast b's single row without a branch typed differently from the loop index
    mask = ZERO if b.shape[0] == 1 else ~ZERO
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    for i in prange(n):
        j = i & mask
        r = mont_mul(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3],
                     p0, p1, p2, p3, inv)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r


@njit(cache=True)  # memory-bound: threads gain little, compile costs more
def add_arr(a, b, out, p):
    n = a.shape[0]
    # broadcast b's single row without a branch typed differently from the loop index
    mask = ZERO if b.shape[0] == 1 else ~ZERO
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    for i in range(n):
        j = i & mask
        r = mod_add(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3],
                    p0, p1, p2, p3)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r


@njit(cache=True)  # memory-bound: threads gain little, compile costs more
def sub_arr(a, b, out, p):
    n = a.shape[0]
    # broadcast b's single row without a branch typed differently from the loop index
    mask = ZERO if b.shape[0] == 1 else ~ZERO
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    for i in range(n):
        j = i & mask
        r = mod_sub(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3],
                    p0, p1, p2, p3)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r


@njit(cache=True)
def pow_arr(a, e_bits, out, one, p, inv):
    """out[i] = a[i]^e; ``e_bits`` are the exponent's bits, most significant first."""
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    for i in range(a.shape[0]):
        r0, r1, r2, r3 = one[0], one[1], one[2], one[3]
        x0, x1, x2, x3 = a[i, 0], a[i, 1], a[i, 2], a[i, 3]
        for k in range(e_bits.shape[0]):
            r0, r1, r2, r3 = mont_mul(r0, r1, r2, r3, r0, r1, r2, r3, p0, p1, p2, p3, inv)
            if e_bits[k]:
                r0, r1, r2, r3 = mont_mul(r0, r1, r2, r3, x0, x1, x2, x3, p0, p1, p2, p3, inv)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r0, r1, r2, r3


@njit(cache=True)
def batch_inv(a, out, one, e_bits, p, inv):
    """Montgomery's trick: one exponentiation for the whole array; zeros map to zero."""
    n = a.shape[0]
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    acc = np.empty((n + 1, 4), dtype=np.uint64)
    acc[0] = one
    for i in range(n):
        if a[i, 0] == 0 and a[i, 1] == 0 and a[i, 2] == 0 and a[i, 3] == 0:
            acc[i + 1] = acc[i]
        else:
            r = mont_mul(acc[i, 0], acc[i, 1], acc[i, 2], acc[i, 3],
                         a[i, 0], a[i, 1], a[i, 2], a[i, 3], p0, p1, p2, p3, inv)
            acc[i + 1, 0], acc[i + 1, 1], acc[i + 1, 2], acc[i + 1, 3] = r
    tot = np.empty((1, 4), dtype=np.uint64)
    tot[0] = acc[n]
    pow_arr(tot, e_bits, tot, one, p, inv)  # total^(p-2)
    t0, t1, t2, t3 = tot[0, 0], tot[0, 1], tot[0, 2], tot[0, 3]
    for i in range(n - 1, -1, -1):
        if a[i, 0] == 0 and a[i, 1] == 0 and a[i, 2] == 0 and a[i, 3] == 0:
            out[i, 0] = out[i, 1] = out[i, 2] = out[i, 3] = ZERO
            continue
        a0, a1, a2, a3 = a[i, 0], a[i, 1], a[i, 2], a[i, 3]
        r = mont_mul(t0, t1, t2, t3, acc[i, 0], acc[i, 1], acc[i, 2], acc[i, 3],
                     p0, p1, p2, p3, inv)
        t0, t1, t2, t3 = mont_mul(t0, t1, t2, t3, a0, a1, a2, a3, p0, p1, p2, p3, inv)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r


@njit(cache=True)
def sum_arr(a, p):
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    s0 = s1 = s2 = s3 = ZERO
    for i in range(a.shape[0]):
        s0, s1, s2, s3 = mod_add(s0, s1, s2, s3, a[i, 0], a[i, 1], a[i, 2], a[i, 3],
                                 p0, p1, p2, p3)
    out = np.empty((1, 4), dtype=np.uint64)
    out[0, 0], out[0, 1], out[0, 2], out[0, 3] = s0, s1, s2, s3
    return out


@njit(cache=True)
def inner_arr(a, b, p, inv):
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    s0 = s1 = s2 = s3 = ZERO
    for i in range(a.shape[0]):
        m = mont_mul(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[i, 0], b[i, 1], b[i, 2], b[i, 3],
                     p0, p1, p2, p3, inv)
        s0, s1, s2, s3 = mod_add(s0, s1, s2, s3, m[0], m[1], m[2], m[3], p0, p1, p2, p3)
    out = np.empty((1, 4), dtype=np.uint64)
    out[0, 0], out[0, 1], out[0, 2], out[0, 3] = s0, s1, s2, s3
    return out


@njit(cache=True)
def powers_arr(x, out, one, p, inv):
    """out[i] = x^i."""
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    r0, r1, r2, r3 = one[0], one[1], one[2], one[3]
    for i in range(out.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r0, r1, r2, r3
        r0, r1, r2, r3 = mont_mul(r0, r1, r2, r3, x[0], x[1], x[2], x[3], p0, p1, p2, p3, inv)


@njit(cache=True)
def lt_p(a, p):
    """Per row: a < p (canonical check for decoded values)."""
    n = a.shape[0]
    ok = np.empty(n, dtype=np.bool_)
    for i in range(n):
        _, b = sbb(a[i, 0], p[0], ZERO)
        _, b = sbb(a[i, 1], p[1], b)
        _, b = sbb(a[i, 2], p[2], b)
        _, b = sbb(a[i, 3], p[3], b)
        ok[i] = b != ZERO
    return ok
