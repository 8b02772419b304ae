"""Real proofs on every backend: completeness, soundness, zero-knowledge smoke test.

Each test runs once per backend of ``BACKENDS`` (KZG on BN254, IPA on Pasta), selected by
name through the plugin registry: the same circuit and the same protocol code, only the
backend differs (issue 7: the suite is parametrised, not copied)."""

from __future__ import annotations

import importlib
import os
import random

import pytest

from zkml_core.errors import SerializationError, VerificationError, ZkmlError
from zkml_core.plonk.keygen import keygen_pk, keygen_vk
from zkml_core.plonk.keys import VerifyingKey
from zkml_core.plonk.prover import create_proof
from zkml_core.plonk.verifier import check_proof, verify_proof
from zkml_core.plugins import Registry

from .circuits import FIB_LEN, FeatureCircuit, fibonacci

BACKENDS = ["kzg", "ipa"]
K = 8
# Flipped bytes: the first byte of every 32-byte section plus FLIPS random positions
# (the issue asks for at least 500 per run; ZKML_SOUNDNESS_FLIPS overrides).
FLIPS = int(os.environ.get("ZKML_SOUNDNESS_FLIPS", "500"))


def backend_class(name: str):
    try:
        return Registry(autoload=True, blocked=()).get("backend", name)
    except ZkmlError:  # entry points not reinstalled yet: the module's own hook
        mod = importlib.import_module(f"zkml_plugins.backends.{name}")
        return next(c for c in mod.zkml_register_backends() if c.name == name)


@pytest.fixture(scope="module", params=BACKENDS)
def backend_params(request):
    backend = backend_class(request.param)()
    assert backend.name == request.param
    return backend, backend.setup(K)


@pytest.fixture(scope="module")
def keys(backend_params):
    backend, params = backend_params
    vk = keygen_vk(backend, params, FeatureCircuit())
    pk = keygen_pk(backend, params, FeatureCircuit(), vk)
    return vk, pk


@pytest.fixture(scope="module")
def proof(backend_params, keys):
    backend, params = backend_params
    circuit = FeatureCircuit()
    return create_proof(backend, params, keys[1], circuit, circuit.instances())


def test_proof_verifies(backend_params, keys, proof):
    backend, params = backend_params
    # the keys are the selected backend's, over its scalar field (Fr for KZG, Pasta Fp for IPA)
    assert keys[0].backend_name == backend.name and keys[0].field is backend.scalar_field
    assert verify_proof(backend, params, keys[0], proof, FeatureCircuit().instances())


def test_other_statement_verifies_too(backend_params, keys):
    backend, params = backend_params
    c = FeatureCircuit(b=5, xs=(1, 15, 3, 3))
    pr = create_proof(backend, params, keys[1], c, c.instances())
    assert verify_proof(backend, params, keys[0], pr, c.instances())
    assert not verify_proof(backend, params, keys[0], pr, FeatureCircuit().instances())


def test_progress_reports_every_stage_in_order(backend_params, keys):
    """The prover announces each stage before it runs, with the stages behind it, and
    ends at done == total; the proof made while reporting verifies."""
    backend, params = backend_params
    seen = []
    c = FeatureCircuit()
    pr = create_proof(backend, params, keys[1], c, c.instances(),
                      progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert verify_proof(backend, params, keys[0], pr, c.instances())
    total = seen[0][2]
    assert [d for _, d, _ in seen] == list(range(total + 1))
    assert {t for _, _, t in seen} == {total} and seen[-1][0] == "done"
    assert [s for s, _, _ in seen[-3:]] == ["quotient", "openings", "done"]


def test_wrong_instance_fails(backend_params, keys, proof):
    backend, params = backend_params
    assert not verify_proof(backend, params, keys[0], proof, [[fibonacci(FIB_LEN)[-1] * 3 + 1]])


def test_vk_round_trip_and_validation(backend_params, keys, proof):
    backend, params = backend_params
    vk = keys[0]
    data = vk.to_bytes()
    vk2 = VerifyingKey.from_bytes(data, backend)
    assert vk2.digest == vk.digest
    assert verify_proof(backend, params, vk2, proof, FeatureCircuit().instances())
    for bad in (data[:-1], b"XXXXXX" + data[6:], data[:6] + b"\x09\x00" + data[8:], data + b"\x00"):
        with pytest.raises(SerializationError):
            VerifyingKey.from_bytes(bad, backend)
    other = backend_class(next(n for n in BACKENDS if n != backend.name))()
    with pytest.raises(SerializationError, match="for backend"):
        VerifyingKey.from_bytes(data, other)


def _off_curve(curve) -> bytes:
    """A canonical 32-byte encoding whose x has no y on ``curve`` (x³ + b a non-residue)."""
    q = curve.base_field.p
    x = next(x for x in range(1, 100) if pow((x ** 3 + curve.b) % q, (q - 1) // 2, q) == q - 1)
    return x.to_bytes(32, "little")


def test_off_curve_points_are_rejected_when_decoding(backend_params, keys, proof):
    backend, params = backend_params
    vk, off = keys[0], _off_curve(backend.curve)
    head = len(b"ZKMLPRF") + 2  # the first advice commitment follows the header
    bad = proof[:head] + off + proof[head + 32 :]
    with pytest.raises(SerializationError, match="not on the curve"):
        check_proof(backend, params, vk, bad, FeatureCircuit().instances())
    assert not verify_proof(backend, params, vk, bad, FeatureCircuit().instances())
    data = vk.to_bytes()
    first = vk.curve.encode(vk.fixed_commitments[:1])
    at = data.index(first)
    with pytest.raises(SerializationError, match="not on the curve"):
        VerifyingKey.from_bytes(data[:at] + off + data[at + 32 :], backend)


def test_other_circuits_vk_fails(backend_params, proof):
    backend, params = backend_params
    other = FeatureCircuit(xs=(2, 5, 7, 0, 1))  # one more square row: different selectors
    vk_other = keygen_vk(backend, params, other)
    assert not verify_proof(backend, params, vk_other, proof, FeatureCircuit().instances())


def test_proofs_are_randomised(backend_params, keys, proof):
    backend, params = backend_params
    c = FeatureCircuit()
    again = create_proof(backend, params, keys[1], c, c.instances())
    assert again != proof and len(again) == len(proof)
    # the first advice commitment already differs: its blinding rows are fresh randomness
    head = len(b"ZKMLPRF") + 2
    assert again[head : head + 32] != proof[head : head + 32]
    assert verify_proof(backend, params, keys[0], again, c.instances())


def test_bad_witness_is_refused_and_forced_proof_fails(backend_params, keys):
    backend, params = backend_params
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
def test_byte_flips_fail(backend_params, keys, proof):
    backend, params = backend_params
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

