"""KZG params: the SRS against py_ecc for a known tau, the file format and its checks."""

from __future__ import annotations

import random
import struct

import pytest
from py_ecc import optimized_bn128 as bn
from zkml_plugins.backends.kzg import KZGBackend
from zkml_plugins.backends.kzg import params as kzg_params
from zkml_plugins.backends.kzg.pairing import g2_to_bytes

from zkml_core.arith.curve import BN254_G1
from zkml_core.arith.field import BN254_FR
from zkml_core.errors import SerializationError

R = BN254_FR.p
K = 4
N = 1 << K
HEADER = 24


def _xy(pt):
    x, y = bn.normalize(pt)
    return (x.n, y.n)


@pytest.fixture(scope="module")
def known_tau():
    """Params made by setup() with the OS randomness replaced by a known tau."""
    tau = random.Random(11).randrange(2, R)
    mp = pytest.MonkeyPatch()
    mp.setattr(kzg_params.secrets, "randbelow", lambda bound: tau - 2)
    try:
        params = KZGBackend().setup(K)
    finally:
        mp.undo()
    return tau, params


@pytest.fixture(scope="module")
def params():
    return KZGBackend().setup(K)


@pytest.fixture(scope="module")
def blob(params):
    return KZGBackend().params_to_bytes(params)


def test_setup_points_match_py_ecc_for_a_known_tau(known_tau):
    tau, params = known_tau
    assert params.k == K
    powers = BN254_G1.to_ints(params.g1_powers)
    for i in (0, 1, 2, N - 1):
        assert powers[i] == _xy(bn.multiply(bn.G1, pow(tau, i, R)))
    w = BN254_FR.root_of_unity(K)
    dom = [pow(w, j, R) for j in range(N)]
    lag = BN254_G1.to_ints(params.g1_lagrange)
    for i in (0, 5, N - 1):
        li = 1
        for j in range(N):
            if j != i:
                li = li * (tau - dom[j]) * pow(dom[i] - dom[j], -1, R) % R
        assert lag[i] == _xy(bn.multiply(bn.G1, li))
    assert bn.eq(params.tau_g2, bn.multiply(bn.G2, tau))
    assert bn.eq(params.g2, bn.G2)


def test_commitment_is_the_polynomial_at_tau(known_tau):
    tau, params = known_tau
    rng = random.Random(12)
    coeffs = [rng.randrange(R) for _ in range(N - 3)]
    at_tau = sum(c * pow(tau, i, R) for i, c in enumerate(coeffs)) % R
    got = KZGBackend().commit(params, BN254_FR.from_ints(coeffs), BN254_FR.zeros(1))
    assert BN254_G1.to_ints(got) == [_xy(bn.multiply(bn.G1, at_tau))]


def test_two_setups_differ(params, known_tau):
    assert BN254_G1.to_ints(params.g1_powers[1:2]) != BN254_G1.to_ints(known_tau[1].g1_powers[1:2])


def test_params_round_trip(params, blob):
    assert len(blob) == HEADER + 2 * 64 * N + 2 * 128
    assert blob[:8] == b"ZKMLKZG\0"
    assert struct.unpack_from("<IIII", blob, 8) == (1, K, N, N)
    back = KZGBackend().params_from_bytes(blob)
    assert back.k == K
    assert BN254_G1.to_ints(back.g1_powers) == BN254_G1.to_ints(params.g1_powers)
    assert BN254_G1.to_ints(back.g1_lagrange) == BN254_G1.to_ints(params.g1_lagrange)
    assert bn.eq(back.tau_g2, params.tau_g2)
    assert KZGBackend().params_to_bytes(back) == blob


def _load(data):
    return KZGBackend().params_from_bytes(bytes(data))


def _with_header(blob, **fields):
    magic, version, k, n1, n2 = kzg_params.HEADER.unpack_from(blob)
    vals = {"magic": magic, "version": version, "k": k, "n1": n1, "n2": n2} | fields
    return kzg_params.HEADER.pack(*vals.values()) + blob[HEADER:]


def test_bad_header_is_rejected(blob):
    with pytest.raises(SerializationError, match="bad magic"):
        _load(b"NOTKZG!\0" + blob[8:])
    with pytest.raises(SerializationError, match="format version 2"):
        _load(_with_header(blob, version=2))
    with pytest.raises(SerializationError, match="shorter than its header"):
        _load(blob[:10])


def test_wrong_k_or_counts_are_rejected(blob):
    for k in (0, 29):
        with pytest.raises(SerializationError, match=f"k = {k}, outside"):
            _load(_with_header(blob, k=k))
    with pytest.raises(SerializationError, match="k = 5 needs 32 of each"):
        _load(_with_header(blob, k=K + 1))
    with pytest.raises(SerializationError, match="Lagrange points; k = 4 needs 16"):
        _load(_with_header(blob, n2=N - 1))
    with pytest.raises(SerializationError, match="k = 5 needs"):
        _load(_with_header(blob, k=K + 1, n1=2 * N, n2=2 * N))  # points missing


def test_truncated_or_extended_file_is_rejected(blob):
    with pytest.raises(SerializationError, match="truncated"):
        _load(blob[:-1])
    with pytest.raises(SerializationError, match="truncated"):
        _load(blob[: HEADER + 100])
    with pytest.raises(SerializationError, match="longer than its header says"):
        _load(blob + b"\0")


def test_off_curve_point_is_rejected(blob):
    bad = bytearray(blob)
    bad[HEADER + 3 * 64 + 32] ^= 1  # lowest bit of the 4th power's y
    with pytest.raises(SerializationError, match="powers of tau: .*not on the curve"):
        _load(bad)
    bad = bytearray(blob)
    bad[HEADER + 64 * N + 64 + 5] ^= 4  # a Lagrange point's x
    with pytest.raises(SerializationError, match="Lagrange points: .*not on the curve"):
        _load(bad)
    bad = _replace(blob, HEADER + 64, bytes(64))
    with pytest.raises(SerializationError, match="point at infinity"):
        _load(bad)


def _replace(blob, offset, data):
    return blob[:offset] + data + blob[offset + len(data):]


def test_inconsistent_srs_is_rejected(params, blob):
    enc = BN254_G1.encode_uncompressed
    g2_off = HEADER + 2 * 64 * N
    # tau·G2 of another tau
    bad = _replace(blob, g2_off + 128, g2_to_bytes(bn.multiply(params.tau_g2, 2)))
    with pytest.raises(SerializationError, match="powers of tau do not match tau·G2"):
        _load(bad)
    # two powers swapped: every point valid, the chain broken
    p2, p3 = enc(params.g1_powers[2:3]), enc(params.g1_powers[3:4])
    bad = _replace(_replace(blob, HEADER + 2 * 64, p3), HEADER + 3 * 64, p2)
    with pytest.raises(SerializationError, match="powers of tau do not match tau·G2"):
        _load(bad)
    # a Lagrange point replaced by a power
    bad = _replace(blob, HEADER + 64 * N + 64 * 5, enc(params.g1_powers[5:6]))
    with pytest.raises(SerializationError, match="Lagrange points do not match"):
        _load(bad)
    # first power not the generator
    bad = _replace(blob, HEADER, enc(params.g1_powers[1:2]))
    with pytest.raises(SerializationError, match="first power is not the BN254 G1 generator"):
        _load(bad)
    # G2 not the generator
    bad = _replace(blob, g2_off, g2_to_bytes(bn.multiply(bn.G2, 2)))
    with pytest.raises(SerializationError, match="not the BN254 G2 generator"):
        _load(bad)


def test_setup_rejects_bad_k():
    for k in (0, 29, "4"):
        with pytest.raises(ValueError):
            KZGBackend().setup(k)


def test_smallest_params_round_trip():
    b = KZGBackend()
    back = b.params_from_bytes(b.params_to_bytes(b.setup(1)))
    assert back.k == 1 and back.g1_powers.shape == (2, 2, 4)
