"""Polynomials over a :class:`PrimeField`: NTTs, cosets, evaluation, division.

Coefficient and evaluation vectors are ``(n, 4)`` Montgomery arrays in natural order,
``n`` a power of two. Twiddle tables are cached per (field, size).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numba
import numpy as np
from numba import njit, prange

from zkml_core.arith.field import PrimeField
from zkml_core.arith.kernels import ZERO
from zkml_core.arith.llvm_ops import mod_add, mod_sub, mont_mul
from zkml_core.arith.simd_ops import mont_mul8_at, vector_rows
from zkml_core.errors import ZkmlError


@njit(cache=True)
def _bit_reverse(a):
    n = a.shape[0]
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j ^= bit
        if i < j:
            for limb in range(4):
                t = a[i, limb]
                a[i, limb] = a[j, limb]
                a[j, limb] = t


@njit(cache=True)
def _butterflies(a, tw, m, k0, k1, j0, j1, p, inv):
    """Radix-2 butterflies of span m on groups k0, k0 + 2m, ... < k1, for j in [j0, j1).

    ``tw[m + j]`` is the twiddle of butterfly j at span m (stage-contiguous table).
    """
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    tmp = np.empty((8, 4), dtype=np.uint64)
    w8 = vector_rows(a, tw, tmp)  # 8 with AVX-512 IFMA (compile-time constant), else 0
    for k in range(k0, k1, 2 * m):
        j = j0
        if w8 and m >= 8:  # eight upper halves times eight twiddles at once
            while j + 8 <= j1:
                mont_mul8_at(a, k + j + m, tw, m + j, tmp, 0, p0, p1, p2, p3, inv)
                for e in range(8):
                    lo = k + j + e
                    hi = lo + m
                    u0, u1, u2, u3 = a[lo, 0], a[lo, 1], a[lo, 2], a[lo, 3]
                    t0, t1, t2, t3 = tmp[e, 0], tmp[e, 1], tmp[e, 2], tmp[e, 3]
                    s = mod_add(u0, u1, u2, u3, t0, t1, t2, t3, p0, p1, p2, p3)
                    d = mod_sub(u0, u1, u2, u3, t0, t1, t2, t3, p0, p1, p2, p3)
                    a[lo, 0], a[lo, 1], a[lo, 2], a[lo, 3] = s
                    a[hi, 0], a[hi, 1], a[hi, 2], a[hi, 3] = d
                j += 8
        for jj in range(j, j1):
            lo = k + jj
            hi = lo + m
            u0, u1, u2, u3 = a[lo, 0], a[lo, 1], a[lo, 2], a[lo, 3]
            if m == 1:  # twiddle 1: no multiplication
                t = (a[hi, 0], a[hi, 1], a[hi, 2], a[hi, 3])
            else:
                w = m + jj
                t = mont_mul(a[hi, 0], a[hi, 1], a[hi, 2], a[hi, 3],
                             tw[w, 0], tw[w, 1], tw[w, 2], tw[w, 3], p0, p1, p2, p3, inv)
            s = mod_add(u0, u1, u2, u3, t[0], t[1], t[2], t[3], p0, p1, p2, p3)
            d = mod_sub(u0, u1, u2, u3, t[0], t[1], t[2], t[3], p0, p1, p2, p3)
            a[lo, 0], a[lo, 1], a[lo, 2], a[lo, 3] = s
            a[hi, 0], a[hi, 1], a[hi, 2], a[hi, 3] = d


@njit(cache=True, parallel=True)
def _ntt_inplace(a, tw, nblocks, p, inv):
    """Radix-2 DIT: bit-reversed input -> natural order, in two parallel regions.

    Stages whose butterfly groups fit in one of ``nblocks`` blocks run block by block
    (independent work, no barrier per stage); the last log2(nblocks) stages split each
    group's butterflies between the threads instead.
    """
    n = a.shape[0]
    _bit_reverse(a)
    block = n // nblocks
    # int64 arguments throughout: literals or prange's unsigned index would compile
    # _butterflies once per argument type
    for b in prange(nblocks):
        m = 1
        while m < block:
            _butterflies(a, tw, np.int64(m), np.int64(b * block), np.int64((b + 1) * block),
                         np.int64(0), np.int64(m), p, inv)
            m *= 2
    m = block
    while m < n:
        size = m // nblocks
        for c in prange(nblocks):
            _butterflies(a, tw, np.int64(m), np.int64(0), np.int64(n), np.int64(c * size),
                         np.int64((c + 1) * size), p, inv)
        m *= 2


@njit(cache=True)
def _horner(c, x, p, inv):
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    r0 = r1 = r2 = r3 = ZERO
    for i in range(c.shape[0] - 1, -1, -1):
        r0, r1, r2, r3 = mont_mul(r0, r1, r2, r3, x[0], x[1], x[2], x[3], p0, p1, p2, p3, inv)
        r0, r1, r2, r3 = mod_add(r0, r1, r2, r3, c[i, 0], c[i, 1], c[i, 2], c[i, 3],
                                 p0, p1, p2, p3)
    out = np.empty((1, 4), dtype=np.uint64)
    out[0, 0], out[0, 1], out[0, 2], out[0, 3] = r0, r1, r2, r3
    return out


@njit(cache=True)
def _div_linear(c, a, out, p, inv):
    """Synthetic division of c by (X - a): out[i-1] = c[i] + a*out[i]; out[n-1] = 0."""
    p0, p1, p2, p3 = p[0], p[1], p[2], p[3]
    n = c.shape[0]
    r0 = r1 = r2 = r3 = ZERO
    out[n - 1, 0] = out[n - 1, 1] = out[n - 1, 2] = out[n - 1, 3] = ZERO
    for i in range(n - 1, 0, -1):
        r0, r1, r2, r3 = mont_mul(r0, r1, r2, r3, a[0], a[1], a[2], a[3], p0, p1, p2, p3, inv)
        r0, r1, r2, r3 = mod_add(r0, r1, r2, r3, c[i, 0], c[i, 1], c[i, 2], c[i, 3],
                                 p0, p1, p2, p3)
        out[i - 1, 0], out[i - 1, 1], out[i - 1, 2], out[i - 1, 3] = r0, r1, r2, r3


def _log2(n: int) -> int:
    if n <= 0 or n & (n - 1):
        raise ZkmlError(f"polynomial size {n} is not a power of two")
    return n.bit_length() - 1


@lru_cache(maxsize=64)
def _twiddles(F: PrimeField, log_n: int, inverse: bool) -> np.ndarray:
    """Stage-contiguous table: row m + j = w_{2m}^j for m = 1, 2, ..., n/2 (row 0 unused)."""
    n = 1 << log_n
    w = F.root_of_unity(log_n)
    if inverse:
        w = pow(w, -1, F.p)
    pw = F.powers(w, max(1, n // 2))
    tw = np.zeros((max(2, n), 4), dtype=np.uint64)
    m = 1
    while m < n:
        tw[m:2 * m] = pw[::n // (2 * m)][:m]
        m *= 2
    return tw


def _blocks(n: int) -> int:
    """Parallel blocks: one per numba thread (a power of two), none for small sizes."""
    if n < 1 << 12:
        return 1
    t = numba.get_num_threads()
    return 1 << (t.bit_length() - 1)


def ntt(F: PrimeField, coeffs: np.ndarray) -> np.ndarray:
    """Evaluations on ⟨ω_n⟩ (natural order) of the polynomial with these coefficients."""
    log_n = _log2(coeffs.shape[0])
    a = np.array(coeffs, dtype=np.uint64, order="C", copy=True)
    if log_n:
        _ntt_inplace(a, _twiddles(F, log_n, False), _blocks(a.shape[0]), F._p, F._inv)
    return a


def intt(F: PrimeField, evals: np.ndarray) -> np.ndarray:
    """Coefficients of the polynomial taking these values on ⟨ω_n⟩."""
    n = evals.shape[0]
    log_n = _log2(n)
    a = np.array(evals, dtype=np.uint64, order="C", copy=True)
    if log_n:
        _ntt_inplace(a, _twiddles(F, log_n, True), _blocks(n), F._p, F._inv)
    return F.mul(a, F.from_ints([pow(n, -1, F.p)]))


@lru_cache(maxsize=64)
def _shift_powers(F: PrimeField, shift: int, n: int) -> np.ndarray:
    return F.powers(shift % F.p, n)


def coset_ntt(F: PrimeField, coeffs: np.ndarray, log_ext: int, shift: int) -> np.ndarray:
    """Evaluations on ``shift·⟨ω_{2^log_ext}⟩`` of a polynomial of at most 2^log_ext coeffs."""
    n = coeffs.shape[0]
    size = 1 << log_ext
    if n > size:
        raise ZkmlError(f"a polynomial of {n} coefficients does not fit a domain of {size}")
    a = F.zeros(size)
    a[:n] = F.mul(coeffs, _shift_powers(F, shift, n))
    return ntt(F, a)


def coset_intt(F: PrimeField, evals: np.ndarray, shift: int) -> np.ndarray:
    """Coefficients of the polynomial taking these values on ``shift·⟨ω_n⟩``."""
    c = intt(F, evals)
    return F.mul(c, _shift_powers(F, pow(shift, -1, F.p), c.shape[0]))


def evaluate(F: PrimeField, coeffs: np.ndarray, x: int) -> int:
    return F.to_ints(_horner(np.ascontiguousarray(coeffs), F.from_ints([x])[0], F._p, F._inv))[0]


def evaluate_many(F: PrimeField, coeffs: np.ndarray, xs: Sequence[int]) -> list[int]:
    return [evaluate(F, coeffs, x) for x in xs]


def divide_by_linear(F: PrimeField, coeffs: np.ndarray, a: int) -> np.ndarray:
    """Coefficients of (p(X) - p(a)) / (X - a), same length as ``coeffs`` (top one zero)."""
    c = np.ascontiguousarray(coeffs, dtype=np.uint64)
    out = np.empty_like(c)
    _div_linear(c, F.from_ints([a])[0], out, F._p, F._inv)
    return out


def lagrange_evals(F: PrimeField, log_n: int, x: int, rows: Sequence[int]) -> list[int]:
    """L_i(x) for the listed rows i of the 2^log_n domain (x may lie on the domain)."""
    p, n = F.p, 1 << log_n
    w = F.root_of_unity(log_n)
    x %= p
    zx = (pow(x, n, p) - 1) % p
    out = []
    for i in rows:
        wi = pow(w, i % n, p)
        if x == wi:
            out.append(1)
        elif zx == 0:
            out.append(0)
        else:
            out.append(wi * zx * pow(n * (x - wi), -1, p) % p)
    return out
