"""Montgomery arithmetic kernels on 4 x 64-bit limbs (numba).

Every kernel takes the modulus as a ``(4,)`` uint64 array ``p`` and ``inv = -p^-1 mod
2^64``, so BN254 Fr/Fq and Pasta Fp/Fq share one compiled code path (one signature per
kernel). Values are always fully reduced (< p), so equality is limb equality.

The limb arithmetic itself (CIOS Montgomery multiplication with 64x64 -> 128-bit
products, modular add / sub) is emitted as LLVM IR by :mod:`zkml_core.arith.llvm_ops`;
the array multiplication takes eight rows at a time in AVX-512 IFMA where the CPU has it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from zkml_core.arith.llvm_ops import mod_add, mod_sub, mont_mul
from zkml_core.arith.simd_ops import mont_mul8, mont_mul8_b1, vector_rows

U64 = np.uint64
ZERO = U64(0)
ONE = U64(1)


# -- array kernels: out[i] = op(a[i], b[i or 0]) -----------------------------------------


@njit(cache=True, parallel=True)
def mul_arr_parallel(a, b, out, p, inv):
    n = a.shape[0]
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    w = vector_rows(a, b, out)  # a compile-time constant: 8 with AVX-512 IFMA, else 0
    nblk = n // w if w else 0
    if b.shape[0] == 1:
        for k in prange(nblk):
            mont_mul8_b1(a, b, out, k * w, p0, p1, p2, p3, inv)
    else:
        for k in prange(nblk):
            mont_mul8(a, b, out, k * w, p0, p1, p2, p3, inv)
    # broadcast b's single row without a branch typed differently from the loop index
    mask = ZERO if b.shape[0] == 1 else ~ZERO
    for i in prange(nblk * w, n):
        j = i & mask
        r = mont_mul(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3],
                     p0, p1, p2, p3, inv)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r


@njit(cache=True)
def mul_arr_serial(a, b, out, p, inv):
    n = a.shape[0]
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    w = vector_rows(a, b, out)
    start = n - n % w if w else 0
    if w and b.shape[0] == 1:
        for i in range(0, start, w):
            mont_mul8_b1(a, b, out, i, p0, p1, p2, p3, inv)
    elif w:
        for i in range(0, start, w):
            mont_mul8(a, b, out, i, p0, p1, p2, p3, inv)
    mask = ZERO if b.shape[0] == 1 else ~ZERO
    for i in range(start, n):
        j = i & mask
        r = mont_mul(a[i, 0], a[i, 1], a[i, 2], a[i, 3], b[j, 0], b[j, 1], b[j, 2], b[j, 3],
                     p0, p1, p2, p3, inv)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r


#: below this many elements the thread pool's wake-up costs more than it saves (a
#: parallel call on 1024 elements took ~12 ms on a loaded machine, a serial one 0.02 ms)
PARALLEL_MIN = 1 << 14


def mul_arr(a, b, out, p, inv):
    """out[i] = a[i] * b[i or 0] (Montgomery); threads only for large arrays."""
    if a.shape[0] >= PARALLEL_MIN:
        mul_arr_parallel(a, b, out, p, inv)
    else:
        mul_arr_serial(a, b, out, p, inv)


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
        ok[i] = False
        for k in range(3, -1, -1):  # most significant limb first
            if a[i, k] != p[k]:
                ok[i] = a[i, k] < p[k]
                break
    return ok


@njit(cache=True)
def _is_one(r0, r1, r2, r3, one):
    return r0 == one[0] and r1 == one[1] and r2 == one[2] and r3 == one[3]


@njit(cache=True, parallel=True)
def sqrt_arr(a, out, ok, w_bits, s, c, one, p, inv):
    """Tonelli-Shanks per row: out[i]² = a[i] and ok[i] when a[i] is a square.

    p - 1 = Q·2^s; ``w_bits`` are the bits of (Q - 1)/2 (most significant first) and
    ``c`` = z^Q for a non-residue z, both in Montgomery form. One exponentiation
    w = a^((Q-1)/2) gives t = a·w² = a^Q and r = a·w = a^((Q+1)/2).
    """
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    for i in prange(a.shape[0]):
        a0, a1, a2, a3 = a[i, 0], a[i, 1], a[i, 2], a[i, 3]
        out[i, 0] = out[i, 1] = out[i, 2] = out[i, 3] = ZERO
        ok[i] = True
        if a0 == 0 and a1 == 0 and a2 == 0 and a3 == 0:
            continue
        w0, w1, w2, w3 = one[0], one[1], one[2], one[3]
        for k in range(w_bits.shape[0]):
            w0, w1, w2, w3 = mont_mul(w0, w1, w2, w3, w0, w1, w2, w3, p0, p1, p2, p3, inv)
            if w_bits[k]:
                w0, w1, w2, w3 = mont_mul(w0, w1, w2, w3, a0, a1, a2, a3, p0, p1, p2, p3, inv)
        r0, r1, r2, r3 = mont_mul(a0, a1, a2, a3, w0, w1, w2, w3, p0, p1, p2, p3, inv)
        t0, t1, t2, t3 = mont_mul(r0, r1, r2, r3, w0, w1, w2, w3, p0, p1, p2, p3, inv)
        c0, c1, c2, c3 = c[0], c[1], c[2], c[3]
        m = s
        while not _is_one(t0, t1, t2, t3, one):
            # least j with t^(2^j) = 1; j = m means a is not a square
            j = 0
            u0, u1, u2, u3 = t0, t1, t2, t3
            while j < m and not _is_one(u0, u1, u2, u3, one):
                u0, u1, u2, u3 = mont_mul(u0, u1, u2, u3, u0, u1, u2, u3, p0, p1, p2, p3, inv)
                j += 1
            if j == m:
                ok[i] = False
                break
            b0, b1, b2, b3 = c0, c1, c2, c3
            for _ in range(m - j - 1):
                b0, b1, b2, b3 = mont_mul(b0, b1, b2, b3, b0, b1, b2, b3, p0, p1, p2, p3, inv)
            m = j
            c0, c1, c2, c3 = mont_mul(b0, b1, b2, b3, b0, b1, b2, b3, p0, p1, p2, p3, inv)
            t0, t1, t2, t3 = mont_mul(t0, t1, t2, t3, c0, c1, c2, c3, p0, p1, p2, p3, inv)
            r0, r1, r2, r3 = mont_mul(r0, r1, r2, r3, b0, b1, b2, b3, p0, p1, p2, p3, inv)
        if ok[i]:
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = r0, r1, r2, r3
