"""KZG params on BN254: a structured reference string, its generation and its file format.

Generation (:func:`setup`): tau is drawn from the OS CSPRNG (``secrets.randbelow``),
used for the G1 points and tau·G2, then deleted; nothing derived from it but the points
is kept. Python ints cannot be wiped from memory, so "deleted" means no reference
survives the call; the scalar arrays are zeroed before they are dropped.

- ``g1_powers[i] = tau^i · G1`` for i < n = 2^k (commitments in coefficient form),
- ``g1_lagrange[i] = L_i(tau) · G1``, L_i the Lagrange basis of the 2^k domain ⟨ω⟩
  (commitments to evaluations, no iNTT needed). They are computed directly from the
  scalars, not by an iNTT in the group: L_i(tau) = ω^i (tau^n − 1) / (n (tau − ω^i)),
- ``g2 = G2`` (the generator) and ``tau_g2 = tau · G2`` (py_ecc points).

File format, version 1 (all integers little-endian)::

    offset  size      field
    0       8         magic  b"ZKMLKZG\\0"
    8       4         version (u32) = 1
    12      4         k (u32), 1 <= k <= 28
    16      4         number of power points (u32) = 2^k
    20      4         number of Lagrange points (u32) = 2^k
    24      64·2^k    g1_powers, each point 64 bytes: x then y, 32 bytes little-endian
                      canonical each (BN254_G1.encode_uncompressed; uncompressed so
                      that loading needs no square roots)
    ...     64·2^k    g1_lagrange, same encoding
    ...     128       g2      (encoding in :mod:`.pairing`)
    ...     128       tau_g2

Loading (:func:`params_from_bytes`) checks the header, k and every length, decodes every
point (on the curve, canonical), and then that the points are one SRS:

1. no G1 point is infinity; ``g1_powers[0]`` and ``g2`` are the standard generators;
2. one pairing-product equation, with random r_i and s (fresh OS randomness)::

       e(Σ r_i·P_{i+1} + s·P_1, G2) == e(Σ r_i·P_i + s·G1, tau·G2)

   which holds for all consecutive powers at once (P_{i+1} = tau·P_i) except with
   probability about 1/r when some pair is broken;
3. the Lagrange points match the powers: for random coefficients c,
   Σ c_j·P_j == Σ NTT(c)_i·Λ_i (the same polynomial committed both ways).

Verifier params (what a proof bundle carries), version 1, 336 bytes::

    offset  size  field
    0       8     magic  b"ZKMLKZGV"
    8       4     version (u32) = 1
    12      4     k (u32), 1 <= k <= 28
    16      64    g1 (the G1 generator, uncompressed as above)
    80      128   g2 (the G2 generator)
    208     128   tau_g2

Loading checks the generators are the standard ones and tau·G2 is a point of the
order-r subgroup other than 0, ±G2. Nothing can check that tau is unknown to the
prover: verifier params are as trustworthy as whoever made the SRS.
"""

from __future__ import annotations

import secrets
import struct

import attrs
import numpy as np
from py_ecc import optimized_bn128 as bn

from zkml_core.arith import poly
from zkml_core.arith.curve import BN254_G1
from zkml_core.arith.field import BN254_FR
from zkml_core.errors import SerializationError

from .pairing import G2_BYTES, g1_to_pyecc, g2_from_bytes, g2_to_bytes, pairing_product_is_one

MAGIC = b"ZKMLKZG\0"
VERSION = 1
HEADER = struct.Struct("<8sIIII")
VP_MAGIC = b"ZKMLKZGV"
VP_HEADER = struct.Struct("<8sII")
POINT_BYTES = 64  # uncompressed G1
MAX_K = 28  # BN254 Fr's 2-adicity: the largest NTT domain


@attrs.define(eq=False)
class KZGVerifierParams:
    """What the KZG verifier needs: k, the G1 generator, G2 and tau·G2."""

    k: int
    g1: np.ndarray
    g2: tuple
    tau_g2: tuple


@attrs.define(eq=False)
class KZGParams:
    """The SRS for polynomials of up to 2^k coefficients (module docstring)."""

    k: int
    g1_powers: np.ndarray
    g1_lagrange: np.ndarray
    g2: tuple
    tau_g2: tuple

    @property
    def n(self) -> int:
        return 1 << self.k

    @property
    def g1(self) -> np.ndarray:
        return self.g1_powers[:1]

    def verifier_params(self) -> KZGVerifierParams:
        return KZGVerifierParams(self.k, self.g1_powers[:1].copy(), self.g2, self.tau_g2)


def _check_k(k: int) -> None:
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ValueError(f"KZG params need 1 <= k <= {MAX_K}, got {k!r}")


def lagrange_scalars(k: int, tau: int) -> np.ndarray:
    """L_i(tau) for every i of the 2^k domain, as a ``(2^k, 4)`` array (tau outside it)."""
    F, n = BN254_FR, 1 << k
    omegas = F.powers(F.root_of_unity(k), n)
    inv = F.inv(F.sub(F.full(n, tau), omegas))
    const = (pow(tau, n, F.p) - 1) * pow(n, -1, F.p) % F.p
    return F.mul(F.mul(omegas, inv), F.full(1, const))


def setup(k: int) -> KZGParams:
    """Fresh params for 2^k rows from OS randomness; the secret tau is discarded."""
    _check_k(k)
    F, C, n = BN254_FR, BN254_G1, 1 << k
    while True:
        tau = secrets.randbelow(F.p - 2) + 2
        if pow(tau, n, F.p) != 1:  # outside the domain, so every L_i(tau) is defined
            break
    powers = F.powers(tau, n)
    lag = lagrange_scalars(k, tau)
    tau_g2 = bn.multiply(bn.G2, tau)
    del tau
    g1_powers = C.batch_mul(powers)
    g1_lagrange = C.batch_mul(lag)
    powers[:] = 0
    lag[:] = 0
    return KZGParams(k, g1_powers, g1_lagrange, bn.G2, tau_g2)


def params_to_bytes(params: KZGParams) -> bytes:
    """The version-1 file format (module docstring)."""
    n = params.n
    if params.g1_powers.shape != (n, 2, 4) or params.g1_lagrange.shape != (n, 2, 4):
        raise ValueError("params arrays do not hold 2^k points each")
    head = HEADER.pack(MAGIC, VERSION, params.k, n, n)
    return b"".join([
        head,
        BN254_G1.encode_uncompressed(params.g1_powers),
        BN254_G1.encode_uncompressed(params.g1_lagrange),
        g2_to_bytes(params.g2),
        g2_to_bytes(params.tau_g2),
    ])


def _decode_points(data: bytes, what: str) -> np.ndarray:
    try:
        points = BN254_G1.decode_uncompressed(data)
    except SerializationError as e:
        raise SerializationError(f"KZG params file: {what}: {e}") from e
    if np.any(np.all(points == 0, axis=(1, 2))):  # tau^i and L_i(tau) are never 0
        raise SerializationError(f"KZG params file: {what}: a point at infinity")
    return points


def params_from_bytes(data: bytes) -> KZGParams:
    """Decode and validate a params file; SerializationError says what is wrong."""
    data = bytes(data)
    bad = "KZG params file"
    if len(data) < HEADER.size:
        raise SerializationError(f"{bad} is truncated: {len(data)} bytes, shorter than its header")
    magic, version, k, n_powers, n_lag = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SerializationError(f"not a KZG params file (bad magic header {magic!r}); "
                                 "pass a file written by the kzg backend (setup(k), then params_to_bytes)")
    if version != VERSION:
        raise SerializationError(f"{bad} has format version {version}; this zkml reads version {VERSION}")
    if not 1 <= k <= MAX_K:
        raise SerializationError(f"{bad} has k = {k}, outside 1..{MAX_K}")
    n = 1 << k
    if n_powers != n or n_lag != n:
        raise SerializationError(f"{bad} declares {n_powers} power and {n_lag} Lagrange points; "
                                 f"k = {k} needs {n} of each")
    expected = HEADER.size + 2 * n * POINT_BYTES + 2 * G2_BYTES
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than its header says"
        raise SerializationError(f"{bad} is {state}: {len(data)} bytes, k = {k} needs {expected}")
    off = HEADER.size
    g1_powers = _decode_points(data[off : off + n * POINT_BYTES], "powers of tau")
    off += n * POINT_BYTES
    g1_lagrange = _decode_points(data[off : off + n * POINT_BYTES], "Lagrange points")
    off += n * POINT_BYTES
    g2 = g2_from_bytes(data[off : off + G2_BYTES], f"{bad}: G2 generator")
    tau_g2 = g2_from_bytes(data[off + G2_BYTES :], f"{bad}: tau·G2")
    params = KZGParams(k, g1_powers, g1_lagrange, g2, tau_g2)
    check_params(params)
    return params


def check_params(params: KZGParams) -> None:
    """The SRS consistency checks 1-3 of the module docstring; SerializationError if broken."""
    F, C, n = BN254_FR, BN254_G1, params.n
    bad = "KZG params file is not a consistent SRS"
    if not bn.eq(params.g2, bn.G2):
        raise SerializationError(f"{bad}: its G2 point is not the BN254 G2 generator")
    if C.to_ints(params.g1_powers[:1]) != C.to_ints(C.generator):
        raise SerializationError(f"{bad}: its first power is not the BN254 G1 generator")
    # 2. consecutive powers, one pairing-product equation
    r = F.random(n - 1)
    s = F.random(1)
    lhs = C.add(C.msm(params.g1_powers[1:], r), C.scalar_mul(params.g1_powers[1:2], s))
    below = C.msm(params.g1_powers[:-1], r)
    rhs = C.add(below, C.scalar_mul(C.generator, s))
    if not pairing_product_is_one([(g1_to_pyecc(C, lhs), params.g2),
                                   (bn.neg(g1_to_pyecc(C, rhs)), params.tau_g2)]):
        raise SerializationError(f"{bad}: the powers of tau do not match tau·G2 "
                                 "(corrupted or tampered file)")
    # 3. Lagrange points against the powers, for the random polynomial c = (r, t): its
    # commitment by powers reuses the MSM above
    t = F.random(1)
    by_powers = C.add(below, C.scalar_mul(params.g1_powers[-1:], t))
    by_lagrange = C.msm(params.g1_lagrange, poly.ntt(F, np.concatenate([r, t])))
    if C.to_ints(by_powers) != C.to_ints(by_lagrange):
        raise SerializationError(f"{bad}: the Lagrange points do not match the powers of tau")


def verifier_params_to_bytes(vp: KZGVerifierParams) -> bytes:
    """The verifier params format (module docstring)."""
    return b"".join([VP_HEADER.pack(VP_MAGIC, VERSION, vp.k), BN254_G1.encode_uncompressed(vp.g1),
                     g2_to_bytes(vp.g2), g2_to_bytes(vp.tau_g2)])


def verifier_params_from_bytes(data: bytes) -> KZGVerifierParams:
    """Decode and validate verifier params; SerializationError says what is wrong."""
    data = bytes(data)
    bad = "KZG verifier params"
    expected = VP_HEADER.size + POINT_BYTES + 2 * G2_BYTES
    if len(data) < VP_HEADER.size:
        raise SerializationError(f"{bad} are truncated: {len(data)} bytes, shorter than the header")
    magic, version, k = VP_HEADER.unpack_from(data)
    if magic != VP_MAGIC:
        raise SerializationError(f"not KZG verifier params (bad magic header {magic!r})")
    if version != VERSION:
        raise SerializationError(f"{bad} have format version {version}; this zkml reads version {VERSION}")
    if not 1 <= k <= MAX_K:
        raise SerializationError(f"{bad} have k = {k}, outside 1..{MAX_K}")
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than the format"
        raise SerializationError(f"{bad} are {state}: {len(data)} bytes, expected {expected}")
    off = VP_HEADER.size
    g1 = BN254_G1.decode_uncompressed(data[off : off + POINT_BYTES])
    if BN254_G1.to_ints(g1) != BN254_G1.to_ints(BN254_G1.generator):
        raise SerializationError(f"{bad}: g1 is not the BN254 G1 generator")
    off += POINT_BYTES
    g2 = g2_from_bytes(data[off : off + G2_BYTES], f"{bad}: G2 generator")
    if not bn.eq(g2, bn.G2):
        raise SerializationError(f"{bad}: g2 is not the BN254 G2 generator")
    tau_g2 = g2_from_bytes(data[off + G2_BYTES :], f"{bad}: tau·G2")
    if bn.eq(tau_g2, bn.G2) or bn.eq(tau_g2, bn.neg(bn.G2)):
        raise SerializationError(f"{bad}: tau·G2 is ±G2 (tau = ±1), not an SRS")
    return KZGVerifierParams(k, g1, g2, tau_g2)
