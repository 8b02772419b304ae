"""Curve ops and MSM against py_ecc (BN254) and a Python-int reference (Pasta)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from py_ecc import optimized_bn128 as ob

from zkml_core.arith.curve import BN254_G1, CURVES
from zkml_core.errors import SerializationError


class RefCurve:
    """Affine y² = x³ + b over F_p with Python ints; None is infinity."""

    def __init__(self, p: int, b: int) -> None:
        self.p, self.b = p, b

    def add(self, P, Q):
        p = self.p
        if P is None:
            return Q
        if Q is None:
            return P
        if P[0] == Q[0] and (P[1] + Q[1]) % p == 0:
            return None
        if P == Q:
            lam = 3 * P[0] * P[0] * pow(2 * P[1], -1, p) % p
        else:
            lam = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
        x = (lam * lam - P[0] - Q[0]) % p
        return (x, (lam * (P[0] - x) - P[1]) % p)

    def mul(self, P, k: int):
        R = None
        while k:
            if k & 1:
                R = self.add(R, P)
            P, k = self.add(P, P), k >> 1
        return R


def ref_of(C):
    if C is BN254_G1:
        class Bn:
            def add(self, P, Q):
                if P is None:
                    return Q
                if Q is None:
                    return P
                r = ob.normalize(ob.add((ob.FQ(P[0]), ob.FQ(P[1]), ob.FQ(1)),
                                        (ob.FQ(Q[0]), ob.FQ(Q[1]), ob.FQ(1))))
                return None if ob.is_inf(ob.add((ob.FQ(P[0]), ob.FQ(P[1]), ob.FQ(1)),
                                                (ob.FQ(Q[0]), ob.FQ(Q[1]), ob.FQ(1)))) \
                    else (int(r[0]), int(r[1]))

            def mul(self, P, k):
                r = ob.multiply((ob.FQ(P[0]), ob.FQ(P[1]), ob.FQ(1)), k)
                if ob.is_inf(r):
                    return None
                r = ob.normalize(r)
                return (int(r[0]), int(r[1]))
        return Bn()
    return RefCurve(C.base_field.p, C.b)


def random_points(C, n, rng):
    return C.batch_mul(C.scalar_field.random(n, rng))


def reference_msm(C, pts, sc):
    """sum sc[i]·pts[i] from the elementwise scalar_mul kernel and the reference adds."""
    ref, acc = ref_of(C), None
    for t in C.to_ints(C.scalar_mul(pts, sc)):
        acc = ref.add(acc, t)
    return acc


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_group_ops_match_reference(C):
    ref, rng = ref_of(C), np.random.default_rng(3)
    r = C.scalar_field.p
    ks = [0, 1, 2, 3, r - 1, r - 2] + [int(x) for x in rng.integers(1, 2**62, 4)]
    g = C.to_ints(C.generator)[0]
    s = C.scalar_field.from_ints(ks)
    got_mul = C.to_ints(C.scalar_mul(C.generator, s))
    assert got_mul == [ref.mul(g, k % r) for k in ks]
    assert C.to_ints(C.batch_mul(s)) == got_mul
    pts = C.scalar_mul(C.generator, s)
    qs = np.roll(pts, 1, axis=0)
    expect = [ref.add(a, b) for a, b in zip(C.to_ints(pts), C.to_ints(qs), strict=True)]
    assert C.to_ints(C.add(pts, qs)) == expect
    assert C.to_ints(C.add(pts, pts)) == C.to_ints(C.double(pts))
    assert C.to_ints(C.add(pts, C.neg(pts))) == [None] * len(ks)
    # the group order is the scalar field's modulus
    assert C.to_ints(C.scalar_mul(C.generator, C.scalar_field.from_ints([r - 1]))) == \
        C.to_ints(C.neg(C.generator))


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
@pytest.mark.parametrize("n", [1, 2, 3, 100, 2**10 + 3])
def test_msm_matches_naive_sum(C, n):
    rng = np.random.default_rng(n)
    pts = random_points(C, n, rng)
    sc = C.scalar_field.random(n, rng)
    if n > 2:
        sc[1] = 0  # zero scalars and repeated points exercise the bucket edge cases
        pts[2] = pts[0]
    ref = ref_of(C)
    terms = C.to_ints(C.scalar_mul(pts, sc)) if n > 200 else [
        ref.mul(P, k) for P, k in zip(C.to_ints(pts), C.scalar_field.to_ints(sc), strict=True)]
    acc = None
    for t in terms:
        acc = ref.add(acc, t)
    assert C.to_ints(C.msm(pts, sc)) == [acc]


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_encoding_round_trip_and_rejections(C):
    rng = np.random.default_rng(5)
    pts = np.concatenate([random_points(C, 5, rng), C.identity(1)])
    data = C.encode(pts)
    assert len(data) == 32 * 6 and data[-32:] == bytes(32)
    assert C.to_ints(C.decode(data)) == C.to_ints(pts)
    assert C.to_ints(C.decode_uncompressed(C.encode_uncompressed(pts))) == C.to_ints(pts)
    # x = 0 has no point (b is not a square), so all-zero bytes can only mean infinity
    assert pow(C.b, (C.base_field.p - 1) // 2, C.base_field.p) != 1
    bad_x = (C.base_field.p).to_bytes(32, "little")
    with pytest.raises(SerializationError, match="non-canonical"):
        C.decode(bad_x)
    # find an x whose x³ + b is not a square
    x = 1
    while pow(x**3 + C.b, (C.base_field.p - 1) // 2, C.base_field.p) == 1:
        x += 1
    with pytest.raises(SerializationError, match="not on the curve"):
        C.decode(x.to_bytes(32, "little"))
    raw = bytearray(C.encode_uncompressed(pts[:1]))
    raw[40] ^= 1
    with pytest.raises(SerializationError, match="not on the curve"):
        C.decode_uncompressed(bytes(raw))
    with pytest.raises(SerializationError):
        C.decode(data[:-1])


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_hash_to_curve_is_deterministic_and_on_curve(C):
    a = C.hash_to_curve(b"zkml-test", 4)
    assert C.is_on_curve(a).all()
    assert C.to_ints(a) == C.to_ints(C.hash_to_curve(b"zkml-test", 4))
    assert C.to_ints(a) != C.to_ints(C.hash_to_curve(b"zkml-other", 4))
    assert len(set(C.to_ints(a))) == 4
    # the documented definition, checked with Python ints (Euler's criterion, no root)
    p = C.base_field.p
    for i, (x, y) in enumerate(C.to_ints(a)):
        ctr = 0
        while True:
            h = hashlib.blake2b(b"zkml-test" + i.to_bytes(8, "little") + ctr.to_bytes(4, "little"),
                                digest_size=64, person=b"zkml-h2c").digest()
            cx = int.from_bytes(h, "little") % p
            if cx and pow(cx**3 + C.b, (p - 1) // 2, p) == 1:
                break
            ctr += 1
        assert (x, y % 2, y * y % p) == (cx, 0, (cx**3 + C.b) % p)


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_msm_bucket_edge_cases(C):
    """Equal digits on P, P and -P: a doubling and a cancellation in every bucket."""
    ref, rng = ref_of(C), np.random.default_rng(11)
    P, Q = random_points(C, 2, rng)
    s, t = (int(x) for x in rng.integers(1, 2**62, 2))
    pts = np.stack([P, P, C.neg(P[None])[0], Q, C.identity(1)[0], P])
    sc = C.scalar_field.from_ints([s, s, s, t, 5, 0])
    g = C.to_ints(pts)
    expect = ref.add(ref.mul(g[0], s), ref.mul(g[3], t))
    assert C.to_ints(C.msm(pts, sc)) == [expect]
    # a sum that is the identity
    assert C.to_ints(C.msm(pts[:3], C.scalar_field.from_ints([s, s, 2 * s]))) == [None]


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_msm_batch_affine_windows(C):
    """Wide windows (>= 256 buckets in use) take the batch-affine path; all widths agree."""
    rng = np.random.default_rng(21)
    n = 2**10 + 3
    pts = random_points(C, n, rng)
    sc = C.scalar_field.random(n, rng)
    ref = ref_of(C)
    acc = None
    for t in C.to_ints(C.scalar_mul(pts, sc)):
        acc = ref.add(acc, t)
    # 9 bits: batches of 64 fill mid-round, many points wait; 12: batches never fill
    for window in (9, 12):
        assert C.to_ints(C.msm(pts, sc, window=window)) == [acc]
    # every digit 300 (base 2^10): P, -P, P, P meet in one bucket of every window, a
    # cancellation (the bucket empties), a refill, then a doubling
    P, Q = random_points(C, 2, rng)
    s = sum(300 << (10 * w) for w in range(24))
    t = int(rng.integers(1, 2**62))
    pts = np.stack([P, C.neg(P[None])[0], P, P, Q])
    g = C.to_ints(pts)
    got = C.msm(pts, C.scalar_field.from_ints([s, s, s, s, t]), window=10)
    assert C.to_ints(got) == [ref.add(ref.mul(g[0], 2 * s), ref.mul(g[4], t))]


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_msm_crowded_buckets(C):
    """Witness-like scalars (small values, negatives p - v, many repeats) crowd a few
    buckets of every window: the Jacobian fallback must give the same sum."""
    rng = np.random.default_rng(31)
    n = 3000
    pts = random_points(C, n, rng)
    small = rng.integers(-3, 4, n)
    small[:5] = [0, 1, -1, 2**40, -(2**40)]
    sc = C.scalar_field.from_ints([int(v) for v in small])
    acc = reference_msm(C, pts, sc)
    for window in (None, 9, 12):
        assert C.to_ints(C.msm(pts, sc, window=window)) == [acc]


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_glv_endomorphism_and_split(C):
    """(β·x, y) is λ·(x, y), and glv_split gives k = k1 + λ·k2 (mod r) with parts of
    half the length; small scalars of either sign stay small (k2 = 0)."""
    from zkml_core.arith import msm_kernels as M

    F, r, q = C.scalar_field, C.scalar_field.p, C.base_field.p
    beta, r_limbs, G, gneg, AB = C._glv()
    lam = pow(F.generator, (r - 1) // 3, r)
    assert lam != 1 and pow(lam, 3, r) == 1
    rng = np.random.default_rng(41)
    pts = random_points(C, 4, rng)
    b = C.base_field.to_ints(np.array([beta], dtype=np.uint64))[0]
    assert b != 1 and pow(b, 3, q) == 1
    assert C.to_ints(C.scalar_mul(pts, F.from_ints([lam] * 4))) == \
        [(b * x % q, y) for x, y in C.to_ints(pts)]
    small = [0, 1, 2, 3, -1, -3, 2**64 - 1, -(2**64), 2**100, -(2**100)]
    ks = [v % r for v in small] + [r - 2, (r - 1) // 2, (r + 1) // 2, lam, r - lam, 1 << 127,
                                   (1 << 253) + 1] + [int(x) for x in F.to_ints(F.random(40, rng))]
    n = len(ks)
    K = np.empty((2 * n, 4), dtype=np.uint64)
    neg = np.empty(2 * n, dtype=np.bool_)
    bits = M.glv_split(F._from_mont(F.from_ints(ks)), r_limbs, G, gneg, AB, K, neg)
    mags = [sum(int(v) << (64 * j) for j, v in enumerate(row)) for row in K]
    parts = [-m if s else m for m, s in zip(mags, neg, strict=True)]
    for i, k in enumerate(ks):
        assert (parts[i] + lam * parts[n + i] - k) % r == 0
    assert bits == max(m.bit_length() for m in mags) <= (r.bit_length() + 1) // 2
    assert parts[:len(small)] == small and parts[n:n + len(small)] == [0] * len(small)


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_msm_bucket_copies(C):
    """Many points on a few buckets (digits up to 100): the buckets get copies so that
    batches fill; a doubling and a cancellation inside one copy; widths agree."""
    rng = np.random.default_rng(51)
    n = 4096
    pts = random_points(C, n, rng)
    small = rng.integers(1, 101, n) * rng.choice([-1, 1], n)
    # indices equal modulo any power-of-two number of copies up to 64: one bucket copy
    P = pts[0].copy()
    pts[64], pts[128], pts[192] = P, C.neg(P[None])[0], P
    small[[64, 128, 192]] = small[0]
    sc = C.scalar_field.from_ints([int(v) for v in small])
    acc = reference_msm(C, pts, sc)
    for window in (None, 6, 8):
        assert C.to_ints(C.msm(pts, sc, window=window)) == [acc]


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_batch_affine_flush_paths(C):
    """A batch of affine additions into distinct buckets, by the one-lane pass and (on
    CPUs with AVX-512 IFMA) the eight-lane pass, against the reference additions."""
    from zkml_core.arith import msm_kernels as M
    from zkml_core.arith.simd_ops import GROUP_WORDS, VEC_WORDS

    rng, ref = np.random.default_rng(61), ref_of(C)
    nb = 300
    P, ONE, inv_bits = C._P, C._ONE, C.base_field._inv_bits
    for cnt in (100, 37):
        pts = random_points(C, nb + cnt, rng)
        buckets = np.zeros((nb + 1, 8), dtype=np.uint64)
        buckets[:nb] = pts[:nb].reshape(nb, 8)
        bxy = np.zeros((cnt + 8, 12), dtype=np.uint64)
        bxy[:cnt, :8] = pts[nb:].reshape(cnt, 8)
        bk = np.zeros(cnt + 8, dtype=np.int64)
        bk[:cnt] = rng.permutation(nb)[:cnt]
        expect = C.to_ints(pts[:nb])
        for j, k in enumerate(bk[:cnt]):
            expect[k] = ref.add(expect[k], C.to_ints(pts[nb + j:nb + j + 1])[0])
        inb = np.ones(nb + 1, dtype=np.bool_)
        one_lane = buckets.copy()
        M._flush(one_lane, inb, bk, bxy.copy(), cnt, np.empty((cnt, 4), np.uint64), P, ONE,
                 inv_bits)
        assert C.to_ints(one_lane[:nb].reshape(nb, 2, 4)) == expect
        assert not inb[bk[:cnt]].any()
        if M.simd_available():
            eight = buckets.copy()
            st = np.empty(((cnt + 7) // 8, GROUP_WORDS), dtype=np.uint64)
            M._flush_simd(eight, inb, bk, bxy.copy(), cnt, st, np.empty(VEC_WORDS, np.uint64),
                          nb, P, ONE, inv_bits)
            assert C.to_ints(eight[:nb].reshape(nb, 2, 4)) == expect


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_msm_with_recurring_scalars(C):
    """Scalars recurring many times (their points are summed before Pippenger), groups
    whose scalars share limb 0 only (must not be merged), points repeated and negated
    inside a group (a group sum at infinity): all against the reference sum."""
    rng = np.random.default_rng(67)
    n = 200
    pts = random_points(C, n, rng)
    fr = C.scalar_field
    few = fr.random(3, rng)
    sc = few[rng.integers(0, 3, n)]
    sc[:20] = fr.random(20, rng)
    # 20 scalars equal to few[0] in limb 0 only
    twin = fr.random(20, rng)
    twin[:, 0] = few[0, 0]
    sc[20:40] = twin
    # a group whose points cancel: P, -P pairs under one scalar
    sc[40:72] = fr.random(1, rng)
    pts[56:72] = C.neg(pts[40:56])
    assert C.to_ints(C.msm(pts, sc)) == [reference_msm(C, pts, sc)]
    # the two clean groups of few and the cancelling group went; few[0]'s group stayed
    merged_pts, merged_sc = C._merge_repeated(pts, sc)
    cnt = [int((sc == few[i]).all(axis=1).sum()) for i in range(3)]
    assert len(merged_pts) == n - cnt[1] - cnt[2] - 32 + 2 and len(merged_sc) == len(merged_pts)
    # everything one scalar
    same = np.repeat(few[:1], n, axis=0)
    assert C.to_ints(C.msm(pts, same)) == [reference_msm(C, pts, same)]


@pytest.mark.parametrize("C", CURVES, ids=lambda C: C.name)
def test_mul_by_one_scalar(C):
    """mul_by (GLV halves, signed windows) against the elementwise scalar_mul kernel and
    the reference additions, for edge scalars and points at infinity."""
    rng = np.random.default_rng(71)
    pts = random_points(C, 9, rng)
    pts[4] = 0  # a point at infinity stays there
    r, ref = C.scalar_field.p, ref_of(C)
    for k in (0, 1, 2, 8, 9, 15, 16, 17, r - 1, r - 8, r // 2, r // 2 + 1, 2**128 + 3,
              int(rng.integers(1, 2**63)) * int(rng.integers(1, 2**63)) % r):
        got = C.to_ints(C.mul_by(pts, k))
        want = C.to_ints(C.scalar_mul(pts, C.scalar_field.from_ints([k] * len(pts))))
        assert got == want, k
        assert got[4] is None
    P1 = C.to_ints(pts[:1])[0]
    acc = None
    for _ in range(17):
        acc = ref.add(acc, P1)
    assert C.to_ints(C.mul_by(pts[:1], 17)) == [acc]
