"""Verifying and proving keys, and the verifying key's byte format.

VK bytes: ``b"ZKMLVK"``, a little-endian u16 version (1), then a msgpack map with the
backend name, k, the constraint system (:meth:`ConstraintSystem.to_data`), and the
fixed and permutation commitments encoded by the backend's curve. The digest that the
transcript absorbs is Blake2b-256 over ``b"zkml-vk-digest"`` and that map's bytes, so it
binds the whole circuit shape and every commitment.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import msgpack
import numpy as np

from zkml_core.errors import SerializationError
from zkml_core.plonk.constraint_system import ConstraintSystem
from zkml_core.plonk.domain import Domain

VK_MAGIC = b"ZKMLVK"
VK_VERSION = 1


class VerifyingKey:
    def __init__(self, backend_name: str, field: Any, curve: Any, k: int, cs: ConstraintSystem,
                 fixed_commitments: np.ndarray, sigma_commitments: np.ndarray) -> None:
        self.backend_name = backend_name
        self.field, self.curve = field, curve
        self.k = k
        self.cs = cs
        #: (num_fixed, 2, 4) and (num_equality, 2, 4) affine points
        self.fixed_commitments = fixed_commitments
        self.sigma_commitments = sigma_commitments
        self.domain = Domain(field, k, cs.extended_k_extra())
        self._body = msgpack.packb(
            {
                "backend": backend_name,
                "k": k,
                "cs": cs.to_data(),
                "fixed": curve.encode(fixed_commitments) if len(fixed_commitments) else b"",
                "sigma": curve.encode(sigma_commitments) if len(sigma_commitments) else b"",
            },
            use_bin_type=True,
        )
        self.digest = hashlib.blake2b(b"zkml-vk-digest" + self._body, digest_size=32).digest()

    def to_bytes(self) -> bytes:
        return VK_MAGIC + struct.pack("<H", VK_VERSION) + self._body

    @classmethod
    def from_bytes(cls, data: bytes, backend: Any) -> VerifyingKey:
        """Decode and validate (header, structure, points on the curve); SerializationError
        otherwise. ``backend`` must be the one the key was made with."""
        head = len(VK_MAGIC) + 2
        if len(data) < head or data[: len(VK_MAGIC)] != VK_MAGIC:
            raise SerializationError("not a zkml verifying key (bad header)")
        (version,) = struct.unpack("<H", data[len(VK_MAGIC) : head])
        if version != VK_VERSION:
            raise SerializationError(f"verifying key version {version} is not supported (this zkml reads {VK_VERSION})")
        try:
            body = msgpack.unpackb(data[head:], raw=False, strict_map_key=True)
            name, k = body["backend"], body["k"]
            if not isinstance(name, str) or not isinstance(k, int) or not 1 <= k <= 32:
                raise ValueError("bad backend or k")
            cs = ConstraintSystem.from_data(body["cs"])
            fixed_b, sigma_b = body["fixed"], body["sigma"]
            if not isinstance(fixed_b, bytes) or not isinstance(sigma_b, bytes):
                raise ValueError("bad commitments")
        except SerializationError:
            raise
        except Exception as e:  # msgpack, KeyError, ValueError, TypeError, CircuitError ...
            raise SerializationError(f"malformed verifying key: {e}") from None
        if name != backend.name:
            raise SerializationError(f"this verifying key is for backend {name!r}, not {backend.name!r}")
        curve = backend.curve
        fixed = curve.decode(fixed_b) if fixed_b else np.zeros((0, 2, 4), dtype=np.uint64)
        sigma = curve.decode(sigma_b) if sigma_b else np.zeros((0, 2, 4), dtype=np.uint64)
        if len(fixed) != len(cs.fixed) or len(sigma) != len(cs.equality):
            raise SerializationError("verifying key: the number of commitments does not match the circuit")
        vk = cls(name, backend.scalar_field, curve, k, cs, fixed, sigma)
        if vk._body != data[head:]:
            raise SerializationError("verifying key: non-canonical encoding")
        return vk


class ProvingKey:
    """The verifying key plus everything the prover precomputes from the fixed columns:
    their Lagrange values and coefficients (values on the extended coset are made a part
    at a time while proving, see :mod:`zkml_core.plonk.domain`)."""

    def __init__(self, vk: VerifyingKey, fixed_lag: list[np.ndarray], sigma_lag: list[np.ndarray]) -> None:
        self.vk = vk
        dom = vk.domain
        self.fixed_lag = fixed_lag
        self.sigma_lag = sigma_lag
        self.fixed_coef = [dom.lag_to_coef(v) for v in fixed_lag]
        self.sigma_coef = [dom.lag_to_coef(v) for v in sigma_lag]
        self.row_coef = dom.row_coefs(vk.cs.usable_rows(vk.k))
