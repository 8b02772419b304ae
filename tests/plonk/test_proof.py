"""Real proofs with the KZG backend: completeness, soundness, zero-knowledge smoke test."""

from __future__ import annotations

import os
import random

import pytest

from zkml_core.errors import SerializationError, VerificationError, ZkmlError
from zkml_core.plonk.keygen import keygen_pk, keygen_vk
from zkml_core.plonk.keys import VerifyingKey
from zkml_core.plonk.prover import create_proof
from zkml_core.plonk.verifier import verify_proof
from zkml_core.plugins import Registry

from .circuits import FIB_LEN, FeatureCircuit, fibonacci

K = 8
# Flipped bytes: the first byte of every 32-byte section plus FLIPS random positions
# (the issue asks for at least 500 per run; ZKML_SOUNDNESS_FLIPS overrides).
FLIPS = int(os.environ.get("ZKML_SOUNDNESS_FLIPS", "500"))


def kzg_class():
    try:
        return Registry(autoload=True, blocked=()).get("backend", "kzg")
    except ZkmlError:  # entry points not reinstalled yet: the module's own hook
        import zkml_plugins.backends.kzg as mod

        return next(c for c in mod.zkml_register_backends() if c.name == "kzg")


@pytest.fixture(scope="module")
def kzg():
    backend = kzg_class()()
    params = backend.setup(K)
    return backend, params


@pytest.fixture(scope="module")
def keys(kzg):
    backend, params = kzg
    vk = keygen_vk(backend, params, FeatureCircuit())
    pk = keygen_pk(backend, params, FeatureCircuit(), vk)
    return vk, pk


@pytest.fixture(scope="module")
def proof(kzg, keys):
    backend, params = kzg
    circuit = FeatureCircuit()
    return create_proof(backend, params, keys[1], circuit, circuit.instances())


def test_proof_verifies(kzg, keys, proof):
    backend, params = kzg
    assert verify_proof(backend, params, keys[0], proof, FeatureCircuit().instances())


def test_other_statement_verifies_too(kzg, keys):
    backend, params = kzg
    c = FeatureCircuit(b=5, xs=(1, 15, 3, 3))
    pr = create_proof(backend, params, keys[1], c, c.instances())
    assert verify_proof(backend, params, keys[0], pr, c.instances())
    assert not verify_proof(backend, params, keys[0], pr, FeatureCircuit().instances())


def test_wrong_instance_fails(kzg, keys, proof):
    backend, params = kzg
    assert not verify_proof(backend, params, keys[0], proof, [[fibonacci(FIB_LEN)[-1] * 3 + 1]])


def test_vk_round_trip_and_validation(kzg, keys, proof):
    backend, params = kzg
    vk = keys[0]
    data = vk.to_bytes()
    vk2 = VerifyingKey.from_bytes(data, backend)
    assert vk2.digest == vk.digest
    assert verify_proof(backend, params, vk2, proof, FeatureCircuit().instances())
    for bad in (data[:-1], b"XXXXXX" + data[6:], data[:6] + b"\x09\x00" + data[8:], data + b"\x00"):
        with pytest.raises(SerializationError):
            VerifyingKey.from_bytes(bad, backend)


def test_other_circuits_vk_fails(kzg, proof):
    backend, params = kzg
    other = FeatureCircuit(xs=(2, 5, 7, 0, 1))  # one more square row: different selectors
    vk_other = keygen_vk(backend, params, other)
    assert not verify_proof(backend, params, vk_other, proof, FeatureCircuit().instances())


def test_proofs_are_randomised(kzg, keys, proof):
    backend, params = kzg
    c = FeatureCircuit()
    again = create_proof(backend, params, keys[1], c, c.instances())
    assert again != proof and len(again) == len(proof)
    # the first advice commitment already differs: its blinding rows are fresh randomness
    head = len(b"ZKMLPRF") + 2
    assert again[head : head + 32] != proof[head : head + 32]
    assert verify_proof(backend, params, keys[0], again, c.instances())


def test_bad_witness_is_refused_and_forced_proof_fails(kzg, keys):
    backend, params = kzg
    bad = FeatureCircuit(tamper="advice")
    with pytest.raises(VerificationError, match="MockProver"):
        create_proof(backend, params, keys[1], bad, bad.instances())
    with pytest.raises(VerificationError, match="fib"):
        create_proof(backend, params, keys[1], bad, bad.instances(), debug=True)
    forced = create_proof(backend, params, keys[1], bad, bad.instances(), check=False)
    assert not verify_proof(backend, params, keys[0], forced, bad.instances())
    for tamper, inst in (("copy", [[(fibonacci(FIB_LEN)[-1] + 1) * 3]]), ("lookup", [[fibonacci(FIB_LEN)[-1] * 20]]), ("phase1", None)):
        c = FeatureCircuit(tamper=tamper)
        inst = inst or c.instances()
        forced = create_proof(backend, params, keys[1], c, inst, check=False)
        assert not verify_proof(backend, params, keys[0], forced, inst), tamper


@pytest.mark.slow
def test_byte_flips_fail(kzg, keys, proof):
    backend, params = kzg
    rng = random.Random(1234)
    n = len(proof)
    # every 32-byte section start plus random positions
    positions = sorted(set(range(0, n, 32)) | {rng.randrange(n) for _ in range(FLIPS)})
    for pos in positions:
        flipped = bytearray(proof)
        flipped[pos] ^= 1 << rng.randrange(8)
        assert not verify_proof(backend, params, keys[0], bytes(flipped), FeatureCircuit().instances()), pos
    assert not verify_proof(backend, params, keys[0], proof[:-1], FeatureCircuit().instances())
    assert not verify_proof(backend, params, keys[0], proof + b"\x00", FeatureCircuit().instances())


def test_ipa_backend_plugs_in_unchanged():
    """The same protocol over the IPA backend (Pasta): verifies, and rejects bad ones."""
    backend = Registry(autoload=True, blocked=()).get("backend", "ipa")()
    params = backend.setup(K)
    p = backend.scalar_field.p
    circuit = FeatureCircuit(modulus=p)
    vk = keygen_vk(backend, params, circuit)
    pk = keygen_pk(backend, params, circuit, vk)
    proof = create_proof(backend, params, pk, circuit, circuit.instances())
    assert verify_proof(backend, params, vk, proof, circuit.instances())
    assert not verify_proof(backend, params, vk, proof, [[5]])
    bad = FeatureCircuit(tamper="phase1", modulus=p)
    forced = create_proof(backend, params, pk, bad, bad.instances(), check=False)
    assert not verify_proof(backend, params, vk, forced, bad.instances())
    flipped = bytearray(proof)
    flipped[len(proof) // 2] ^= 4
    assert not verify_proof(backend, params, vk, bytes(flipped), circuit.instances())
