"""A chain of the newer layers proved with KZG: the layout must not depend on the witness
(the verifying key is made from a circuit without inputs, whose gadgets see zeros) and
the proof binds the public output.

Pad, MaxPool2D, Transpose, Reshape, FullyConnected (Freivalds), Tanh, MaskNegInf,
Softmax (masked), BatchMatMul, Mean, Concatenation, Square, DivVar.
"""

from __future__ import annotations

import numpy as np
import pytest
from builtin_layer_model import GADGETS, LAYERS
from layer_model import circuit_k, mock

from zkml_core.model.circuit import ModelCircuit
from zkml_core.model.ir import LayerSpec, Model, Tensor
from zkml_core.plonk import create_proof, keygen_pk, keygen_vk, verify_proof
from zkml_core.plugins import Registry

SF = 16
MASK = [2, 1, 4, 0, 0, 0, 1]  # the last of 4 columns


def spec(layer_type, params, inp, inp_shapes, out, out_shape):
    return LayerSpec(layer_type=layer_type, params=params, inp_idxes=inp, inp_shapes=inp_shapes,
                     out_idxes=[out], out_shapes=[out_shape])


def chain_model():
    rng = np.random.default_rng(7)
    weights = {1: rng.integers(-8, 8, (4, 6)), 2: rng.integers(-8, 8, (4,)),
               3: rng.integers(-16, 16, (1, 4, 3)), 4: rng.integers(-16, 16, (1, 2)),
               5: np.array([3])}
    layers = [
        spec("Pad", [0, 0, 1, 1, 1, 1, 0, 0], [0], [(1, 4, 4, 2)], 10, (1, 6, 6, 2)),
        spec("MaxPool2D", [2, 2, 2, 2], [10], [(1, 6, 6, 2)], 11, (1, 3, 3, 2)),
        spec("Transpose", [1, 3, 3, 2, 0, 3, 1, 2], [11], [(1, 3, 3, 2)], 12, (1, 2, 3, 3)),
        spec("Reshape", [], [12], [(1, 2, 3, 3)], 13, (3, 6)),
        spec("FullyConnected", [0], [13, 1, 2], [(3, 6), (4, 6), (4,)], 14, (3, 4)),
        spec("Tanh", [], [14], [(3, 4)], 15, (3, 4)),
        spec("MaskNegInf", MASK, [15], [(3, 4)], 16, (3, 4)),
        spec("Softmax", MASK, [16], [(3, 4)], 17, (3, 4)),
        spec("Reshape", [], [17], [(3, 4)], 18, (1, 3, 4)),
        spec("BatchMatMul", [0, 0], [18, 3], [(1, 3, 4), (1, 4, 3)], 19, (1, 3, 3)),
        spec("Mean", [1], [19], [(1, 3, 3)], 20, (1, 3)),
        spec("Concatenation", [1], [20, 4], [(1, 3), (1, 2)], 21, (1, 5)),
        spec("Square", [], [21], [(1, 5)], 22, (1, 5)),
        spec("DivVar", [], [22, 5], [(1, 5), (1,)], 23, (1, 5)),
    ]
    tensors = [Tensor(idx=i, shape=w.shape, data=w.reshape(-1)) for i, w in weights.items()]
    model = Model(global_sf=SF, k=10, num_cols=10, inp_idxes=[0], out_idxes=[23],
                  tensors=tensors, layers=layers)
    x = rng.integers(-16, 16, (1, 4, 4, 2))
    return model, [Tensor(idx=0, shape=x.shape, data=x.reshape(-1))]


@pytest.fixture(scope="module")
def proved():
    model, inputs = chain_model()
    circuit = ModelCircuit(model, LAYERS, GADGETS, inputs=inputs)
    assert "freivalds" in circuit.gadget_names()
    assert mock(circuit).verify() == []
    backend = Registry().backends()["kzg"]()
    params = backend.setup(circuit_k(circuit))
    keyed = ModelCircuit(model, LAYERS, GADGETS, field=backend.scalar_field)  # no witness
    vk = keygen_vk(backend, params, keyed)
    pk = keygen_pk(backend, params, keyed, vk)
    inst = circuit.instances(backend.scalar_field)
    return backend, params, vk, inst, create_proof(backend, params, pk, circuit, inst)


def test_chain_proof_verifies(proved):
    backend, params, vk, inst, proof = proved
    assert verify_proof(backend, params, vk, proof, inst)


def test_chain_proof_binds_the_output(proved):
    backend, params, vk, inst, proof = proved
    bad = [list(inst[0])]
    bad[0][-1] = (bad[0][-1] + 1) % backend.scalar_field.p
    assert not verify_proof(backend, params, vk, proof, bad)
