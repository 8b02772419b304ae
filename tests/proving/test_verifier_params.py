"""The backends' verifier params bytes (what a bundle's params.bin holds)."""

from __future__ import annotations

import numpy as np
import pytest
from py_ecc import optimized_bn128 as bn

from zkml_core.errors import SerializationError
from zkml_core.interfaces import Backend


@pytest.fixture(scope="module")
def kzg():
    from zkml_plugins.backends.kzg import KZGBackend

    backend = KZGBackend()
    return backend, backend.setup(4)


@pytest.fixture(scope="module")
def ipa():
    from zkml_plugins.backends.ipa import IPABackend

    backend = IPABackend()
    return backend, backend.setup(4)


def test_kzg_round_trip(kzg):
    backend, params = kzg
    data = backend.verifier_params_to_bytes(backend.verifier_params(params))
    assert len(data) == 336 and data[:8] == b"ZKMLKZGV"
    vp = backend.verifier_params_from_bytes(data)
    assert vp.k == 4
    assert np.array_equal(vp.g1, params.g1_powers[:1])
    assert bn.eq(vp.g2, bn.G2) and bn.eq(vp.tau_g2, params.tau_g2)
    assert backend.verifier_params_to_bytes(vp) == data


def _double_g1() -> bytes:
    from zkml_core.arith.curve import BN254_G1

    return BN254_G1.encode_uncompressed(BN254_G1.add(BN254_G1.generator, BN254_G1.generator))


def test_kzg_rejects_damaged_bytes(kzg):
    from zkml_plugins.backends.kzg.pairing import g2_to_bytes

    backend, params = kzg
    data = backend.verifier_params_to_bytes(backend.verifier_params(params))
    g2, tau = 80, 208  # offsets of the G2 generator and tau·G2
    edits = {
        "truncated": data[:-1],
        "longer than": data + b"\0",
        "bad magic": b"ZKMLKZG\0" + data[8:],
        "version 2": data[:8] + (2).to_bytes(4, "little") + data[12:],
        "k = 0": data[:12] + (0).to_bytes(4, "little") + data[16:],
        "not the BN254 G1 generator": data[:16] + _double_g1() + data[g2:],
        "g2 is not the BN254 G2 generator": data[:g2] + data[tau:] + data[tau:],
        "±G2": data[:tau] + g2_to_bytes(bn.G2),
        "G2 curve": data[:tau] + bytes([data[tau] ^ 1]) + data[tau + 1:],
    }
    for expect, bad in edits.items():
        with pytest.raises(SerializationError) as err:
            backend.verifier_params_from_bytes(bad)
        assert expect in str(err.value), (expect, str(err.value))


def test_ipa_round_trip_names_only_k(ipa):
    backend, params = ipa
    data = backend.verifier_params_to_bytes(backend.verifier_params(params))
    assert len(data) == 52 and data[:8] == b"ZKMLIPAV"
    vp = backend.verifier_params_from_bytes(data)
    assert vp.k == 4
    for a, b in ((vp.g, params.g), (vp.h, params.h), (vp.u, params.u)):
        assert np.array_equal(a, b)


def test_ipa_rejects_damaged_bytes(ipa):
    backend, params = ipa
    data = backend.verifier_params_to_bytes(params)
    edits = {
        "truncated": data[:-1],
        "longer than": data + b"\0",
        "bad magic": b"ZKMLIPA\0" + data[8:],
        "version 3": data[:8] + (3).to_bytes(4, "little") + data[12:],
        "2^k generators": data[:16] + (15).to_bytes(4, "little") + data[20:],
        "another derivation": data[:20] + bytes(32),
    }
    for expect, bad in edits.items():
        with pytest.raises(SerializationError) as err:
            backend.verifier_params_from_bytes(bad)
        assert expect in str(err.value), (expect, str(err.value))


def test_default_codec_is_the_params_format():
    class Plain(Backend):
        name = "plain"

        def params_to_bytes(self, params):
            return b"P" + bytes([params])

        def params_from_bytes(self, data):
            if data[:1] != b"P":
                raise SerializationError("bad")
            return data[1]

    b = Plain()
    assert b.verifier_params_to_bytes(7) == b"P\x07"
    assert b.verifier_params_from_bytes(b"P\x07") == 7
    assert Plain.trusted_setup is False
