"""The py_ecc edge of the KZG backend: G1 conversion, G2 encoding, the pairing check."""

from __future__ import annotations

import random

import pytest
from py_ecc import optimized_bn128 as bn
from zkml_plugins.backends.kzg.pairing import (
    g1_from_pyecc,
    g1_to_pyecc,
    g2_from_bytes,
    g2_to_bytes,
    pairing_product_is_one,
)

from zkml_core.arith.curve import BN254_G1
from zkml_core.errors import SerializationError

R = bn.curve_order
Q = bn.field_modulus


def fq2_sqrt(a):
    """A square root in F_q2 (q = 3 mod 4, Adj and Rodriguez-Henriquez), or None."""
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    a0 = alpha ** Q * alpha
    if a0 == -bn.FQ2.one():
        return None
    x0 = a1 * a
    if alpha == -bn.FQ2.one():
        return bn.FQ2([0, 1]) * x0
    return (bn.FQ2.one() + alpha) ** ((Q - 1) // 2) * x0


def twist_point_outside_subgroup():
    """A point on the G2 twist curve that is not in the order-r subgroup."""
    for x0 in range(1, 100):
        x = bn.FQ2([x0, 1])
        y = fq2_sqrt(x ** 3 + bn.b2)
        if y is not None and y * y == x ** 3 + bn.b2:
            pt = (x, y, bn.FQ2.one())
            if not bn.is_inf(bn.multiply(pt, R)):
                return pt
    raise AssertionError("no point found")


def test_g1_points_cross_the_edge_unchanged():
    rng = random.Random(1)
    for _ in range(5):
        pt = bn.multiply(bn.G1, rng.randrange(1, R))
        arr = g1_from_pyecc(BN254_G1, pt)
        assert arr.shape == (1, 2, 4)
        x, y = bn.normalize(pt)
        assert BN254_G1.to_ints(arr) == [(x.n, y.n)]
        assert bn.eq(g1_to_pyecc(BN254_G1, arr), pt)
    inf = g1_from_pyecc(BN254_G1, bn.Z1)
    assert BN254_G1.to_ints(inf) == [None]
    assert bn.is_inf(g1_to_pyecc(BN254_G1, inf))


def test_g2_encoding_round_trips_and_is_the_documented_layout():
    pt = bn.multiply(bn.G2, 987654321)
    data = g2_to_bytes(pt)
    x, y = bn.normalize(pt)
    assert data == b"".join(int(c).to_bytes(32, "little") for c in (*x.coeffs, *y.coeffs))
    assert bn.eq(g2_from_bytes(data), pt)


def test_g2_decoding_rejects_bad_points():
    data = bytearray(g2_to_bytes(bn.G2))
    with pytest.raises(SerializationError, match="expected 128 bytes"):
        g2_from_bytes(bytes(data[:-1]))
    noncanon = bytearray(data)
    x0 = int.from_bytes(noncanon[:32], "little") + Q
    if x0 < 2**256:
        noncanon[:32] = x0.to_bytes(32, "little")
        with pytest.raises(SerializationError, match="field modulus"):
            g2_from_bytes(bytes(noncanon))
    off = bytearray(data)
    off[40] ^= 1
    with pytest.raises(SerializationError, match="not on the BN254 G2 curve"):
        g2_from_bytes(bytes(off))
    with pytest.raises(SerializationError, match="subgroup"):
        g2_from_bytes(g2_to_bytes(twist_point_outside_subgroup()))


def test_pairing_product_check_against_py_ecc_bilinearity():
    a, b = 1234567, 7654321
    aG1, bG1 = bn.multiply(bn.G1, a), bn.multiply(bn.G1, b)
    aG2 = bn.multiply(bn.G2, a)
    # e(a·G1, b·G2) · e(−b·G1, a·G2) == 1
    assert pairing_product_is_one([(aG1, bn.multiply(bn.G2, b)), (bn.neg(bG1), aG2)])
    assert not pairing_product_is_one([(aG1, bn.multiply(bn.G2, b)), (bn.neg(aG1), aG2)])
    assert pairing_product_is_one([(bn.Z1, bn.G2), (bn.G1, bn.Z2)])
    assert not pairing_product_is_one([(bn.G1, bn.G2)])
