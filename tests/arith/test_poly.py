"""NTTs and polynomial helpers against naive Python-int evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.arith import poly
from zkml_core.arith.field import BN254_FR, PASTA_FP, PASTA_FQ

SCALAR_FIELDS = (BN254_FR, PASTA_FP, PASTA_FQ)


def peval(coeffs: list[int], x: int, p: int) -> int:
    return sum(c * pow(x, i, p) for i, c in enumerate(coeffs)) % p


@pytest.mark.parametrize("F", SCALAR_FIELDS, ids=lambda F: F.name)
@pytest.mark.parametrize("log_n", [0, 1, 3, 6, 11, 12])
def test_ntt_matches_naive_dft_and_inverts(F, log_n):
    rng = np.random.default_rng(log_n)
    n = 1 << log_n
    c = F.random(n, rng)
    evals = poly.ntt(F, c)
    ci = F.to_ints(c)
    w = F.root_of_unity(log_n)
    rows = range(n) if n <= 64 else rng.integers(0, n, 20)
    got = F.to_ints(evals)
    for i in rows:
        assert got[i] == peval(ci, pow(w, int(i), F.p), F.p)
    assert F.to_ints(poly.intt(F, evals)) == ci


@pytest.mark.parametrize("nblocks", [1, 2])
def test_ntt_vector_and_scalar_butterflies_agree(nblocks):
    """The butterflies take eight upper halves at a time in AVX-512 IFMA on C-contiguous
    rows (where the CPU has it) and one at a time otherwise: a strided copy of the same
    input forces the scalar path, and both must give the naive DFT's values."""
    F = BN254_FR
    rng = np.random.default_rng(5)
    n = 1 << 9
    c = F.random(n, rng)
    tw = poly._twiddles(F, 9, False)
    fast = c.copy()
    poly._ntt_inplace(fast, tw, nblocks, F._p, F._inv)
    slow = np.zeros((n, 8), dtype=np.uint64)[:, ::2]  # the same rows, not C-contiguous
    slow[:] = c
    poly._ntt_inplace(slow, tw, nblocks, F._p, F._inv)
    assert np.array_equal(fast, slow)
    w, ci, got = F.root_of_unity(9), F.to_ints(c), F.to_ints(np.ascontiguousarray(fast))
    for i in rng.integers(0, n, 12):
        assert got[i] == peval(ci, pow(w, int(i), F.p), F.p)


@pytest.mark.parametrize("F", SCALAR_FIELDS, ids=lambda F: F.name)
def test_coset_ntt_matches_direct_evaluation(F):
    rng = np.random.default_rng(7)
    c = F.random(8, rng)
    shift = F.generator
    ext = poly.coset_ntt(F, c, 5, shift)
    w = F.root_of_unity(5)
    ci = F.to_ints(c)
    assert F.to_ints(ext) == [peval(ci, shift * pow(w, i, F.p) % F.p, F.p) for i in range(32)]
    back = F.to_ints(poly.coset_intt(F, ext, shift))
    assert back == ci + [0] * 24


@settings(deadline=None, max_examples=30)
@given(st.lists(st.integers(0, BN254_FR.p - 1), min_size=1, max_size=16),
       st.integers(0, BN254_FR.p - 1))
def test_evaluate_and_divide_by_linear(cs, a):
    F, p = BN254_FR, BN254_FR.p
    c = F.from_ints(cs)
    assert poly.evaluate(F, c, a) == peval(cs, a, p)
    q = F.to_ints(poly.divide_by_linear(F, c, a))
    assert q[-1] == 0
    # q(X)(X - a) + p(a) == p(X), checked coefficient-wise
    prod = [0] * (len(cs) + 1)
    for i, qi in enumerate(q):
        prod[i + 1] += qi
        prod[i] -= a * qi
    prod[0] += peval(cs, a, p)
    assert [x % p for x in prod[:len(cs)]] == cs and prod[len(cs)] % p == 0


def test_lagrange_evals():
    F, p, log_n = BN254_FR, BN254_FR.p, 3
    w = F.root_of_unity(log_n)
    x = 1234567
    vals = poly.lagrange_evals(F, log_n, x, range(8))
    # interpolate the polynomial with values v_i on the domain and compare at x
    v = list(range(10, 18))
    coeffs = F.to_ints(poly.intt(F, F.from_ints(v)))
    assert sum(vi * li for vi, li in zip(v, vals, strict=True)) % p == peval(coeffs, x, p)
    assert poly.lagrange_evals(F, log_n, pow(w, 3, p), [3, 4]) == [1, 0]
