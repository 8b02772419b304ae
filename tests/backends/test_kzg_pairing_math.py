"""The fast BN254 final exponentiation and Miller loop against py_ecc's pairing."""

from __future__ import annotations

import random

from py_ecc import optimized_bn128 as bn
from zkml_plugins.backends.kzg.final_exp import final_exponentiate, frobenius
from zkml_plugins.backends.kzg.miller import miller_loop

Q = bn.field_modulus


def _random_fq12(rng: random.Random) -> bn.FQ12:
    return bn.FQ12([rng.randrange(Q) for _ in range(12)])


def test_frobenius_is_the_q_power():
    rng = random.Random(1)
    f = _random_fq12(rng)
    assert frobenius(f, 1) == f**Q
    assert frobenius(f, 2) == frobenius(frobenius(f, 1), 1)
    assert frobenius(f, 3) == frobenius(frobenius(f, 2), 1)
    assert frobenius(f, 6) == frobenius(frobenius(f, 3), 3)
    assert frobenius(frobenius(f, 6), 6) == f  # f^(q^12) = f


def test_final_exponentiation_equals_py_eccs():
    rng = random.Random(2)
    miller = bn.pairing(bn.multiply(bn.G2, rng.randrange(1, bn.curve_order)),
                        bn.multiply(bn.G1, rng.randrange(1, bn.curve_order)), final_exponentiate=False)
    for f in (miller, _random_fq12(rng), bn.FQ12.one()):
        assert final_exponentiate(f) == bn.final_exponentiate(f)


def test_miller_loop_gives_py_eccs_pairing():
    rng = random.Random(3)
    cases = [(bn.G2, bn.G1)] + [
        (bn.multiply(bn.G2, rng.randrange(1, bn.curve_order)), bn.multiply(bn.G1, rng.randrange(1, bn.curve_order)))
        for _ in range(2)]
    for q2, p1 in cases:
        assert final_exponentiate(miller_loop(q2, p1)) == bn.pairing(q2, p1)
