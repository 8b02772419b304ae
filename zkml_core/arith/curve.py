"""Curves y² = x³ + b over the engine's fields: BN254 G1, Pallas, Vesta.

Points are affine ``(n, 2, 4)`` arrays of Montgomery base-field limbs, infinity as
x = y = 0 (see docs/arith.md). Compressed encoding (halo2's convention): 32 bytes,
x canonical little-endian, the top bit of the last byte set when y (canonical) is
odd; infinity is 32 zero bytes. Uncompressed encoding: x ‖ y, 64 bytes, infinity
all zeros (used for large point tables such as KZG params).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from zkml_core.arith import ec_kernels as E
from zkml_core.arith import kernels as K
from zkml_core.arith import msm_kernels as M
from zkml_core.arith.field import BN254_FQ, BN254_FR, PASTA_FP, PASTA_FQ, PrimeField
from zkml_core.errors import SerializationError


def _py_mul(q: int, pt: tuple[int, int], k: int) -> tuple[int, int] | None:
    """k·pt on y² = x³ + b over F_q with Python ints (affine, double-and-add; k > 0).

    For constants computed once (the GLV pairing of β and λ), not for data.
    """
    def add(P, Q):
        if P is None:
            return Q
        if P[0] == Q[0]:
            if (P[1] + Q[1]) % q == 0:
                return None
            lam = 3 * P[0] * P[0] * pow(2 * P[1], -1, q)
        else:
            lam = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, q)
        x = (lam * lam - P[0] - Q[0]) % q
        return x, (lam * (P[0] - x) - P[1]) % q

    acc = None
    for bit in bin(k)[2:]:
        if acc is not None:
            acc = add(acc, acc)
        if bit == "1":
            acc = add(acc, pt)
    return acc


def _signed_nibbles(v: int) -> list[int]:
    """Digits d_i in [-7, 8] with v = sum d_i·16^i, most significant first."""
    out = []
    while v:
        d = v & 15
        v >>= 4
        if d > 8:
            d -= 16
            v += 1
        out.append(d)
    return out[::-1]


class Curve:
    """A short-Weierstrass curve with a = 0 and a prime-order group (cofactor 1)."""

    def __init__(self, name: str, base: PrimeField, scalar: PrimeField, b: int,
                 generator: tuple[int, int]) -> None:
        self.name = name
        self.base_field = base
        self.scalar_field = scalar
        self.b = b
        self._P = (base._p[0], base._p[1], base._p[2], base._p[3], base._inv)
        self._ONE = tuple(base._one)
        # built without kernels: importing this module compiles nothing
        self._b = tuple(base.mont_limbs(b))
        gx, gy = generator
        if (gy * gy - gx**3 - b) % base.p:
            raise ValueError(f"{name}: the generator is not on the curve")
        self.generator = np.stack([base.mont_limbs(gx), base.mont_limbs(gy)])[None]
        self._gen = (gx, gy)

    def __repr__(self) -> str:
        return f"Curve({self.name})"

    # -- conversion -------------------------------------------------------------------

    def from_ints(self, pairs) -> np.ndarray:
        """Affine points from ``(x, y)`` int pairs (``None`` for infinity); checked on-curve."""
        pairs = list(pairs)
        flat = []
        for pt in pairs:
            flat.extend((0, 0) if pt is None else (int(pt[0]), int(pt[1])))
        arr = self.base_field.from_ints(flat).reshape(-1, 2, 4) if flat else self.empty(0)
        if not self.is_on_curve(arr).all():
            raise SerializationError(f"{self.name}: point not on the curve")
        return arr

    def to_ints(self, points: np.ndarray) -> list[tuple[int, int] | None]:
        vals = self.base_field.to_ints(points.reshape(-1, 4))
        out: list[tuple[int, int] | None] = []
        for i in range(0, len(vals), 2):
            x, y = vals[i], vals[i + 1]
            out.append(None if x == 0 and y == 0 else (x, y))
        return out

    def empty(self, n: int) -> np.ndarray:
        return np.zeros((n, 2, 4), dtype=np.uint64)

    def identity(self, n: int = 1) -> np.ndarray:
        return self.empty(n)

    def _affine(self, jac: np.ndarray) -> np.ndarray:
        out = self.empty(jac.shape[0])
        E.jac_to_affine(jac, out, self._P, self._ONE, self.base_field._inv_bits)
        return out

    # -- group operations (affine in, affine out) --------------------------------------

    @staticmethod
    def _c(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.uint64)

    def add(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        p, q = self._c(p), self._c(q)
        if p.shape[0] == 1 and q.shape[0] != 1:
            p = np.repeat(p, q.shape[0], axis=0)
        elif q.shape[0] == 1 and p.shape[0] != 1:
            q = np.repeat(q, p.shape[0], axis=0)
        jac = np.empty((p.shape[0], 3, 4), dtype=np.uint64)
        E.add_affine_arr(p, q, jac, self._P, self._ONE)
        return self._affine(jac)

    def double(self, p: np.ndarray) -> np.ndarray:
        p = self._c(p)
        jac = np.empty((p.shape[0], 3, 4), dtype=np.uint64)
        E.double_affine_arr(p, jac, self._P, self._ONE)
        return self._affine(jac)

    def neg(self, p: np.ndarray) -> np.ndarray:
        p = self._c(p).copy()
        p[:, 1] = self.base_field.neg(p[:, 1])
        return p

    def scalar_mul(self, p: np.ndarray, scalars: np.ndarray) -> np.ndarray:
        """Elementwise ``scalars[i]·p[i]`` (scalars Montgomery in the scalar field)."""
        p, s = self._c(p), self.scalar_field._from_mont(self._c(scalars))
        if p.shape[0] == 1 and s.shape[0] != 1:
            p = np.repeat(p, s.shape[0], axis=0)
        jac = np.empty((p.shape[0], 3, 4), dtype=np.uint64)
        E.scalar_mul_arr(p, s, jac, self._P, self._ONE)
        return self._affine(jac)

    def mul_by(self, p: np.ndarray, scalar: int) -> np.ndarray:
        """``scalar·p[i]`` for one scalar (an int) and many points (IPA's generator
        folding): the GLV halves of the scalar in signed 4-bit windows over a table of
        1..8 times each point, ~1.6x fewer field operations than :meth:`scalar_mul`."""
        p = self._c(p)
        beta, r, G, gneg, AB = self._glv()
        k = int(scalar) % self.scalar_field.p
        S = np.array([[(k >> (64 * j)) & (2**64 - 1) for j in range(4)]], dtype=np.uint64)
        mags = np.empty((2, 4), dtype=np.uint64)
        neg = np.empty(2, dtype=np.bool_)
        M.glv_split(S, r, G, gneg, AB, mags, neg)
        halves = [_signed_nibbles(sum(int(v) << (64 * j) for j, v in enumerate(row)))
                  for row in mags]
        nd = max(1, *map(len, halves))
        D = np.zeros((2, nd), dtype=np.int64)
        for h, digits in enumerate(halves):
            D[h, nd - len(digits):] = digits
        jac = np.empty((p.shape[0], 3, 4), dtype=np.uint64)
        E.mul_same_arr(p, D, neg, beta, jac, self._P, self._ONE)
        return self._affine(jac)

    def is_on_curve(self, p: np.ndarray) -> np.ndarray:
        return E.on_curve_arr(self._c(p), self._b, self._P)

    # -- MSM ----------------------------------------------------------------------------

    @staticmethod
    def window_bits(n: int) -> int:
        """Pippenger window width for n points (after the GLV split: twice the
        scalars): c = log2(n) - 2, at most 13 (14 from 2^19 points).

        Batch-affine additions cost ~7 multiplications a point and window, the bucket
        sum ~27 a bucket; measured optima (one thread, BN254, n = 2x the scalars):
        c = 7 at 2^9, 10-11 at 2^11 and 2^13, 12-13 at 2^15, 13 at 2^17, 14 at 2^19
        (wider windows' buckets outgrow the L2 cache).
        """
        return max(3, min(13 if n < 1 << 19 else 14, n.bit_length() - 3))

    @lru_cache(maxsize=1)  # noqa: B019 (one set of constants per curve, kept)
    def _glv(self):
        """Constants of the endomorphism φ(x, y) = (β·x, y) = λ·(x, y) (a = 0 and
        3 | q - 1): β, and the short basis of {(a, b): a + λ·b = 0 mod r} in the forms
        :func:`msm_kernels.glv_split` takes. Pure Python, computed on first use."""
        q, r = self.base_field.p, self.scalar_field.p
        lam = pow(self.scalar_field.generator, (r - 1) // 3, r)
        b0 = pow(self.base_field.generator, (q - 1) // 3, q)
        gx, gy = self._gen
        lg = _py_mul(q, (gx, gy), lam)
        beta = next(b for b in (b0, b0 * b0 % q) if (b * gx % q, gy) == lg)
        # extended Euclid on (r, λ) stops at the first remainder below sqrt(r); the
        # two vectors around it (Gauss-reduced) span the lattice
        r0, r1, t0, t1 = r, lam, 0, 1
        while r1 * r1 >= r:
            qq = r0 // r1
            r0, r1, t0, t1 = r1, r0 - qq * r1, t1, t0 - qq * t1
        qq = r0 // r1
        v1 = (r1, -t1)
        v2 = min((r0, -t0), (r0 - qq * r1, -(t0 - qq * t1)), key=lambda v: v[0] ** 2 + v[1] ** 2)
        for _ in range(4):  # Gauss reduction (a step or two here)
            if v1[0] ** 2 + v1[1] ** 2 > v2[0] ** 2 + v2[1] ** 2:
                v1, v2 = v2, v1
            n2 = v1[0] ** 2 + v1[1] ** 2
            m = (2 * (v1[0] * v2[0] + v1[1] * v2[1]) + n2) // (2 * n2)
            v2 = (v2[0] - m * v1[0], v2[1] - m * v1[1])
        (a1, b1), (a2, b2) = v1, v2
        det = a1 * b2 - a2 * b1
        assert abs(det) == r and (a1 + lam * b1) % r == 0 and (a2 + lam * b2) % r == 0

        def rnd(num: int) -> int:  # round(num / det) for integers
            return (2 * num + det) // (2 * det) if det > 0 else (-2 * num - det) // (-2 * det)

        g = [rnd(b2 << 256), rnd(-b1 << 256)]
        m192 = (1 << 192) - 1
        assert all(abs(v) < 1 << 192 for v in g) and max(map(abs, (a1, a2, b1, b2))) < 1 << 130
        G = np.array([[(abs(v) >> (64 * j)) & (2**64 - 1) for j in range(3)] for v in g],
                     dtype=np.uint64)
        AB = np.array([[((v & m192) >> (64 * j)) & (2**64 - 1) for j in range(3)]
                       for v in (a1, b1, a2, b2)], dtype=np.uint64)
        return (tuple(self.base_field.mont_limbs(beta)), self.scalar_field._p, G,
                np.array([v < 0 for v in g]), AB)

    #: how often a scalar must recur before its points are summed ahead of the MSM
    REPEATS = 16

    def msm(self, points: np.ndarray, scalars: np.ndarray, window: int | None = None) -> np.ndarray:
        """``sum scalars[i]·points[i]`` as a ``(1, 2, 4)`` affine point (Pippenger).

        Every scalar k is split as k1 + λ·k2 with |k1|, |k2| ~ sqrt(r) (GLV), so the
        sum runs over 2n points and half-length scalars. ``window`` overrides the width
        :meth:`window_bits` picks for that many points (tests, tuning).
        """
        points, scalars = self._c(points), self._c(scalars)
        if points.shape[0] != scalars.shape[0]:
            raise ValueError(f"msm: {points.shape[0]} points but {scalars.shape[0]} scalars")
        # points at infinity and zero scalars add nothing; the kernel assumes neither
        keep = points.reshape(-1, 8).any(axis=1) & scalars.any(axis=1)
        if not keep.all():
            points, scalars = points[keep], scalars[keep]
        points, scalars = self._merge_repeated(points, scalars)
        n = points.shape[0]
        if n == 0:
            return self.empty(1)
        beta, r, G, gneg, AB = self._glv()
        mags = np.empty((2 * n, 4), dtype=np.uint64)
        neg = np.empty(2 * n, dtype=np.bool_)
        bits = M.glv_split(self.scalar_field._from_mont(scalars), r, G, gneg, AB, mags, neg)
        pts2 = np.empty((2 * n, 2, 4), dtype=np.uint64)
        m, rows = M.glv_points(points, mags, beta, self._P, pts2)
        c = window or self.window_bits(m)
        nwin = -(-(bits + 1) // c)  # the top digit absorbs the last carry
        digits = M.signed_digits(mags, neg, rows[:m], c, nwin)
        out = np.zeros((1, 3, 4), dtype=np.uint64)
        M.msm_kernel(pts2[:m], digits, c, self._P, self._ONE, self.base_field._inv_bits, out)
        return self._affine(out)

    def _big_scalars(self, scalars: np.ndarray) -> np.ndarray:
        """Which scalars exceed 64 bits with either sign (small ones cost Pippenger little)."""
        fr = self.scalar_field
        canon = fr._from_mont(np.ascontiguousarray(scalars))
        neg = fr._from_mont(fr.neg(scalars))
        return (canon[:, 1:] != 0).any(axis=1) & (neg[:, 1:] != 0).any(axis=1)

    def _merge_repeated(self, points: np.ndarray, scalars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points sharing a large scalar (above 64 bits with either sign) that recurs
        ``REPEATS`` times or more are summed first, one addition each, leaving one point
        per such scalar: s·P1 + s·P2 + ... = s·(P1 + P2 + ...). Commitments to Lagrange
        columns meet this all the time (a grand product constant over unused rows, lookup
        helpers of repeated inputs), and Pippenger would crowd those points into one
        bucket per window. An evenly spaced sample of 512 scalars decides first whether
        any large scalar recurs at all (one in a hundred or more is seen)."""
        m = scalars.shape[0]
        if m < 4 * self.REPEATS:
            return points, scalars
        sample = scalars[:: max(1, m // 512)]
        vals, counts = np.unique(sample[:, 0], return_counts=True)
        seen = np.isin(sample[:, 0], vals[counts >= 2])
        if not seen.any() or not self._big_scalars(sample[seen]).any():
            return points, scalars
        _, inv, counts = np.unique(scalars[:, 0], return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        rep_row = np.empty(len(counts), dtype=np.int64)  # a representative row per value
        rep_row[inv[::-1]] = np.arange(m - 1, -1, -1)
        big = counts >= self.REPEATS
        big[big] = self._big_scalars(scalars[rep_row[big]])
        if not big.any():
            return points, scalars
        ng = int(big.sum())
        gmap = np.full(len(counts), -1, dtype=np.int64)
        gmap[big] = np.arange(ng)
        gid, first = gmap[inv], rep_row[big]
        grouped = np.flatnonzero(gid >= 0)
        # the groups were keyed on limb 0: a group whose scalars differ later is left alone
        differs = (scalars[grouped] != scalars[first[gid[grouped]]]).any(axis=1)
        if differs.any():
            gid[np.isin(gid, gid[grouped[differs]])] = -1
        jac = np.zeros((ng, 3, 4), dtype=np.uint64)
        E.group_sums(points, gid, jac, self._P, self._ONE)
        sums = self._affine(jac)
        used = np.zeros(ng, dtype=np.bool_)
        used[gid[gid >= 0]] = True
        used &= sums.reshape(-1, 8).any(axis=1)  # a sum at infinity adds nothing
        alone = gid < 0
        return (np.concatenate([points[alone], sums[used]]),
                np.concatenate([scalars[alone], scalars[first[used]]]))

    @lru_cache(maxsize=4)  # noqa: B019 (one table per curve object, kept for the process)
    def _fixed_table(self, c: int) -> np.ndarray:
        nwin = -(-self.scalar_field.bits // c)
        g = self.generator[0]
        jac = np.zeros((nwin << c, 3, 4), dtype=np.uint64)
        E.fixed_base_table(tuple(g[0]), tuple(g[1]), c, nwin, self._P, self._ONE, jac)
        return self._affine(jac).reshape(nwin, 1 << c, 2, 4)

    def batch_mul(self, scalars: np.ndarray) -> np.ndarray:
        """``scalars[i]·G`` for the curve's generator G (fixed-base windows), ``(n, 2, 4)``."""
        c = 8
        table = self._fixed_table(c)
        s = self.scalar_field._from_mont(self._c(scalars))
        jac = np.empty((s.shape[0], 3, 4), dtype=np.uint64)
        E.fixed_base_kernel(table, s, c, self._P, self._ONE, jac)
        return self._affine(jac)

    # -- encoding -----------------------------------------------------------------------

    def encode(self, points: np.ndarray) -> bytes:
        """32 bytes a point: x little-endian, bit 255 = y is odd; infinity = zeros."""
        out = bytearray()
        for pt in self.to_ints(points):
            if pt is None:
                out += bytes(32)
                continue
            x, y = pt
            out += (x | ((y & 1) << 255)).to_bytes(32, "little")
        return bytes(out)

    def decode(self, data: bytes) -> np.ndarray:
        """Points from :meth:`encode`'s bytes, checked (vectorised square roots)."""
        if len(data) % 32:
            raise SerializationError(
                f"{self.name}: {len(data)} bytes is not a whole number of 32-byte points")
        F = self.base_field
        raw = np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4).copy()
        sign = (raw[:, 3] >> np.uint64(63)) == 1
        raw[:, 3] &= np.uint64((1 << 63) - 1)
        inf = ~raw.any(axis=1) & ~sign
        canon = K.lt_p(raw, F._p)
        if not canon.all():
            bad = int(np.nonzero(~canon)[0][0])
            raise SerializationError(f"{self.name}: point {bad} has a non-canonical x")
        x = F._to_mont(raw)
        y, square = F.sqrt(F.add(F.mul(F.square(x), x), F.mont_limbs(self.b)[None]))
        bad = ~square & ~inf
        if bad.any():
            raise SerializationError(
                f"{self.name}: point {int(np.nonzero(bad)[0][0])} is not on the curve")
        flip = F.is_odd(y) != sign
        y[flip] = F.neg(y[flip])
        bad = (F.is_odd(y) != sign) & ~inf  # y = 0 cannot carry the odd sign
        if bad.any():
            raise SerializationError(
                f"{self.name}: point {int(np.nonzero(bad)[0][0])} has a bad sign bit")
        x[inf] = 0
        y[inf] = 0
        return np.ascontiguousarray(np.stack([x, y], axis=1))

    def encode_uncompressed(self, points: np.ndarray) -> bytes:
        return self.base_field.to_bytes(self._c(points).reshape(-1, 4))

    def decode_uncompressed(self, data: bytes) -> np.ndarray:
        if len(data) % 64:
            raise SerializationError(
                f"{self.name}: {len(data)} bytes is not a whole number of 64-byte points")
        pts = self.base_field.from_bytes(data).reshape(-1, 2, 4)
        ok = self.is_on_curve(pts)
        if not ok.all():
            raise SerializationError(
                f"{self.name}: point {int(np.nonzero(~ok)[0][0])} is not on the curve")
        return pts

    # -- hashing to the curve -----------------------------------------------------------

    def hash_to_curve(self, domain: bytes, n: int) -> np.ndarray:
        """n deterministic points: try-and-increment over Blake2b(domain ‖ i ‖ ctr).

        For point i and ctr = 0, 1, ...: x = Blake2b-512(domain ‖ i as 8 bytes LE ‖
        ctr as 4 bytes LE, person=b"zkml-h2c") mod q; the first x != 0 with x³ + b a
        square wins, y its even root. Public and reproducible; fine for IPA generators
        (not constant-time, nothing secret goes in). Cofactor 1, so every point is in
        the group. Hashing is Python, the square roots are one vectorised kernel call a
        round (about half the points need another round).
        """
        F, p = self.base_field, self.base_field.p
        xs = np.zeros((n, 4), dtype=np.uint64)
        ys = np.zeros((n, 4), dtype=np.uint64)
        ctr = np.zeros(n, dtype=np.int64)
        todo = np.arange(n)
        b = F.mont_limbs(self.b)[None]
        while todo.size:
            cand = [int.from_bytes(hashlib.blake2b(
                domain + int(i).to_bytes(8, "little") + int(ctr[i]).to_bytes(4, "little"),
                digest_size=64, person=b"zkml-h2c").digest(), "little") % p for i in todo]
            x = F.from_ints(cand)
            y, ok = F.sqrt(F.add(F.mul(F.square(x), x), b))
            ok &= x.any(axis=1)
            odd = F.is_odd(y)
            y[odd] = F.neg(y[odd])
            xs[todo[ok]], ys[todo[ok]] = x[ok], y[ok]
            todo = todo[~ok]
            ctr[todo] += 1
        return np.ascontiguousarray(np.stack([xs, ys], axis=1))


BN254_G1 = Curve("bn254_g1", BN254_FQ, BN254_FR, 3, (1, 2))
PALLAS = Curve("pallas", PASTA_FP, PASTA_FQ, 5, (PASTA_FP.p - 1, 2))
VESTA = Curve("vesta", PASTA_FQ, PASTA_FP, 5, (PASTA_FQ.p - 1, 2))

CURVES = (BN254_G1, PALLAS, VESTA)
