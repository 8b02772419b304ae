"""Field ops against Python-int arithmetic, for every field of the engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.arith.field import FIELDS
from zkml_core.errors import SerializationError


def elems(F):
    p = F.p
    edge = st.sampled_from([0, 1, 2, p - 1, p - 2, p // 2, (1 << 192) - 1, p - (1 << 64)])
    return st.one_of(edge, st.integers(0, p - 1), st.integers(-(1 << 300), 1 << 300))


@pytest.mark.parametrize("F", FIELDS, ids=lambda F: F.name)
@settings(deadline=None, max_examples=40)
@given(data=st.data())
def test_binary_ops_match_python_ints(F, data):
    p = F.p
    xs = data.draw(st.lists(elems(F), min_size=1, max_size=20))
    ys = data.draw(st.lists(elems(F), min_size=len(xs), max_size=len(xs)))
    a, b = F.from_ints(xs), F.from_ints(ys)
    assert F.to_ints(a) == [x % p for x in xs]
    assert F.to_ints(F.add(a, b)) == [(x + y) % p for x, y in zip(xs, ys, strict=True)]
    assert F.to_ints(F.sub(a, b)) == [(x - y) % p for x, y in zip(xs, ys, strict=True)]
    assert F.to_ints(F.mul(a, b)) == [(x * y) % p for x, y in zip(xs, ys, strict=True)]
    assert F.to_ints(F.neg(a)) == [(-x) % p for x in xs]
    assert F.to_ints(F.square(a)) == [(x * x) % p for x in xs]
    assert F.eq(a, b).tolist() == [(x - y) % p == 0 for x, y in zip(xs, ys, strict=True)]
    assert F.to_ints(F.sum(a)) == [sum(xs) % p]
    assert F.to_ints(F.inner(a, b)) == [sum(x * y for x, y in zip(xs, ys, strict=True)) % p]
    # scalar broadcast on either side
    s = F.from_ints(ys[:1])
    assert F.to_ints(F.mul(a, s)) == [(x * ys[0]) % p for x in xs]
    assert F.to_ints(F.sub(s, a)) == [(ys[0] - x) % p for x in xs]


@pytest.mark.parametrize("F", FIELDS, ids=lambda F: F.name)
@settings(deadline=None, max_examples=25)
@given(data=st.data())
def test_pow_inverse_powers_and_sqrt(F, data):
    p = F.p
    xs = data.draw(st.lists(elems(F), min_size=1, max_size=12))
    e = data.draw(st.integers(0, 1 << 260))
    a = F.from_ints(xs)
    assert F.to_ints(F.pow(a, e)) == [pow(x, e, p) for x in xs]
    assert F.to_ints(F.inv(a)) == [pow(x, -1, p) if x % p else 0 for x in xs]
    x = xs[0] % p
    assert F.to_ints(F.powers(x, 5)) == [pow(x, i, p) for i in range(5)]
    # square roots: a is a square iff a^((p-1)/2) is 0 or 1 (Euler's criterion)
    roots, ok = F.sqrt(a)
    assert ok.tolist() == [pow(x, (p - 1) // 2, p) in (0, 1) for x in xs]
    sq = F.to_ints(F.square(roots))
    assert all(sq[i] == xs[i] % p for i in range(len(xs)) if ok[i])
    assert F.is_odd(roots).tolist() == [r % 2 == 1 for r in F.to_ints(roots)]


@pytest.mark.parametrize("F", FIELDS, ids=lambda F: F.name)
def test_int64_arrays_convert_vectorised(F):
    v = np.array([0, 1, -1, 7, -7, 2**63 - 1, -(2**63), 123456789], dtype=np.int64)
    a = F.from_ints(v)
    assert F.to_ints(a) == [int(x) % F.p for x in v]
    assert F.to_int64(a).tolist() == v.tolist()
    assert F.to_signed_ints(a) == v.tolist()


@pytest.mark.parametrize("F", FIELDS, ids=lambda F: F.name)
def test_bytes_round_trip_and_non_canonical_rejected(F):
    rng = np.random.default_rng(1)
    a = F.random(50, rng)
    raw = F.to_bytes(a)
    assert len(raw) == 50 * 32
    assert [int.from_bytes(raw[i:i + 32], "little") for i in range(0, len(raw), 32)] == F.to_ints(a)
    assert F.to_ints(F.from_bytes(raw)) == F.to_ints(a)
    with pytest.raises(SerializationError, match="not canonical"):
        F.from_bytes(F.p.to_bytes(32, "little"))
    with pytest.raises(SerializationError, match="32-byte"):
        F.from_bytes(raw[:-1])


@pytest.mark.parametrize("F", FIELDS, ids=lambda F: F.name)
def test_roots_of_unity_are_primitive(F):
    p = F.p
    for lg in sorted({0, 1, min(5, F.two_adicity), F.two_adicity}):
        w = F.root_of_unity(lg)
        assert pow(w, 1 << lg, p) == 1
        if lg:
            assert pow(w, 1 << (lg - 1), p) == p - 1


def test_random_is_in_range_and_not_constant():
    F = FIELDS[0]
    vals = F.to_ints(F.random(200))
    assert all(0 <= v < F.p for v in vals) and len(set(vals)) == 200


@pytest.mark.parametrize("F", FIELDS, ids=lambda F: F.name)
def test_array_multiplication_paths_match_python_ints(F):
    """mul kernels take eight rows at a time where the CPU has AVX-512 IFMA, and single
    rows for the tail, for other CPUs and for non-contiguous arrays: serial and threaded,
    b broadcast or not, against Montgomery limbs built and read back in pure Python."""
    from zkml_core.arith import kernels as K

    p, rng = F.p, np.random.default_rng(7)
    r_inv = pow(1 << 256, -1, p)
    edge = [0, 1, 2, p - 1, p - 2, p // 2, (1 << 192) - 1, p - (1 << 64), (1 << 254) % p]
    xs = edge * 3 + [int.from_bytes(rng.bytes(32), "little") % p for _ in range(1003 - 27)]
    ys = xs[::-1]
    a = np.stack([F.mont_limbs(x) for x in xs])
    b = np.stack([F.mont_limbs(y) for y in ys])

    def values(out):
        raw = [sum(int(v) << (64 * j) for j, v in enumerate(row)) for row in out]
        assert all(v < p for v in raw)  # canonical Montgomery form
        return [v * r_inv % p for v in raw]

    for kernel in (K.mul_arr_serial, K.mul_arr_parallel):
        for bb, expect in ((b, [x * y % p for x, y in zip(xs, ys, strict=True)]),
                           (b[5:6], [x * ys[5] % p for x in xs])):
            out = np.empty_like(a)
            kernel(a, bb, out, F._p, F._inv)
            assert values(out) == expect
            # Fortran-ordered arrays take the single-row path on any CPU
            out_f = np.asfortranarray(np.empty_like(a))
            kernel(np.asfortranarray(a), np.asfortranarray(bb), out_f, F._p, F._inv)
            assert values(out_f) == expect
