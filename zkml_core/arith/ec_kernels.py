"""Short-Weierstrass (a = 0) point kernels in Jacobian coordinates (numba).

Field elements are 4-tuples of Montgomery limbs; ``P`` is the base field as the tuple
``(p0, p1, p2, p3, inv)`` and ``ONE`` its Montgomery one, passed in so BN254 and the
Pasta curves share one compiled code path. A Jacobian point is ``(X, Y, Z)`` with
Z = 0 for infinity; affine arrays use x = y = 0 for infinity (no curve here has a
point with x = 0, since b is not a square).
Formulas: dbl-2009-l, madd-2007-bl and add-2007-bl (a = 0), with the doubling and
infinity cases handled explicitly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from zkml_core.arith.kernels import ZERO
from zkml_core.arith.llvm_ops import fa, fm, fs

Z4 = (ZERO, ZERO, ZERO, ZERO)


@njit(cache=True)
def is_zero(a):
    return a[0] == 0 and a[1] == 0 and a[2] == 0 and a[3] == 0


@njit(cache=True)
def feq(a, b):
    return a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and a[3] == b[3]


@njit(cache=True)
def row(arr, i):
    return (arr[i, 0], arr[i, 1], arr[i, 2], arr[i, 3])


@njit(cache=True)
def jdouble(X, Y, Z, P):
    if is_zero(Z):
        return X, Y, Z
    A = fm(X, X, P)
    B = fm(Y, Y, P)
    C = fm(B, B, P)
    t = fa(X, B, P)
    t = fm(t, t, P)
    t = fs(fs(t, A, P), C, P)
    D = fa(t, t, P)
    E = fa(fa(A, A, P), A, P)
    F = fm(E, E, P)
    X3 = fs(F, fa(D, D, P), P)
    C8 = fa(C, C, P)
    C8 = fa(C8, C8, P)
    C8 = fa(C8, C8, P)
    Y3 = fs(fm(E, fs(D, X3, P), P), C8, P)
    YZ = fm(Y, Z, P)
    Z3 = fa(YZ, YZ, P)
    return X3, Y3, Z3


@njit(cache=True)
def jadd_mixed(X1, Y1, Z1, x2, y2, ONE, P):
    """Jacobian + affine (x2, y2 not infinity)."""
    if is_zero(Z1):
        return x2, y2, ONE
    Z1Z1 = fm(Z1, Z1, P)
    U2 = fm(x2, Z1Z1, P)
    S2 = fm(y2, fm(Z1, Z1Z1, P), P)
    H = fs(U2, X1, P)
    rr = fs(S2, Y1, P)
    if is_zero(H):
        if is_zero(rr):
            return jdouble(X1, Y1, Z1, P)
        return Z4, Z4, Z4
    HH = fm(H, H, P)
    I2 = fa(HH, HH, P)
    I4 = fa(I2, I2, P)
    J = fm(H, I4, P)
    r = fa(rr, rr, P)
    V = fm(X1, I4, P)
    X3 = fs(fs(fm(r, r, P), J, P), fa(V, V, P), P)
    YJ = fm(Y1, J, P)
    Y3 = fs(fm(r, fs(V, X3, P), P), fa(YJ, YJ, P), P)
    t = fa(Z1, H, P)
    Z3 = fs(fs(fm(t, t, P), Z1Z1, P), HH, P)
    return X3, Y3, Z3


@njit(cache=True)
def jadd(X1, Y1, Z1, X2, Y2, Z2, P):
    if is_zero(Z1):
        return X2, Y2, Z2
    if is_zero(Z2):
        return X1, Y1, Z1
    Z1Z1 = fm(Z1, Z1, P)
    Z2Z2 = fm(Z2, Z2, P)
    U1 = fm(X1, Z2Z2, P)
    U2 = fm(X2, Z1Z1, P)
    S1 = fm(Y1, fm(Z2, Z2Z2, P), P)
    S2 = fm(Y2, fm(Z1, Z1Z1, P), P)
    H = fs(U2, U1, P)
    rr = fs(S2, S1, P)
    if is_zero(H):
        if is_zero(rr):
            return jdouble(X1, Y1, Z1, P)
        return Z4, Z4, Z4
    H2 = fa(H, H, P)
    I = fm(H2, H2, P)  # noqa: E741 (the formula's name)
    J = fm(H, I, P)
    r = fa(rr, rr, P)
    V = fm(U1, I, P)
    X3 = fs(fs(fm(r, r, P), J, P), fa(V, V, P), P)
    SJ = fm(S1, J, P)
    Y3 = fs(fm(r, fs(V, X3, P), P), fa(SJ, SJ, P), P)
    t = fa(Z1, Z2, P)
    Z3 = fm(fs(fs(fm(t, t, P), Z1Z1, P), Z2Z2, P), H, P)
    return X3, Y3, Z3


@njit(cache=True)
def fneg(a, P):
    if is_zero(a):
        return a
    return fs(Z4, a, P)


# -- array kernels -------------------------------------------------------------------------


@njit(cache=True)
def jac_to_affine(J, out, P, ONE, inv_bits):
    """Batch normalisation (one inversion for the whole array)."""
    n = J.shape[0]
    pref = np.empty((n + 1, 4), dtype=np.uint64)
    pref[0, 0], pref[0, 1], pref[0, 2], pref[0, 3] = ONE
    for i in range(n):
        z = (J[i, 2, 0], J[i, 2, 1], J[i, 2, 2], J[i, 2, 3])
        acc = row(pref, i)
        if is_zero(z):
            r = acc
        else:
            r = fm(acc, z, P)
        pref[i + 1, 0], pref[i + 1, 1], pref[i + 1, 2], pref[i + 1, 3] = r
    # total^(q-2)
    t = ONE
    base = row(pref, n)
    for k in range(inv_bits.shape[0]):
        t = fm(t, t, P)
        if inv_bits[k]:
            t = fm(t, base, P)
    for i in range(n - 1, -1, -1):
        z = (J[i, 2, 0], J[i, 2, 1], J[i, 2, 2], J[i, 2, 3])
        if is_zero(z):
            for limb in range(4):
                out[i, 0, limb] = ZERO
                out[i, 1, limb] = ZERO
            continue
        zinv = fm(t, row(pref, i), P)
        t = fm(t, z, P)
        zi2 = fm(zinv, zinv, P)
        zi3 = fm(zi2, zinv, P)
        x = fm((J[i, 0, 0], J[i, 0, 1], J[i, 0, 2], J[i, 0, 3]), zi2, P)
        y = fm((J[i, 1, 0], J[i, 1, 1], J[i, 1, 2], J[i, 1, 3]), zi3, P)
        out[i, 0, 0], out[i, 0, 1], out[i, 0, 2], out[i, 0, 3] = x
        out[i, 1, 0], out[i, 1, 1], out[i, 1, 2], out[i, 1, 3] = y


@njit(cache=True)
def _aff(A, i):
    return ((A[i, 0, 0], A[i, 0, 1], A[i, 0, 2], A[i, 0, 3]),
            (A[i, 1, 0], A[i, 1, 1], A[i, 1, 2], A[i, 1, 3]))


@njit(cache=True)
def _put(J, i, X, Y, Z):
    J[i, 0, 0], J[i, 0, 1], J[i, 0, 2], J[i, 0, 3] = X
    J[i, 1, 0], J[i, 1, 1], J[i, 1, 2], J[i, 1, 3] = Y
    J[i, 2, 0], J[i, 2, 1], J[i, 2, 2], J[i, 2, 3] = Z


@njit(cache=True)
def _jget(J, i):
    return ((J[i, 0, 0], J[i, 0, 1], J[i, 0, 2], J[i, 0, 3]),
            (J[i, 1, 0], J[i, 1, 1], J[i, 1, 2], J[i, 1, 3]),
            (J[i, 2, 0], J[i, 2, 1], J[i, 2, 2], J[i, 2, 3]))


@njit(cache=True)
def add_affine_arr(A, B, out_jac, P, ONE):
    """out = A + B elementwise (affine in, Jacobian out)."""
    for i in range(A.shape[0]):
        x1, y1 = _aff(A, i)
        x2, y2 = _aff(B, i)
        if is_zero(x1) and is_zero(y1):
            X, Y, Z = x2, y2, (ONE if not (is_zero(x2) and is_zero(y2)) else Z4)
        elif is_zero(x2) and is_zero(y2):
            X, Y, Z = x1, y1, ONE
        else:
            X, Y, Z = jadd_mixed(x1, y1, ONE, x2, y2, ONE, P)
        _put(out_jac, i, X, Y, Z)


@njit(cache=True)
def group_sums(A, gid, out_jac, P, ONE):
    """out_jac[g] += A[i] for every i with gid[i] = g >= 0 (out_jac starts at infinity)."""
    for i in range(A.shape[0]):
        g = gid[i]
        if g < 0:
            continue
        x, y = _aff(A, i)
        if is_zero(x) and is_zero(y):
            continue
        X, Y, Z = _jget(out_jac, g)
        X, Y, Z = jadd_mixed(X, Y, Z, x, y, ONE, P)
        _put(out_jac, g, X, Y, Z)


@njit(cache=True)
def double_affine_arr(A, out_jac, P, ONE):
    for i in range(A.shape[0]):
        x1, y1 = _aff(A, i)
        if is_zero(x1) and is_zero(y1):
            _put(out_jac, i, Z4, Z4, Z4)
        else:
            X, Y, Z = jdouble(x1, y1, ONE, P)
            _put(out_jac, i, X, Y, Z)


@njit(cache=True, parallel=True)
def scalar_mul_arr(A, S, out_jac, P, ONE):
    """out[i] = S[i]·A[i]; S canonical (not Montgomery) scalars as (n,4) limbs."""
    for i in prange(A.shape[0]):
        x, y = _aff(A, i)
        X, Y, Z = Z4, Z4, Z4
        if not (is_zero(x) and is_zero(y)):
            for limb in range(3, -1, -1):
                w = S[i, limb]
                for b in range(63, -1, -1):
                    X, Y, Z = jdouble(X, Y, Z, P)
                    if (w >> np.uint64(b)) & np.uint64(1):
                        X, Y, Z = jadd_mixed(X, Y, Z, x, y, ONE, P)
        _put(out_jac, i, X, Y, Z)


@njit(cache=True)
def _mul_same_one(A, i, D, neg, beta, T, out_jac, P, ONE):
    x, y = _aff(A, i)
    if is_zero(x) and is_zero(y):
        _put(out_jac, i, Z4, Z4, Z4)
        return
    _put(T, 0, x, y, ONE)
    X, Y, Z = jdouble(x, y, ONE, P)
    _put(T, 1, X, Y, Z)
    for j in range(2, 8):  # (j + 1)·A[i] = j·A[i] + A[i]
        X, Y, Z = jadd_mixed(X, Y, Z, x, y, ONE, P)
        _put(T, j, X, Y, Z)
    AX, AY, AZ = Z4, Z4, Z4
    for t in range(D.shape[1]):
        for _ in range(4):
            AX, AY, AZ = jdouble(AX, AY, AZ, P)
        for h in range(2):
            d = D[h, t]
            if d != 0:
                X, Y, Z = _jget(T, (d if d > 0 else -d) - 1)
                if h == 1:
                    X = fm(X, beta, P)
                if (d < 0) != neg[h]:
                    Y = fneg(Y, P)
                AX, AY, AZ = jadd(AX, AY, AZ, X, Y, Z, P)
    _put(out_jac, i, AX, AY, AZ)


@njit(cache=True, parallel=True)
def mul_same_arr(A, D, neg, beta, out_jac, P, ONE):
    """out[i] = k·A[i] for one scalar k = k1 + λ·k2 (GLV): D[h] are the signed base-16
    digits of |k_h| (most significant first, in [-7, 8]), neg[h] its sign; λ acts as
    (X, Y, Z) -> (β·X, Y, Z). Per point a table of 1..8 times A[i] serves both halves
    (one table array per block of points: an allocation per point would cost more)."""
    n = A.shape[0]
    blk = 256
    for b in prange((n + blk - 1) // blk):
        T = np.empty((8, 3, 4), dtype=np.uint64)
        for i in range(b * blk, min(n, (b + 1) * blk)):
            _mul_same_one(A, i, D, neg, beta, T, out_jac, P, ONE)


@njit(cache=True)
def on_curve_arr(A, b, P):
    n = A.shape[0]
    ok = np.empty(n, dtype=np.bool_)
    for i in range(n):
        x, y = _aff(A, i)
        if is_zero(x) and is_zero(y):
            ok[i] = True
            continue
        lhs = fm(y, y, P)
        rhs = fa(fm(fm(x, x, P), x, P), b, P)
        ok[i] = feq(lhs, rhs)
    return ok


# -- fixed-base multiplication (SRS generation) ----------------------------------------


@njit(cache=True)
def fixed_base_table(gx, gy, c, nwin, P, ONE, outJ):
    """outJ[w·2^c + d] = d·2^(c·w)·G in Jacobian form."""
    bX, bY, bZ = gx, gy, ONE
    size = 1 << c
    for w in range(nwin):
        aX, aY, aZ = Z4, Z4, Z4
        for d in range(size):
            _put(outJ, w * size + d, aX, aY, aZ)
            aX, aY, aZ = jadd(aX, aY, aZ, bX, bY, bZ, P)
        for _ in range(c):
            bX, bY, bZ = jdouble(bX, bY, bZ, P)


@njit(cache=True, parallel=True)
def fixed_base_kernel(T, S, c, P, ONE, out):
    """out[i] = S[i]·G (Jacobian) from the affine table T[w, d] = d·2^(c·w)·G."""
    nwin = T.shape[0]
    mask = np.uint64((1 << c) - 1)
    for i in prange(S.shape[0]):
        X, Y, Z = Z4, Z4, Z4
        for w in range(nwin):
            bit = w * c
            limb = bit // 64
            off = bit % 64
            if limb >= 4:
                break
            v = (S[i, limb] >> np.uint64(off)) & mask
            if off + c > 64 and limb + 1 < 4:
                v |= (S[i, limb + 1] << np.uint64(64 - off)) & mask
            if v != 0:
                x = (T[w, v, 0, 0], T[w, v, 0, 1], T[w, v, 0, 2], T[w, v, 0, 3])
                y = (T[w, v, 1, 0], T[w, v, 1, 1], T[w, v, 1, 2], T[w, v, 1, 3])
                X, Y, Z = jadd_mixed(X, Y, Z, x, y, ONE, P)
        _put(out, i, X, Y, Z)
