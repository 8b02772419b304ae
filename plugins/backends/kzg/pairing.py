"""The edge between the engine's BN254 G1 arrays and py_ecc, G2 encoding, pairing checks.

G2 points are py_ecc ``optimized_bn128`` points; the pairing check runs this package's
Miller loop and final exponentiation on py_ecc's FQ12 (checked against py_ecc).

Only here do points leave the engine: G1 points become py_ecc
``optimized_bn128`` points for the pairing, and the two G2 points of the params
(py_ecc only) are encoded as 128 bytes: x = x0 + x1·i and y = y0 + y1·i in F_q2 written
as x0, x1, y0, y1, each 32 bytes little-endian canonical (< q). The point at infinity
is never a valid G2 params point, so it has no encoding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from py_ecc import optimized_bn128 as bn

from zkml_core.errors import SerializationError

from .final_exp import final_exponentiate
from .miller import miller_loop

G2_BYTES = 128
Q = bn.field_modulus


def g1_to_pyecc(curve: Any, point: np.ndarray) -> tuple:
    """An engine ``(1, 2, 4)`` G1 point as a py_ecc optimized (projective) point."""
    (xy,) = curve.to_ints(point)
    if xy is None:
        return bn.Z1
    return (bn.FQ(xy[0]), bn.FQ(xy[1]), bn.FQ.one())


def g1_from_pyecc(curve: Any, point: tuple) -> np.ndarray:
    """A py_ecc optimized G1 point as an engine ``(1, 2, 4)`` array."""
    if bn.is_inf(point):
        return curve.from_ints([None])
    x, y = bn.normalize(point)
    return curve.from_ints([(int(x.n), int(y.n))])


def g2_to_bytes(point: tuple) -> bytes:
    """128-byte encoding of a finite G2 point (module docstring)."""
    if bn.is_inf(point):
        raise ValueError("the point at infinity has no G2 encoding")
    x, y = bn.normalize(point)
    limbs = [int(c) for c in x.coeffs] + [int(c) for c in y.coeffs]
    return b"".join(v.to_bytes(32, "little") for v in limbs)


def g2_from_bytes(data: bytes, what: str = "G2 point") -> tuple:
    """Decode and validate a G2 point: canonical coordinates, on the twist, in the
    order-r subgroup (the twist has a large cofactor, so on-curve alone is not enough)."""
    if len(data) != G2_BYTES:
        raise SerializationError(f"{what}: expected {G2_BYTES} bytes, got {len(data)}")
    limbs = [int.from_bytes(data[i : i + 32], "little") for i in range(0, G2_BYTES, 32)]
    if any(v >= Q for v in limbs):
        raise SerializationError(f"{what}: a coordinate is not below the field modulus")
    point = (bn.FQ2(limbs[0:2]), bn.FQ2(limbs[2:4]), bn.FQ2.one())
    if not bn.is_on_curve(point, bn.b2):
        raise SerializationError(f"{what} is not on the BN254 G2 curve")
    if not bn.is_inf(bn.multiply(point, bn.curve_order)):
        raise SerializationError(f"{what} is not in the order-r subgroup of G2")
    return point


def pairing_product_is_one(pairs: list[tuple[tuple, tuple]]) -> bool:
    """True when the product of e(P, Q) over ``pairs`` of (G1, G2) py_ecc points is 1.

    One Miller loop per pair (:mod:`.miller`, G2 on the twist) and a single final
    exponentiation of the product (:mod:`.final_exp`); both work on py_ecc's FQ12 type and
    give the same pairing as py_ecc's ``pairing`` (tested), about 10x faster. Pairs with a
    point at infinity contribute 1 and are skipped.
    """
    acc = bn.FQ12.one()
    for p1, q2 in pairs:
        if bn.is_inf(p1) or bn.is_inf(q2):
            continue
        acc = acc * miller_loop(q2, p1)
    return final_exponentiate(acc) == bn.FQ12.one()
