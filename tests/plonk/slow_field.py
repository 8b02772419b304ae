"""A pure-Python stand-in for the arith engine's ``PrimeField`` (docs/arith.md).

Same representation ((n, 4) uint64 Montgomery arrays) and method names, computed with
Python ints on object arrays: slow, but independent of the numba engine, so the
constraint system and MockProver tests run on an engine-free reference.
"""

from __future__ import annotations

import secrets

import numpy as np

MASK = (1 << 64) - 1


class SlowField:
    def __init__(self, name: str, p: int) -> None:
        self.name, self.p = name, p
        self.R = (1 << 256) % p
        self.Rinv = pow(self.R, -1, p)
        self.two_adicity = ((p - 1) & -(p - 1)).bit_length() - 1
        self.generator = 5  # a quadratic non-residue mod the BN254 r

    def _to_obj(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.uint64).reshape(-1, 4).astype(object)
        mont = a[:, 0] + (a[:, 1] << 64) + (a[:, 2] << 128) + (a[:, 3] << 192)
        return (mont * self.Rinv) % self.p

    def _from_obj(self, v: np.ndarray) -> np.ndarray:
        mont = (np.asarray(v, dtype=object) % self.p * self.R) % self.p
        out = np.empty((mont.shape[0], 4), dtype=np.uint64)
        for i in range(4):
            out[:, i] = ((mont >> (64 * i)) & MASK).astype(np.uint64)
        return out

    def from_ints(self, values) -> np.ndarray:
        if isinstance(values, np.ndarray):
            values = values.astype(object)
        return self._from_obj(np.array([int(v) for v in values], dtype=object).reshape(-1))

    def to_ints(self, a) -> list[int]:
        return [int(v) for v in self._to_obj(a)]

    def to_signed_ints(self, a) -> list[int]:
        return [v - self.p if v > self.p // 2 else v for v in self.to_ints(a)]

    def zeros(self, n: int) -> np.ndarray:
        return np.zeros((n, 4), dtype=np.uint64)

    def ones(self, n: int) -> np.ndarray:
        return self.from_ints([1] * n)

    def random(self, n: int, rng=None) -> np.ndarray:
        return self.from_ints([secrets.randbelow(self.p) for _ in range(n)])

    def add(self, a, b):
        return self._from_obj(self._to_obj(a) + self._to_obj(b))

    def sub(self, a, b):
        return self._from_obj(self._to_obj(a) - self._to_obj(b))

    def neg(self, a):
        return self._from_obj(-self._to_obj(a))

    def mul(self, a, b):
        return self._from_obj(self._to_obj(a) * self._to_obj(b))

    def inv(self, a):
        return self._from_obj(np.array([pow(int(v), -1, self.p) if v else 0 for v in self._to_obj(a)], dtype=object))

    def powers(self, x: int, n: int) -> np.ndarray:
        out, acc = [], 1
        for _ in range(n):
            out.append(acc)
            acc = acc * x % self.p
        return self.from_ints(out)

    def root_of_unity(self, log_n: int) -> int:
        return pow(self.generator, (self.p - 1) >> log_n, self.p)

    def eq(self, a, b):
        return np.all(np.asarray(a) == np.asarray(b), axis=-1)


BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
SLOW_FR = SlowField("bn254_fr_slow", BN254_R)
