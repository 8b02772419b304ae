"""Pippenger MSM kernels: signed-digit windows, batch-affine bucket accumulation.

Each window is independent work (``prange`` over windows, one parallel region). In a
window, every point with a non-zero digit d goes to bucket |d| (negated when d < 0).
Buckets are kept in affine form and additions are batched: a batch gathers up to
``BATCH`` (1024) additions into distinct buckets and shares one field inversion between them
(Montgomery's trick), so an addition costs about 6 multiplications instead of the 11
of a Jacobian mixed addition. A point whose bucket is already in the current batch
waits for the next round. Equal x coordinates (doubling or P + (-P)) are handled at
once outside the batch. Buckets are then summed (sum_k k·B_k) in Jacobian form.
Windows with few buckets in use (the top window of a scalar has only a few bits) take
Jacobian mixed additions instead: there a batch could not fill with distinct buckets.
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
from zkml_core.arith.llvm_ops import fa, fm, fs

BATCH = 1024
# windows whose digits stay below this use Jacobian buckets (see _window_sum)
FEW_BUCKETS = 256


@njit(cache=True)
def signed_digits(S, c, nwin):
    """Scalars (canonical limbs) to signed base-2^c digits in [-2^(c-1), 2^(c-1)], (nwin, n)."""
    n = S.shape[0]
    D = np.empty((nwin, n), dtype=np.int32)
    half = 1 << (c - 1)
    full = 1 << c
    mask = np.uint64(full - 1)
    for i in range(n):
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
            D[w, i] = v
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
    if nb < FEW_BUCKETS:
        # a batch could hold only a few distinct buckets: an inversion per few additions
        _window_sum_jacobian(A, D, w, todo, ntodo, nb, P, ONE, out, slot)
        return
    # a batch of a quarter of the buckets: about 1 in 8 points waits a round
    batch = min(BATCH, nb // 4)
    Bk = np.zeros((nb, 8), dtype=np.uint64)  # affine buckets x ‖ y
    full = np.zeros(nb, dtype=np.bool_)
    inb = np.zeros(nb, dtype=np.bool_)
    bk = np.empty(batch, dtype=np.int64)
    bxy = np.empty((batch, 12), dtype=np.uint64)
    pref = np.empty((batch, 4), dtype=np.uint64)
    wait = np.empty(n, dtype=np.int64)
    while ntodo > 0:
        nwait = 0
        cnt = 0
        for t in range(ntodo):
            i = todo[t]
            d = D[w, i]
            neg = d < 0
            k = (-d if neg else d) - 1
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
                _flush(Bk, inb, bk, bxy, cnt, pref, P, ONE, inv_bits)
                cnt = 0
        if cnt:
            _flush(Bk, inb, bk, bxy, cnt, pref, P, ONE, inv_bits)
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
    # sum_k (k+1)·B_k by a running sum from the top
    RX, RY, RZ = Z4, Z4, Z4
    TX, TY, TZ = Z4, Z4, Z4
    for k in range(nb - 1, -1, -1):
        if full[k]:
            x, y = _bget(Bk, k)
            RX, RY, RZ = jadd_mixed(RX, RY, RZ, x, y, ONE, P)
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
        _window_sum(A, D, w, P, ONE, inv_bits, W, w)
    X, Y, Z = Z4, Z4, Z4
    for w in range(nwin - 1, -1, -1):
        for _ in range(c):
            X, Y, Z = jdouble(X, Y, Z, P)
        wX, wY, wZ = _jget(W, w)
        X, Y, Z = jadd(X, Y, Z, wX, wY, wZ, P)
    _put(out, 0, X, Y, Z)
