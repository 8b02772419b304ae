"""Grain LFSR constants and MDS checks against published parameters (poseidon_vectors)."""

from __future__ import annotations

import itertools
import random

import poseidon_vectors as kat
import pytest
from zkml_plugins.gadgets.poseidon import params as P
from zkml_plugins.gadgets.poseidon.params import mds_security_failures, poseidon_params


def flat(rows):
    return [x for row in rows for x in row]


def test_bn254_rp57_constants_match_reference():
    prm = poseidon_params("bn254")
    assert (prm.r_f, prm.r_p, prm.t, prm.rate) == (8, 57, 3, 2)
    assert len(prm.round_constants) == 65
    assert flat(prm.round_constants)[:6] == kat.BN254_FIRST_ROUND_CONSTANTS
    assert [list(r) for r in prm.mds] == kat.BN254_MDS


def test_bn254_rp56_stream_matches_published_rows():
    prm = poseidon_params("bn254", 56, mds_skip=0)
    assert list(prm.round_constants[0]) == kat.BN254_RP56_ROUND_CONSTANTS_ROW0
    assert prm.round_constants[4][0] == kat.BN254_RP56_ROUND_CONSTANT_4_0


@pytest.mark.parametrize("field", ["pallas", "vesta"])
def test_pasta_constants_match_halo2(field):
    prm = poseidon_params(field)
    assert prm.r_p == 56 and len(prm.round_constants) == 64
    tag = field.upper()
    assert flat(prm.round_constants)[:6] == getattr(kat, f"{tag}_FIRST_ROUND_CONSTANTS")
    assert [list(r) for r in prm.mds] == getattr(kat, f"{tag}_MDS")


@pytest.mark.parametrize("args", [("bn254",), ("bn254", 56), ("pallas",), ("vesta",)])
def test_first_cauchy_candidate_is_secure_and_inverse_is_right(args):
    prm = poseidon_params(*args)
    # the reference checks accept the first candidate, so halo2's secure_mds = 0 agrees
    assert prm.mds_skipped == 0
    assert poseidon_params(*args, mds_skip=0).mds == prm.mds
    p = prm.p
    for i, j in itertools.product(range(3), repeat=2):
        assert sum(prm.mds[i][k] * prm.mds_inv[k][j] for k in range(3)) % p == int(i == j)
    assert all(0 <= c < p for c in flat(prm.round_constants))


def test_mds_skip_draws_the_next_candidate():
    first = poseidon_params("pallas", mds_skip=0)
    second = poseidon_params("pallas", mds_skip=1)
    assert second.mds != first.mds and second.mds_skipped == 1
    assert second.round_constants == first.round_constants
    # every Cauchy entry is 1/(x_i + y_j): the 2x2 minors of a Cauchy matrix are non-zero
    p = second.p
    m = second.mds
    for (a, b), (c, d) in itertools.product(itertools.combinations(range(3), 2), repeat=2):
        assert (m[a][c] * m[b][d] - m[a][d] * m[b][c]) % p != 0


def test_security_checks_reject_weak_matrices():
    p = poseidon_params("bn254").p
    # a scalar matrix: algorithm 1
    assert any("algorithm 1" in f for f in mds_security_failures([[7, 0, 0], [0, 7, 0], [0, 0, 7]], p))
    # block diagonal: word 0 never mixes with words 1, 2 (algorithms 1 and 2)
    weak = mds_security_failures([[2, 0, 0], [0, 3, 5], [0, 7, 11]], p)
    assert any("algorithm 1" in f for f in weak) and any("algorithm 2" in f for f in weak)
    # the cyclic shift has full Krylov space but its cube is the identity: algorithm 3
    shift = mds_security_failures([[0, 0, 1], [1, 0, 0], [0, 1, 0]], p)
    assert any("algorithm 3" in f for f in shift)
    assert not any("algorithm 2" in f for f in shift)


def test_grain_rejects_bad_fields():
    with pytest.raises(P.PoseidonParamsError, match="choose one of"):
        poseidon_params("goldilocks")


def brute_roots(f, p):
    return [x for x in range(p) if sum(c * pow(x, i, p) for i, c in enumerate(f)) % p == 0]


def poly_mul(a, b, p):
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = (out[i + j] + x * y) % p
    return out


@pytest.mark.parametrize("seed", range(20))
def test_roots_mod_p_vs_brute_force(seed):
    rng = random.Random(seed)
    p = rng.choice([101, 103, 10007])
    f = [rng.randrange(1, p)]
    for _ in range(rng.randrange(0, 4)):  # linear factors, maybe repeated
        f = poly_mul(f, [rng.randrange(p), 1], p)
    f = poly_mul(f, [rng.randrange(p), rng.randrange(p), 1], p)  # random quadratic
    assert P.roots_mod_p(f, p) == brute_roots(f, p)


@pytest.mark.parametrize("seed", range(5))
def test_charpoly_vs_determinant(seed):
    rng = random.Random(seed)
    p = 10007
    a = [[rng.randrange(p) for _ in range(3)] for _ in range(3)]
    cp = P.charpoly(a, p)
    for lam in (0, 1, 5, 1234):
        m = [[(lam * (i == j) - a[i][j]) % p for j in range(3)] for i in range(3)]
        det = (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
               - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
               + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])) % p
        assert sum(c * pow(lam, i, p) for i, c in enumerate(cp)) % p == det
