"""Prime fields on ``(n, 4)`` uint64 Montgomery arrays: BN254 Fr/Fq, Pasta Fp/Fq.

One :class:`PrimeField` per modulus, all sharing the kernels of
:mod:`zkml_core.arith.kernels`. See docs/arith.md for the contract.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import numpy as np

from zkml_core.arith import kernels as K
from zkml_core.errors import SerializationError, ZkmlError

_MASK64 = (1 << 64) - 1


def _limbs(x: int) -> np.ndarray:
    return np.array([(x >> (64 * i)) & _MASK64 for i in range(4)], dtype=np.uint64)


def _bits_msb_first(e: int) -> np.ndarray:
    return np.array([int(c) for c in bin(e)[2:]], dtype=np.uint8) if e > 0 else np.zeros(0, np.uint8)


class PrimeField:
    """A prime field of modulus ``p < 2^255`` (top limb's high bit clear)."""

    def __init__(self, name: str, p: int, generator: int) -> None:
        if p.bit_length() > 255:
            raise ValueError("the no-carry Montgomery kernels need p < 2^255")
        self.name = name
        self.p = p
        self.generator = generator
        self.bits = p.bit_length()
        self.bytes_len = 32
        self._p = _limbs(p)
        self._inv = np.uint64((-pow(p, -1, 1 << 64)) % (1 << 64))
        self._r = (1 << 256) % p
        self._r2 = _limbs((1 << 512) % p).reshape(1, 4)
        self._one = _limbs(self._r)
        self._one_2d = self._one.reshape(1, 4)
        self._inv_bits = _bits_msb_first(p - 2)
        s, t = 0, p - 1
        while t % 2 == 0:
            s, t = s + 1, t // 2
        self.two_adicity = s
        self._odd = t
        self._sqrt_bits = _bits_msb_first((t - 1) // 2)
        self._sqrt_c: np.ndarray | None = None  # z^odd for a non-residue z, on first use

    def __repr__(self) -> str:
        return f"PrimeField({self.name})"

    # -- roots of unity ---------------------------------------------------------------

    def root_of_unity(self, log_n: int) -> int:
        """A primitive 2^log_n-th root of unity (the same one every time)."""
        if not 0 <= log_n <= self.two_adicity:
            raise ZkmlError(f"{self.name} has no 2^{log_n}-th roots of unity "
                            f"(2-adicity {self.two_adicity}); use a smaller circuit (k)")
        w = pow(self.generator, self._odd, self.p)
        return pow(w, 1 << (self.two_adicity - log_n), self.p)

    # -- conversion ---------------------------------------------------------------------

    def mont_limbs(self, x: int) -> np.ndarray:
        """One element as ``(4,)`` Montgomery limbs, in pure Python (no kernel call)."""
        return _limbs(x % self.p * self._r % self.p)

    def _to_mont(self, canon: np.ndarray) -> np.ndarray:
        out = np.empty_like(canon)
        K.mul_arr(canon, self._r2, out, self._p, self._inv)
        return out

    def _from_mont(self, a: np.ndarray) -> np.ndarray:
        out = np.empty_like(a)
        one = np.zeros((1, 4), dtype=np.uint64)
        one[0, 0] = 1
        K.mul_arr(np.ascontiguousarray(a), one, out, self._p, self._inv)
        return out

    def from_ints(self, values: Iterable[int] | np.ndarray) -> np.ndarray:
        """Elements from Python ints of any sign, or a whole int64 array at once."""
        if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and values.dtype.itemsize <= 8:
            v = values.reshape(-1)
            canon = np.zeros((v.shape[0], 4), dtype=np.uint64)
            if v.dtype.kind == "u":
                canon[:, 0] = v.astype(np.uint64)
                return self._to_mont(canon)
            v = v.astype(np.int64)
            neg = v < 0
            # |v| fits uint64 even for int64 min
            canon[:, 0] = np.where(neg, (~v.astype(np.uint64)) + np.uint64(1), v.astype(np.uint64))
            if neg.any():
                idx = np.nonzero(neg)[0]
                sub = np.empty((idx.shape[0], 4), dtype=np.uint64)
                K.sub_arr(np.broadcast_to(self._p, (idx.shape[0], 4)).copy(), canon[idx], sub,
                          self._p)
                canon[idx] = sub
            return self._to_mont(canon)
        p = self.p
        data = b"".join((int(x) % p).to_bytes(32, "little") for x in values)
        canon = np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)
        return self._to_mont(np.ascontiguousarray(canon))

    def to_ints(self, a: np.ndarray) -> list[int]:
        raw = self._from_mont(a).astype("<u8").tobytes()
        return [int.from_bytes(raw[i:i + 32], "little") for i in range(0, len(raw), 32)]

    def to_signed_ints(self, a: np.ndarray) -> list[int]:
        half = self.p // 2
        return [x - self.p if x > half else x for x in self.to_ints(a)]

    def to_int64(self, a: np.ndarray) -> np.ndarray:
        """Values known to lie in [-2^63, 2^63) as an int64 array (vectorised)."""
        c = self._from_mont(a)
        small = (c[:, 1] == 0) & (c[:, 2] == 0) & (c[:, 3] == 0) & (c[:, 0] < np.uint64(1 << 63))
        neg = self._from_mont(self.neg(a))
        nsmall = (neg[:, 1] == 0) & (neg[:, 2] == 0) & (neg[:, 3] == 0) & (neg[:, 0] <= np.uint64(1 << 63))
        if not np.all(small | nsmall):
            raise ZkmlError(f"{self.name} values do not fit in int64")
        out = c[:, 0].astype(np.int64)
        out[~small] = -(neg[~small, 0].astype(np.int64))  # int64 min wraps correctly
        return out

    # -- constructors ---------------------------------------------------------------------

    def zeros(self, n: int) -> np.ndarray:
        return np.zeros((n, 4), dtype=np.uint64)

    def ones(self, n: int) -> np.ndarray:
        return np.repeat(self._one_2d, n, axis=0)

    def full(self, n: int, value: int) -> np.ndarray:
        return np.repeat(self.from_ints([value]), n, axis=0)

    def random(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """Uniform elements by rejection sampling (OS randomness unless ``rng`` is given)."""
        top_mask = np.uint64((1 << (self.bits - 192)) - 1)
        out = np.empty((n, 4), dtype=np.uint64)
        todo = np.arange(n)
        while todo.size:
            raw = (rng.bytes(32 * todo.size) if rng is not None
                   else secrets.token_bytes(32 * todo.size))
            cand = np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(-1, 4).copy()
            cand[:, 3] &= top_mask
            ok = K.lt_p(cand, self._p)
            out[todo[ok]] = cand[ok]
            todo = todo[~ok]
        return self._to_mont(out)

    # -- arithmetic -----------------------------------------------------------------------

    @staticmethod
    def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = np.ascontiguousarray(a, dtype=np.uint64)
        b = np.ascontiguousarray(b, dtype=np.uint64)
        if a.shape[0] == 1 and b.shape[0] != 1:
            a, b = b, a  # kernels broadcast their second operand
        elif b.shape[0] not in (1, a.shape[0]):
            raise ValueError(f"shape mismatch {a.shape} vs {b.shape}")
        return a, b, np.empty_like(a)

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b, out = self._pair(a, b)
        K.add_arr(a, b, out, self._p)
        return out

    def sub(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = np.ascontiguousarray(a, dtype=np.uint64)
        b = np.ascontiguousarray(b, dtype=np.uint64)
        if a.shape[0] == 1 and b.shape[0] != 1:
            return self.neg(self.sub(b, a))
        out = np.empty_like(a)
        K.sub_arr(a, b, out, self._p)
        return out

    def neg(self, a: np.ndarray) -> np.ndarray:
        a = np.ascontiguousarray(a, dtype=np.uint64)
        out = np.empty_like(a)
        K.sub_arr(np.zeros_like(a), a, out, self._p)
        return out

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b, out = self._pair(a, b)
        K.mul_arr(a, b, out, self._p, self._inv)
        return out

    def square(self, a: np.ndarray) -> np.ndarray:
        return self.mul(a, a)

    def pow(self, a: np.ndarray, e: int) -> np.ndarray:
        a = np.ascontiguousarray(a, dtype=np.uint64)
        if e < 0:
            return self.pow(self.inv(a), -e)
        out = np.empty_like(a)
        K.pow_arr(a, _bits_msb_first(e), out, self._one, self._p, self._inv)
        return out

    def sqrt(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Square roots (Tonelli-Shanks, vectorised): ``(roots, is_square)``.

        ``roots[i]² = a[i]`` where ``is_square[i]``; zero there otherwise. Which of the
        two roots comes back is not specified (callers fix the sign they need).
        """
        a = np.ascontiguousarray(a, dtype=np.uint64)
        if self._sqrt_c is None:
            z = 2
            while pow(z, (self.p - 1) // 2, self.p) != self.p - 1:
                z += 1
            self._sqrt_c = self.mont_limbs(pow(z, self._odd, self.p))
        out = np.empty_like(a)
        ok = np.empty(a.shape[0], dtype=np.bool_)
        K.sqrt_arr(a, out, ok, self._sqrt_bits, self.two_adicity, self._sqrt_c, self._one,
                   self._p, self._inv)
        return out, ok

    def is_odd(self, a: np.ndarray) -> np.ndarray:
        """Parity of the canonical value of each element (bool array)."""
        return (self._from_mont(np.ascontiguousarray(a, dtype=np.uint64))[:, 0] & np.uint64(1)) == 1

    def inv(self, a: np.ndarray) -> np.ndarray:
        """Batch inverse (Montgomery's trick); zero maps to zero."""
        a = np.ascontiguousarray(a, dtype=np.uint64)
        out = np.empty_like(a)
        K.batch_inv(a, out, self._one, self._inv_bits, self._p, self._inv)
        return out

    def eq(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.all(np.asarray(a) == np.asarray(b), axis=-1)

    def sum(self, a: np.ndarray) -> np.ndarray:
        return K.sum_arr(np.ascontiguousarray(a, dtype=np.uint64), self._p)

    def inner(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return K.inner_arr(np.ascontiguousarray(a, dtype=np.uint64),
                           np.ascontiguousarray(b, dtype=np.uint64), self._p, self._inv)

    def powers(self, x: int, n: int) -> np.ndarray:
        out = np.empty((n, 4), dtype=np.uint64)
        K.powers_arr(self.from_ints([x])[0], out, self._one, self._p, self._inv)
        return out

    # -- bytes ----------------------------------------------------------------------------

    def to_bytes(self, a: np.ndarray) -> bytes:
        """32 bytes per element, canonical little-endian."""
        return self._from_mont(a).astype("<u8").tobytes()

    def from_bytes(self, data: bytes) -> np.ndarray:
        if len(data) % 32:
            raise SerializationError(
                f"{self.name}: {len(data)} bytes is not a whole number of 32-byte elements")
        canon = np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4).copy()
        ok = K.lt_p(canon, self._p)
        if not ok.all():
            bad = int(np.nonzero(~ok)[0][0])
            raise SerializationError(
                f"{self.name}: element {bad} is not canonical (>= the modulus); the data is "
                f"corrupt or belongs to another field")
        return self._to_mont(canon)


BN254_FR = PrimeField(
    "bn254_fr", 21888242871839275222246405745257275088548364400416034343698204186575808495617, 5)
BN254_FQ = PrimeField(
    "bn254_fq", 21888242871839275222246405745257275088696311157297823662689037894645226208583, 3)
PASTA_FP = PrimeField(
    "pasta_fp", 0x40000000000000000000000000000000224698FC094CF91B992D30ED00000001, 5)
PASTA_FQ = PrimeField(
    "pasta_fq", 0x40000000000000000000000000000000224698FC0994A8DD8C46EB2100000001, 5)

FIELDS = (BN254_FR, BN254_FQ, PASTA_FP, PASTA_FQ)
