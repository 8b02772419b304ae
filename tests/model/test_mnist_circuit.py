"""The zkml MNIST fixture as a circuit: MockProver, a KZG proof, and what the proof binds.

The circuit is the model's own layout (k = 15, 7 columns, as the fixture says); inputs and
outputs are public, weights fixed (in the verifying key). The proved outputs, divided by
the scale factor, match the TFLite interpreter within the bound of test_mnist.py
(0.15: weight rounding and one rounding per layer, amplified by the batch-norm Muls).
"""

from __future__ import annotations

import numpy as np
import pytest

from zkml_core.arith.field import BN254_FR
from zkml_core.dev.mock import MockProver
from zkml_core.model import load_input, load_model
from zkml_core.model.circuit import ModelCircuit
from zkml_core.plonk import create_proof, keygen_pk, keygen_vk, verify_proof
from zkml_core.plonk.circuit import rows_needed
from zkml_core.plugins import Registry

TFLITE_BOUND = 0.15


@pytest.fixture(scope="module")
def mnist(fixtures_dir):
    d = fixtures_dir / "zkml-mnist"
    model = load_model(d / "model.msgpack")
    inputs = load_input(d / "inp.msgpack")
    return model, inputs, Registry()


def circuit_of(model, inputs, registry):
    return ModelCircuit(model, registry.layers(), registry.gadgets(), inputs=inputs,
                        field=BN254_FR)


def output_of(model, instance):
    """The public logits: the instance column's tail, signed."""
    p = BN254_FR.p
    tail = instance[-10:]
    return np.array([v - p if v > p // 2 else v for v in tail]).reshape(1, 1, 1, 10)


def test_fixture_layout_fits_its_k_and_columns(mnist):
    model, inputs, reg = mnist
    c = circuit_of(model, inputs, reg)
    rows, k = rows_needed(c)
    assert (model.k, model.num_cols, c.num_cols) == (15, 7, 7)
    assert k <= model.k, f"the fixture's layout needs k={k} ({rows} rows)"


def test_mock_prover_accepts_the_fixture(mnist, mnist_tflite_tensors):
    model, inputs, reg = mnist
    c = circuit_of(model, inputs, reg)
    inst = c.instances(BN254_FR)
    assert MockProver(c, inst, k=model.k, field=BN254_FR).verify() == []
    logits = output_of(model, inst[0])
    err = np.abs(logits / model.global_sf - mnist_tflite_tensors[37]).max()
    assert err <= TFLITE_BOUND
    assert int(np.argmax(logits)) == int(np.argmax(mnist_tflite_tensors[37])) == 5


def test_mock_prover_rejects_a_wrong_output(mnist):
    model, inputs, reg = mnist
    c = circuit_of(model, inputs, reg)
    inst = c.instances(BN254_FR)
    inst[0][-3] = (inst[0][-3] + 1) % BN254_FR.p
    kinds = {f.kind for f in MockProver(c, inst, k=model.k, field=BN254_FR).verify()}
    assert kinds, "a changed public output must violate a constraint"


@pytest.fixture(scope="module")
def proved(mnist):
    model, inputs, reg = mnist
    backend = reg.backends()["kzg"]()
    c = circuit_of(model, inputs, reg)
    params = backend.setup(model.k)
    vk = keygen_vk(backend, params, c)
    pk = keygen_pk(backend, params, c, vk)
    inst = c.instances(backend.scalar_field)
    proof = create_proof(backend, params, pk, c, inst)
    return backend, params, vk, inst, proof


def test_kzg_proof_of_the_fixture_verifies(proved, mnist, mnist_tflite_tensors):
    backend, params, vk, inst, proof = proved
    model = mnist[0]
    assert verify_proof(backend, params, vk, proof, inst)
    logits = output_of(model, inst[0])
    assert np.abs(logits / model.global_sf - mnist_tflite_tensors[37]).max() <= TFLITE_BOUND


def test_proof_fails_with_changed_public_values_or_bytes(proved):
    backend, params, vk, inst, proof = proved
    p = backend.scalar_field.p
    for pos in (0, 400, len(inst[0]) - 1):  # an input pixel, another, the last logit
        bad = [list(inst[0])]
        bad[0][pos] = (bad[0][pos] + 1) % p
        assert not verify_proof(backend, params, vk, proof, bad)
    flipped = bytearray(proof)
    flipped[len(proof) // 2] ^= 1
    assert not verify_proof(backend, params, vk, bytes(flipped), inst)


def test_other_weights_give_another_verifying_key(proved, mnist):
    """Weights are fixed: the same proof does not verify under the key of a model whose
    one weight differs."""
    backend, params, vk, inst, proof = proved
    model, inputs, reg = mnist
    tensors = list(model.tensors)
    w = next(i for i, t in enumerate(tensors) if t.idx == 7)  # the first conv's kernel
    data = tensors[w].data.copy()
    data[0] += 1
    tensors[w] = type(tensors[w])(idx=7, shape=tensors[w].shape, data=data)
    other = type(model)(**{**{f: getattr(model, f) for f in (
        "global_sf", "k", "num_cols", "inp_idxes", "out_idxes", "layers")}, "tensors": tensors})
    other_vk = keygen_vk(backend, params, ModelCircuit(other, reg.layers(), reg.gadgets(),
                                                       field=backend.scalar_field))
    assert other_vk.digest != vk.digest
    assert not verify_proof(backend, params, other_vk, proof, inst)
