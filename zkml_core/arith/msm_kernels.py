"""Pippenger MSM kernels: GLV split, signed-digit windows, batch-affine buckets.

Every scalar k is first split as k1 + λ·k2 (:func:`glv_split`) with |k1|, |k2| about
sqrt(r), λ·P being (β·x, y) on these a = 0 curves (:func:`glv_points`): twice the points,
half the windows. Scalars above r/2 are negated first, so small negative witness values
are as cheap as small positive ones, and only the windows the largest magnitude needs
are summed.
Each window is independent work (``prange`` over windows, one parallel region). In a
window, every point with a non-zero digit d goes to bucket |d| (negated when d < 0).
Buckets are kept in affine form and additions are batched: a batch gathers up to
``BATCH`` (1024) additions into distinct buckets and shares one field inversion between them
(Montgomery's trick), so an addition costs about 6 multiplications instead of the 11
of a Jacobian mixed addition. A point whose bucket is already in the current batch
waits for the next round. Equal x coordinates (doubling or P + (-P)) are handled at
once outside the batch. Where the CPU has AVX-512 IFMA a batch runs eight additions at
a time (:func:`_flush_simd`, one running product per lane; ~40 instead of ~110 ns an
addition here). Buckets are then summed (sum_k k·B_k) in Jacobian form.
A window with few buckets for its points (a scalar's top window, small digits) keeps
up to ``COPIES_UPTO`` buckets in all by giving each bucket copies, so batches still
fill; windows with fewer than 256 buckets even so take Jacobian mixed additions.
Likewise, once a round places fewer than a fifth of the waiting points (witness columns
of small or repeated values crowd a few buckets), the rest take Jacobian additions.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from zkml_core.arith.ec_kernels import (
    Z4,
    _aff,
    _jget,
    _put,
    feq,
    fneg,
    jadd,
    jadd_mixed,
    jdouble,
    row,
)
from zkml_core.arith.llvm_ops import fa, fm, fs, mul_wide
from zkml_core.arith.simd_ops import (
    GROUP_WORDS,
    VEC_WORDS,
    affine_add8_bwd,
    affine_add8_fwd,
    simd_lanes,
)

U64 = np.uint64
BATCH = 1024
# windows with few buckets get copies of them, up to this many in all (see _window_sum)
COPIES_UPTO = 4096
# windows whose digits stay below this use Jacobian buckets (see _window_sum)
FEW_BUCKETS = 256


@njit(cache=True)
def _mac(t, a, b, carry):
    """t + a·b + carry (all uint64) as (low word, high word); fits 128 bits."""
    lo, hi = mul_wide(a, b)
    lo = lo + t
    hi = hi + U64(lo < t)
    lo = lo + carry
    hi = hi + U64(lo < carry)
    return lo, hi


@njit(cache=True)
def _addmul4(t0, t1, t2, t3, k, g):
    """(t0..t3) + k·g for a 4-limb k and one limb g, as 5 limbs."""
    t0, c = _mac(t0, k[0], g, U64(0))
    t1, c = _mac(t1, k[1], g, c)
    t2, c = _mac(t2, k[2], g, c)
    t3, c = _mac(t3, k[3], g, c)
    return t0, t1, t2, t3, c


@njit(cache=True)
def _round_mulhi(k, g):
    """round(k·g / 2^256) for a 4-limb k and a 3-limb g (tuples), as 3 limbs."""
    z = U64(0)
    _, t1, t2, t3, t4 = _addmul4(z, z, z, z, k, g[0])
    _, t2, t3, t4, t5 = _addmul4(t1, t2, t3, t4, k, g[1])
    _, t3, t4, t5, t6 = _addmul4(t2, t3, t4, t5, k, g[2])
    # + 2^255 rounds to nearest; k·g < 2^448 leaves room for the carry
    lo = t3 + U64(1 << 63)
    c = U64(lo < t3)
    t4 = t4 + c
    c = U64(t4 < c)
    t5 = t5 + c
    c = U64(t5 < c)
    return t4, t5, t6 + c


@njit(cache=True)
def _mul_lo3(x, y):
    """x·y mod 2^192 (3-limb tuples; two's complement, so signed values work)."""
    x0, x1, x2 = x
    y0, y1, y2 = y
    z = U64(0)
    r0, c = _mac(z, x0, y0, z)
    r1, c = _mac(z, x1, y0, c)
    r2 = x2 * y0 + c
    r1, c = _mac(r1, x0, y1, z)
    r2 = r2 + x1 * y1 + c + x0 * y2
    return r0, r1, r2


@njit(cache=True)
def _sub3(x, y):
    """x - y mod 2^192."""
    x0, x1, x2 = x
    y0, y1, y2 = y
    r0 = x0 - y0
    b = U64(x0 < y0)
    d = x1 - y1
    r1 = d - b
    b = U64(x1 < y1) | U64(d < b)
    return r0, r1, x2 - y2 - b


@njit(cache=True)
def _neg3(x):
    """-x mod 2^192."""
    z = U64(0)
    return _sub3((z, z, z), x)


@njit(cache=True)
def _bitlen(x0, x1, x2):
    """Bit length of the 3-limb x."""
    top, base = (x2, 128) if x2 else ((x1, 64) if x1 else (x0, 0))
    while top:
        top >>= U64(1)
        base += 1
    return base


@njit(cache=True)
def glv_split(S, r, G, gneg, AB, K, neg):
    """k = k1 + λ·k2 (mod r) with |k1|, |k2| about sqrt(r), for every scalar of S.

    S: (n, 4) canonical scalars. A scalar above r/2 is first replaced by r - k (and its
    sign remembered), so small negative witness values stay small. Then
    c1 = round(k·b2/det), c2 = round(-k·b1/det) from G = |2^256·b2/det|, |2^256·(-b1)/det|
    (signs in gneg), and k1 = k - c1·a1 - c2·a2, k2 = -c1·b1 - c2·b2 (mod 2^192; AB holds
    a1, b1, a2, b2 there), for the short lattice basis (a1, b1), (a2, b2) of
    {(x, y): x + λy = 0 mod r}. Writes magnitudes to K[i] (k1) and K[n + i] (k2),
    signs to neg; returns the largest magnitude's bit length.
    """
    n = S.shape[0]
    z = U64(0)
    g1 = (G[0, 0], G[0, 1], G[0, 2])
    g2 = (G[1, 0], G[1, 1], G[1, 2])
    a1 = (AB[0, 0], AB[0, 1], AB[0, 2])
    b1 = (AB[1, 0], AB[1, 1], AB[1, 2])
    a2 = (AB[2, 0], AB[2, 1], AB[2, 2])
    b2 = (AB[3, 0], AB[3, 1], AB[3, 2])
    r0, r1, r2, r3 = r[0], r[1], r[2], r[3]
    o0 = o1 = o2 = z  # OR of all magnitudes: its bit length is the largest one's
    for i in range(n):
        s0, s1, s2, s3 = S[i, 0], S[i, 1], S[i, 2], S[i, 3]
        # k > r/2, i.e. r - k < k (r odd): fold to r - k
        d0 = r0 - s0
        b = U64(r0 < s0)
        t = r1 - s1
        d1 = t - b
        b = U64(r1 < s1) | U64(t < b)
        t = r2 - s2
        d2 = t - b
        b = U64(r2 < s2) | U64(t < b)
        d3 = r3 - s3 - b
        big = (d3 < s3) or (d3 == s3 and (d2 < s2 or (d2 == s2 and (
            d1 < s1 or (d1 == s1 and d0 < s0)))))
        k = (d0, d1, d2, d3) if big else (s0, s1, s2, s3)
        c1 = _round_mulhi(k, g1)
        if gneg[0]:
            c1 = _neg3(c1)
        c2 = _round_mulhi(k, g2)
        if gneg[1]:
            c2 = _neg3(c2)
        k1 = _sub3(_sub3((k[0], k[1], k[2]), _mul_lo3(c1, a1)), _mul_lo3(c2, a2))
        k2 = _sub3(_sub3((z, z, z), _mul_lo3(c1, b1)), _mul_lo3(c2, b2))
        for h in range(2):
            kk = k1 if h == 0 else k2
            row = i + h * n
            sgn = (kk[2] >> U64(63)) != 0
            if sgn:
                kk = _neg3(kk)
            neg[row] = sgn != big
            K[row, 0], K[row, 1], K[row, 2], K[row, 3] = kk[0], kk[1], kk[2], z
            o0 |= kk[0]
            o1 |= kk[1]
            o2 |= kk[2]
    return _bitlen(o0, o1, o2)


@njit(cache=True)
def glv_points(A, K, beta, P, out):
    """Rows of K that are not zero, as points: A[i] for row i < n, φ(A[i]) = (β·x, y) for
    row n + i. Returns how many rows of ``out`` were written and their row numbers."""
    n = A.shape[0]
    rows = np.empty(2 * n, dtype=np.int64)
    m = 0
    for h in range(2):
        for i in range(n):
            row = h * n + i
            if K[row, 0] == 0 and K[row, 1] == 0 and K[row, 2] == 0 and K[row, 3] == 0:
                continue
            x, y = _aff(A, i)
            if h == 1:
                x = fm(x, beta, P)
            out[m, 0, 0], out[m, 0, 1], out[m, 0, 2], out[m, 0, 3] = x
            out[m, 1, 0], out[m, 1, 1], out[m, 1, 2], out[m, 1, 3] = y
            rows[m] = row
            m += 1
    return m, rows


@njit(cache=True)
def signed_digits(S, neg, rows, c, nwin):
    """Digits of S[rows[t]] (canonical limbs, negated where neg) in base 2^c, each in
    [-2^(c-1), 2^(c-1)]: (nwin, len(rows)) int32."""
    n = rows.shape[0]
    D = np.empty((nwin, n), dtype=np.int32)
    half = 1 << (c - 1)
    full = 1 << c
    mask = np.uint64(full - 1)
    for t in range(n):
        i = rows[t]
        carry = 0
        for w in range(nwin):
            bit = w * c
            limb = bit // 64
            off = bit % 64
            v = 0
            if limb < 4:
                v = np.int64((S[i, limb] >> np.uint64(off)) & mask)
                if off + c > 64 and limb + 1 < 4:
                    v |= np.int64((S[i, limb + 1] << np.uint64(64 - off)) & mask)
            v += carry
            if v > half:
                v -= full
                carry = 1
            else:
                carry = 0
            D[w, t] = -v if neg[i] else v
    return D


@njit(cache=True)
def _finv(a, P, ONE, inv_bits):
    """a^(q-2) = a^-1 (a != 0)."""
    t = ONE
    for k in range(inv_bits.shape[0]):
        t = fm(t, t, P)
        if inv_bits[k]:
            t = fm(t, a, P)
    return t


@njit(cache=True)
def _bget(Bk, k):
    return ((Bk[k, 0], Bk[k, 1], Bk[k, 2], Bk[k, 3]), (Bk[k, 4], Bk[k, 5], Bk[k, 6], Bk[k, 7]))


@njit(cache=True)
def _bput(Bk, k, x, y):
    Bk[k, 0], Bk[k, 1], Bk[k, 2], Bk[k, 3] = x
    Bk[k, 4], Bk[k, 5], Bk[k, 6], Bk[k, 7] = y


@njit(cache=True)
def _flush(Bk, inb, bk, bxy, cnt, pref, P, ONE, inv_bits):
    """Apply the batched additions Bk[bk[j]] += (x, y) = bxy[j], j < cnt (one inversion).

    ``bxy[j]`` holds the point (sign already applied) as x ‖ y; its slots 8..11 take the
    denominator x - x_bucket between the two passes.
    """
    acc = ONE
    for j in range(cnt):
        bx, _ = _bget(Bk, bk[j])
        x, _ = _bget(bxy, j)
        den = fs(x, bx, P)
        bxy[j, 8], bxy[j, 9], bxy[j, 10], bxy[j, 11] = den
        pref[j, 0], pref[j, 1], pref[j, 2], pref[j, 3] = acc
        acc = fm(acc, den, P)
    inv = _finv(acc, P, ONE, inv_bits)
    for j in range(cnt - 1, -1, -1):
        k = bk[j]
        bx, by = _bget(Bk, k)
        x, y = _bget(bxy, j)
        den = (bxy[j, 8], bxy[j, 9], bxy[j, 10], bxy[j, 11])
        dinv = fm(inv, row(pref, j), P)
        inv = fm(inv, den, P)
        lam = fm(fs(y, by, P), dinv, P)
        x3 = fs(fs(fm(lam, lam, P), bx, P), x, P)
        y3 = fs(fm(lam, fs(bx, x3, P), P), by, P)
        _bput(Bk, k, x3, y3)
        inb[k] = False


@njit(cache=True)
def _to52(x):
    """Four 64-bit limbs as five 52-bit ones."""
    m = U64((1 << 52) - 1)
    return (x[0] & m, ((x[0] >> U64(52)) | (x[1] << U64(12))) & m,
            ((x[1] >> U64(40)) | (x[2] << U64(24))) & m,
            ((x[2] >> U64(28)) | (x[3] << U64(36))) & m, x[3] >> U64(16))


@njit(cache=True)
def _lane(acc, lane):
    """Lane ``lane`` of a five-limb vector in 52-bit radix, as four 64-bit limbs."""
    v0, v1, v2, v3, v4 = acc[lane], acc[8 + lane], acc[16 + lane], acc[24 + lane], acc[32 + lane]
    return (v0 | (v1 << U64(52)), (v1 >> U64(12)) | (v2 << U64(40)),
            (v2 >> U64(24)) | (v3 << U64(28)), (v3 >> U64(36)) | (v4 << U64(16)))


@njit(cache=True)
def _set_lane(acc, lane, x):
    v = _to52(x)
    for k in range(5):
        acc[8 * k + lane] = v[k]


@njit(cache=True)
def _flush_simd(Bk, inb, bk, bxy, cnt, st, acc, spare, P, ONE, inv_bits):
    """:func:`_flush` eight entries at a time (AVX-512 IFMA, see simd_ops).

    The batch is padded to whole groups with entries adding (1, 0) to the spare bucket
    row (zeroed first), whose denominators are 1.
    """
    ngrp = (cnt + 7) // 8
    for j in range(cnt, 8 * ngrp):
        bk[j] = spare
        bxy[j, 0], bxy[j, 1], bxy[j, 2], bxy[j, 3] = ONE
        for k in range(4, 8):
            bxy[j, k] = 0
    for k in range(8):
        Bk[spare, k] = 0
    for lane in range(8):
        _set_lane(acc, lane, ONE)
    p0, p1, p2, p3, inv = P
    for g in range(ngrp):
        affine_add8_fwd(Bk, bk, bxy, st, acc, g, p0, p1, p2, p3, inv)
    # the eight lanes' products -> their inverses (Montgomery's trick, one inversion)
    pre = np.empty((9, 4), dtype=np.uint64)
    pre[0, 0], pre[0, 1], pre[0, 2], pre[0, 3] = ONE
    for lane in range(8):
        pre[lane + 1, 0], pre[lane + 1, 1], pre[lane + 1, 2], pre[lane + 1, 3] = fm(
            row(pre, lane), _lane(acc, lane), P)
    t = _finv(row(pre, 8), P, ONE, inv_bits)
    for lane in range(7, -1, -1):
        x = _lane(acc, lane)
        _set_lane(acc, lane, fm(t, row(pre, lane), P))
        t = fm(t, x, P)
    for g in range(ngrp - 1, -1, -1):
        affine_add8_bwd(Bk, bk, bxy, st, acc, g, p0, p1, p2, p3, inv)
    for j in range(cnt):
        inb[bk[j]] = False


@njit(cache=True)
def simd_available():
    """Whether :func:`_flush_simd` runs here (AVX-512 IFMA on the compiling CPU)."""
    return simd_lanes() > 0


@njit(cache=True)
def _flush_any(Bk, inb, bk, bxy, cnt, pref, st, acc, spare, P, ONE, inv_bits):
    if simd_lanes() and cnt >= 32:
        _flush_simd(Bk, inb, bk, bxy, cnt, st, acc, spare, P, ONE, inv_bits)
    else:
        _flush(Bk, inb, bk, bxy, cnt, pref, P, ONE, inv_bits)


@njit(cache=True)
def _affine_double(x, y, P, ONE, inv_bits):
    # lambda = 3x^2 / 2y; y != 0 because these groups have odd order
    xx = fm(x, x, P)
    num = fa(fa(xx, xx, P), xx, P)
    lam = fm(num, _finv(fa(y, y, P), P, ONE, inv_bits), P)
    x3 = fs(fs(fm(lam, lam, P), x, P), x, P)
    y3 = fs(fm(lam, fs(x, x3, P), P), y, P)
    return x3, y3


@njit(cache=True)
def _window_sum_jacobian(A, D, w, todo, ntodo, nb, P, ONE, out, slot):
    """Few buckets (top windows): Jacobian mixed additions, no batching."""
    B = np.zeros((nb, 3, 4), dtype=np.uint64)
    for t in range(ntodo):
        i = todo[t]
        d = D[w, i]
        x, y = _aff(A, i)
        if d < 0:
            y = fneg(y, P)
            d = -d
        X, Y, Z = _jget(B, d - 1)
        X, Y, Z = jadd_mixed(X, Y, Z, x, y, ONE, P)
        _put(B, d - 1, X, Y, Z)
    RX, RY, RZ = Z4, Z4, Z4
    TX, TY, TZ = Z4, Z4, Z4
    for k in range(nb - 1, -1, -1):
        bX, bY, bZ = _jget(B, k)
        RX, RY, RZ = jadd(RX, RY, RZ, bX, bY, bZ, P)
        TX, TY, TZ = jadd(TX, TY, TZ, RX, RY, RZ, P)
    _put(out, slot, TX, TY, TZ)


@njit(cache=True)
def _window_sum(A, D, w, P, ONE, inv_bits, out, slot):
    """out[slot] (Jacobian) = sum_i D[w, i]·A[i]."""
    n = A.shape[0]
    todo = np.empty(n, dtype=np.int64)
    ntodo = 0
    nb = 0  # buckets in use: the largest |digit| of this window
    for i in range(n):
        d = D[w, i]
        if d != 0:
            todo[ntodo] = i
            ntodo += 1
            nb = max(nb, -d if d < 0 else d)
    # Few buckets for many points (a scalar's top window, small digits): S copies of
    # every bucket, point i going to copy i mod S, so that a batch can fill with distinct
    # buckets; the copies meet again in the running sum below.
    S = 1
    while 0 < S * nb < COPIES_UPTO and ntodo >= 16 * S * nb:
        S *= 2
    nv = nb * S  # buckets with their copies: digit d, copy s at (d - 1)·S + s
    if nv < FEW_BUCKETS:
        # a batch could hold only a few distinct buckets: an inversion per few additions
        _window_sum_jacobian(A, D, w, todo, np.int64(ntodo), np.int64(nb), P, ONE, out, slot)
        return
    smask = S - 1
    # a batch of a quarter of the buckets: about 1 in 8 points waits a round
    batch = min(BATCH, nv // 4)
    Bk = np.zeros((nv + 1, 8), dtype=np.uint64)  # affine buckets x ‖ y, a spare row
    full = np.zeros(nv, dtype=np.bool_)
    inb = np.zeros(nv, dtype=np.bool_)
    lanes = simd_lanes()  # 8 with AVX-512 IFMA (a compile-time constant), else 0
    bk = np.empty(batch + 8, dtype=np.int64)  # room to pad a batch to whole groups
    bxy = np.empty((batch + 8, 12), dtype=np.uint64)
    pref = np.empty((batch, 4), dtype=np.uint64)
    st = np.empty(((batch + 7) // 8 if lanes else 0, GROUP_WORDS), dtype=np.uint64)
    acc = np.empty(VEC_WORDS, dtype=np.uint64)
    wait = np.empty(n, dtype=np.int64)
    while ntodo > 0:
        nwait = 0
        cnt = np.int64(0)  # not the literal 0: that would compile the flushes twice
        for t in range(ntodo):
            i = todo[t]
            d = D[w, i]
            neg = d < 0
            k = ((-d if neg else d) - 1) * S + (i & smask)
            if inb[k]:
                wait[nwait] = i
                nwait += 1
                continue
            x, y = _aff(A, i)
            if neg:
                y = fneg(y, P)
            if not full[k]:
                _bput(Bk, k, x, y)
                full[k] = True
                continue
            bx, by = _bget(Bk, k)
            if feq(x, bx):
                if feq(y, by):
                    x3, y3 = _affine_double(x, y, P, ONE, inv_bits)
                    _bput(Bk, k, x3, y3)
                else:
                    full[k] = False
                continue
            bk[cnt] = k
            _bput(bxy, cnt, x, y)
            inb[k] = True
            cnt += 1
            if cnt == batch:
                _flush_any(Bk, inb, bk, bxy, cnt, pref, st, acc, nv, P, ONE, inv_bits)
                cnt = np.int64(0)
        if cnt:
            _flush_any(Bk, inb, bk, bxy, cnt, pref, st, acc, nv, P, ONE, inv_bits)
        done = ntodo - nwait
        todo, wait = wait, todo
        ntodo = nwait
        if done * 4 < ntodo:
            break  # a few buckets take most points (small or repeated scalars): see below
    # Points left after a round that placed few of them crowd into a few buckets; more
    # rounds would cost a pass over them and an inversion per handful of additions
    # (quadratic), so they go to Jacobian buckets with mixed additions instead.
    J = np.zeros((nb if ntodo > 0 else 1, 3, 4), dtype=np.uint64)
    jused = np.zeros(nb, dtype=np.bool_)
    for t in range(ntodo):
        i = todo[t]
        d = D[w, i]
        x, y = _aff(A, i)
        if d < 0:
            y = fneg(y, P)
            d = -d
        X, Y, Z = _jget(J, d - 1)
        X, Y, Z = jadd_mixed(X, Y, Z, x, y, ONE, P)
        _put(J, d - 1, X, Y, Z)
        jused[d - 1] = True
    # sum_k (k+1)·B_k by a running sum from the top (B_k: the copies of bucket k)
    RX, RY, RZ = Z4, Z4, Z4
    TX, TY, TZ = Z4, Z4, Z4
    for v in range(nv - 1, -1, -1):
        if full[v]:
            x, y = _bget(Bk, v)
            RX, RY, RZ = jadd_mixed(RX, RY, RZ, x, y, ONE, P)
        if (v & smask) == 0:
            k = v // S
            if jused[k]:
                bX, bY, bZ = _jget(J, k)
                RX, RY, RZ = jadd(RX, RY, RZ, bX, bY, bZ, P)
            TX, TY, TZ = jadd(TX, TY, TZ, RX, RY, RZ, P)
    _put(out, slot, TX, TY, TZ)


@njit(cache=True, parallel=True)
def msm_kernel(A, D, c, P, ONE, inv_bits, out):
    """out[0] (Jacobian) = sum_i scalar_i · A[i], digits D from :func:`signed_digits`.

    No point of A may be the point at infinity (the caller drops them).
    """
    nwin = D.shape[0]
    W = np.zeros((nwin, 3, 4), dtype=np.uint64)
    for w in prange(nwin):
        # one index type for the parallel and the serial typing: one compilation
        _window_sum(A, D, np.int64(w), P, ONE, inv_bits, W, np.int64(w))
    X, Y, Z = Z4, Z4, Z4
    for w in range(nwin - 1, -1, -1):
        for _ in range(c):
            X, Y, Z = jdouble(X, Y, Z, P)
        wX, wY, wZ = _jget(W, w)
        X, Y, Z = jadd(X, Y, Z, wX, wY, wZ, P)
    _put(out, 0, X, Y, Z)
